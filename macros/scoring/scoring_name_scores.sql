{#-
    Stage 10 (int_name_candidates_scored): the pairs whose name score reaches min_score (a number;
    every pair when none), keyed by both names (party_key, name_key), with both sorted names and
    legal forms, the components and name_score as decimal(9, 4), jw_sorted (the whole-string
    Jaro-Winkler of the sorted names, for reference only) and matched_tokens: the party name's
    tokens with a counterpart of similarity 0.9 or more, for the reviewer.
-#}
{% macro scoring_name_scores(scores, names, matches, vocabulary, min_score=none) %}
    {%- set d = omphalos.units_to_decimal -%}
    select
        a_names.name_key as party_key,
        b_names.name_key,
        a_names.name_sorted as a_sorted,
        b_names.name_sorted as b_sorted,
        a_names.legal_form as a_legal_form,
        b_names.legal_form as b_legal_form,
        {{ d(omphalos.quantize(omphalos.jaro_winkler('a_names.name_sorted', 'b_names.name_sorted'))) }} as jw_sorted,
        {%- for column in ['align_ab', 'align_ba', 'missing_ab', 'missing_ba', 'alignment'] %}
        {{ d('scores.' ~ column) }} as {{ column }},
        {%- endfor %}
        matched_lists.matched_tokens,
        scores.compact_equal,
        {{ d('scores.compact_similarity') }} as compact_similarity,
        scores.numbers_agree,
        scores.father_swapped,
        scores.single_token,
        scores.near_brand,
        scores.legal_form_conflict,
        scores.word_replaced,
        scores.far_word,
        scores.slip_only,
        scores.romanized_equal,
        scores.relative_contained,
        scores.family_name_edited,
        scores.initial_word,
        {{ d('scores.name_score') }} as name_score
    from {{ scores }} as scores
    inner join {{ names }} as a_names
        on a_names.side = 'a' and scores.a_id = a_names.name_id
    inner join {{ names }} as b_names
        on b_names.side = 'b' and scores.b_id = b_names.name_id
    left join (
        select
            matches.a_id,
            matches.b_id,
            {{ omphalos.string_agg_sorted('vocabulary.token', ' ') }} as matched_tokens
        from {{ matches }} as matches
        inner join {{ scores }} as kept_scores
            on matches.a_id = kept_scores.a_id and matches.b_id = kept_scores.b_id
        inner join {{ vocabulary }} as vocabulary
            on matches.a_token_id = vocabulary.token_id
        where
            matches.sim >= {{ omphalos.to_units(0.9) }}
            {%- if min_score is not none %}
            and kept_scores.name_score >= {{ omphalos.to_units(min_score) }}
            {%- endif %}
        group by 1, 2
    ) as matched_lists
        on scores.a_id = matched_lists.a_id and scores.b_id = matched_lists.b_id
    {%- if min_score is not none %}
    where scores.name_score >= {{ omphalos.to_units(min_score) }}
    {%- endif %}
{% endmacro %}
