{#-
    Stage 7 (int_name_pairs_bounded): the candidate pairs scored in full: every pair when
    min_score is none, else only those that can reach min_score (a number). Coverage of a side is
    at most the share of its own weight held by tokens with any counterpart (similarities are at
    most 1, and a matched token's weight is at most its own; a token with several counterparts is
    counted once for each, which only loosens the bound), and the name score is at most the better
    coverage unless a compact-name rule applies; a pair below that bound (less 0.001) and outside
    those rules cannot be kept, nor can a pair of one romanized name (romanized: stage 2b), whatever
    its tokens. The bound is compared exactly, in integers.
-#}
{% macro scoring_pairs_bounded(pairs, tokens, matches, romanized, min_score=none) %}
    {%- if min_score is none %}
    select
        a_id,
        b_id
    from {{ pairs }}
    {%- else %}
    select
        matched_weights.a_id,
        matched_weights.b_id
    from (
        select
            a_id,
            b_id,
            sum(a_weight * a_occurrences) as a_matched_weight,
            sum(b_weight * b_occurrences) as b_matched_weight
        from {{ matches }}
        group by 1, 2
    ) as matched_weights
        {%- for side in ['a', 'b'] %}
    inner join (
        select
            name_id,
            sum(weight * occurrences) as total_weight
        from {{ tokens }}
        where side = '{{ side }}'
        group by 1
    ) as {{ side }}_totals
        on matched_weights.{{ side }}_id = {{ side }}_totals.name_id
        {%- endfor %}
    where
        {%- for side in ['a', 'b'] %}
        {% if not loop.first %}or {% endif -%}
        matched_weights.{{ side }}_matched_weight * {{ omphalos.score_unit() }}
        >= {{ omphalos.to_units(min_score) - omphalos.to_units(0.001) }} * {{ side }}_totals.total_weight
        {%- endfor %}

    union

    select
        a_id,
        b_id
    from {{ pairs }}
    where compact_rules_apply

    union

    select
        a_id,
        b_id
    from {{ romanized }}
    {%- endif %}
{% endmacro %}
