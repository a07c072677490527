{#-
    Stage 8 (int_name_pair_coverage): for each pair scored in full (pairs: stage 7), each side's
    coverage and missing share, in units, from its tokens' best counterparts (matches: stage 6):
        a token counts with its best similarity, and with the lesser weight of the two tokens when
        it resembles another (a misspelt word is not a rare word); a repeated token must be
        repeated on the other side too (matched occurrences);
        coverage_x     = sum(weight x similarity x matched occurrences) / sum(weight x occurrences);
        missing_x      = weight share of the occurrences with no counterpart, leaving out
                         particles, legal-form words and a patronymic when the other name has
                         none (leaving those out does not make another name);
        major_tokens_x = occurrences of tokens other than particles and legal-form words;
        far_edit       = a token's best counterpart is another word of the same stem, 3+ edits
                         away (stage 5), on either side;
        slips_only     = the tokens matched approximately (at least one) are all matched by a
                         slip (stage 5), on both sides;
        initial_letter = a token's best counterpart is an initial (stage 5), on either side;
        derived_share_reached_b: a registry token matched only by a derived form (stage 5) holds
                         at least near_brand_share of the registry name's weight (near brand);
        first_missing_b = the registry name's first word as written, not a particle or a
                         legal-form word, has no counterpart in the party name;
        edited_tokens_b = the registry name's tokens, particles and legal-form words aside,
                         matched best by another common family name (stage 5, edited_word).
    Both ratios are rounded half up to a unit (round_div); the share is compared exactly. A pair
    whose side has no tokens has coverage 0 and missing share 1 on it.
-#}
{% macro scoring_pair_coverage(pairs, tokens, matches) %}
    {%- set unit = omphalos.score_unit() -%}
    {%- set sides = [('a', 'b'), ('b', 'a')] -%}
    -- each side's aggregation on its own (in one statement, union all), then both joined to the
    -- pairs: two aggregations joined at once did not spill within DuckDB's memory limit at 10M
    -- shipments
    with coverage_sides as {{ omphalos.materialized_cte_always() }} (
    {%- for side, other in sides %}
        {%- if not loop.first %}

        union all
        {% endif %}
        select
            a_id,
            b_id,
            '{{ side }}' as side,
            {{ omphalos.round_div('sum(weight * best * matched_occurrences)', 'sum(weight * occurrences)') }}
                as coverage,
            {{ omphalos.round_div(
                unit ~ ' * sum(case when optional then 0 else weight * (occurrences - matched_occurrences) end)',
                'sum(weight * occurrences)'
            ) }} as missing,
            sum(case when minor then 0 else occurrences end) as major_tokens,
            max(case when far_edit then 1 else 0 end) = 1 as far_edit,
            max(case when initial_letter then 1 else 0 end) = 1 as initial_letter,
            max(case when best > 0 and best < {{ unit }} and not slip then 1 else 0 end) = 0
            and max(case when best > 0 and best < {{ unit }} then 1 else 0 end) = 1 as slips_only,
            max(case when is_first and best = 0 and not minor then 1 else 0 end) = 1 as first_missing,
            sum(case when best > 0 and best < {{ unit }} and edited_word and not minor then 1 else 0 end)
                as edited_tokens,
            {%- if side == 'b' %}
            max(case when best > 0 and best < {{ unit }} and derived_form then weight * occurrences else 0 end)
            * {{ unit }} >= {{ omphalos.to_units(var('near_brand_share')) }} * sum(weight * occurrences)
                as derived_share_reached
            {%- else %}
            false as derived_share_reached
            {%- endif %}
        from (
            select
                *,
                case
                    when best = 0 then 0
                    when equal_occurrences is not null then least(occurrences, equal_occurrences)
                    else occurrences
                end as matched_occurrences
            from (
                -- every token of the name with its best counterpart on the other side (0 when none)
                select
                    pairs.a_id,
                    pairs.b_id,
                    own.occurrences,
                    coalesce(best.best, 0) as best,
                    best.equal_occurrences,
                    coalesce(best.weight, own.weight) as weight,
                    coalesce(best.derived_form, false) as derived_form,
                    coalesce(best.far_edit, false) as far_edit,
                    coalesce(best.slip, false) as slip,
                    coalesce(best.initial_letter, false) as initial_letter,
                    coalesce(best.edited_word, false) as edited_word,
                    own.is_minor as minor,
                    coalesce(own.is_first, false) as is_first,
                    own.is_minor or (own.is_patronymic and other_flags.has_patronymic = 0) as optional
                from {{ pairs }} as pairs
                inner join {{ tokens }} as own
                    on own.side = '{{ side }}' and pairs.{{ side }}_id = own.name_id
                inner join (
                    select
                        name_id,
                        max(case when is_patronymic then 1 else 0 end) as has_patronymic
                    from {{ tokens }}
                    where side = '{{ other }}'
                    group by 1
                ) as other_flags
                    on pairs.{{ other }}_id = other_flags.name_id
                left join (
                    select
                        matches.a_id,
                        matches.b_id,
                        matches.{{ side }}_token_id as token_id,
                        max(matches.sim) as best,
                        max(case when matches.a_token_id = matches.b_token_id then matches.{{ other }}_occurrences end)
                            as equal_occurrences,
                        min(least(matches.a_weight, matches.b_weight)) as weight,
                        max(case when matches.sim < {{ unit }} and matches.derived_form then 1 else 0 end) = 1
                            as derived_form,
                        max(case when matches.far_edit then 0 else matches.sim end) < max(matches.sim) as far_edit,
                        max(case when matches.slip then matches.sim else 0 end) = max(matches.sim) as slip,
                        max(case when matches.initial_letter then 0 else matches.sim end) < max(matches.sim)
                            as initial_letter,
                        max(case when matches.edited_word then matches.sim else 0 end) = max(matches.sim)
                            as edited_word
                    from {{ matches }} as matches
                    inner join {{ pairs }} as scored_pairs
                        on matches.a_id = scored_pairs.a_id and matches.b_id = scored_pairs.b_id
                    group by 1, 2, 3
                ) as best
                    on
                        pairs.a_id = best.a_id
                        and pairs.b_id = best.b_id
                        and own.token_id = best.token_id
            ) as best_tokens
        ) as matched_tokens
        group by 1, 2
    {%- endfor %}
    )

    select
        pairs.a_id,
        pairs.b_id,
        {%- for side, other in sides %}
        coalesce(coverage_{{ side }}.coverage, 0) as coverage_{{ side }},
        coalesce(coverage_{{ side }}.missing, {{ unit }}) as missing_{{ side }},
        coalesce(coverage_{{ side }}.major_tokens, 0) as major_tokens_{{ side }},
        {%- endfor %}
        coalesce(coverage_b.derived_share_reached, false) as derived_share_reached_b,
        coalesce(coverage_b.first_missing, false) as first_missing_b,
        coalesce(coverage_b.edited_tokens, 0) as edited_tokens_b,
        coalesce(coverage_a.far_edit, false) or coalesce(coverage_b.far_edit, false) as far_edit,
        coalesce(coverage_a.slips_only and coverage_b.slips_only, false) as slips_only,
        coalesce(coverage_a.initial_letter, false) or coalesce(coverage_b.initial_letter, false) as initial_letter
    from {{ pairs }} as pairs
    {%- for side, other in sides %}
    left join coverage_sides as coverage_{{ side }}
        on
            coverage_{{ side }}.side = '{{ side }}'
            and pairs.a_id = coverage_{{ side }}.a_id
            and pairs.b_id = coverage_{{ side }}.b_id
    {%- endfor %}
{% endmacro %}
