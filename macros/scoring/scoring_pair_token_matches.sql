{#-
    Stage 6 (int_name_pair_token_matches): the token pairs of each candidate pair that count for
    something: the same token on both sides (similarity 1), and different tokens with a similarity
    above 0 (token_pairs), unless either is found as it is on the other side: a token matched
    exactly is nobody else's approximate counterpart (BASIR matches BASIR, so BASEER cannot match
    BASIR too). Each row carries both tokens' occurrences and weights (units).
-#}
{% macro scoring_pair_token_matches(pairs, tokens, token_pairs) %}
    {%- set token_columns %}
            a_tokens.occurrences as a_occurrences,
            b_tokens.occurrences as b_occurrences,
            a_tokens.weight as a_weight,
            b_tokens.weight as b_weight
    {%- endset %}
    select
        pairs.a_id,
        pairs.b_id,
        a_tokens.token_id as a_token_id,
        b_tokens.token_id as b_token_id,
        false as derived_form,
        false as far_edit,
        false as slip,
        false as initial_letter,
        false as edited_word,
        cast({{ omphalos.score_unit() }} as bigint) as sim,
        {{- token_columns }}
    from {{ pairs }} as pairs
    inner join {{ tokens }} as a_tokens
        on a_tokens.side = 'a' and pairs.a_id = a_tokens.name_id
    inner join {{ tokens }} as b_tokens
        on
            b_tokens.side = 'b' and pairs.b_id = b_tokens.name_id
            and a_tokens.token_id = b_tokens.token_id

    union all

    select
        pairs.a_id,
        pairs.b_id,
        token_pairs.a_token_id,
        token_pairs.b_token_id,
        token_pairs.derived_form,
        token_pairs.far_edit,
        token_pairs.slip,
        token_pairs.initial_letter,
        token_pairs.edited_word,
        cast(token_pairs.sim as bigint) as sim,
        {{- token_columns }}
    from {{ pairs }} as pairs
    inner join {{ tokens }} as a_tokens
        on a_tokens.side = 'a' and pairs.a_id = a_tokens.name_id
    inner join {{ token_pairs }} as token_pairs
        on a_tokens.token_id = token_pairs.a_token_id
    inner join {{ tokens }} as b_tokens
        on
            b_tokens.side = 'b' and pairs.b_id = b_tokens.name_id
            and token_pairs.b_token_id = b_tokens.token_id
    left join {{ tokens }} as a_has_b_token
        on
            a_has_b_token.side = 'a' and pairs.a_id = a_has_b_token.name_id
            and token_pairs.b_token_id = a_has_b_token.token_id
    left join {{ tokens }} as b_has_a_token
        on
            b_has_a_token.side = 'b' and pairs.b_id = b_has_a_token.name_id
            and token_pairs.a_token_id = b_has_a_token.token_id
    where a_has_b_token.token_id is null and b_has_a_token.token_id is null
{% endmacro %}
