{#-
    Stage 6 (int_name_pair_token_matches): the token pairs of each candidate pair that count for
    something: the same token on both sides (similarity 1), and different tokens with a similarity
    above 0 (token_pairs), unless either is found as it is on the other side: a token matched
    exactly is nobody else's approximate counterpart (BASIR matches BASIR, so BASEER cannot match
    BASIR too). Each row carries both tokens' occurrences and weights (units).
    The order of the work is written out, as engines do not find it: each pair's party-side tokens
    (pair_a_tokens) are looked up among the registry name's tokens (exact) and among its tokens'
    counterparts (b_token_counterparts, per registry name, not per pair); only the approximate
    matches found, materialized, are then checked against the exact ones. Joining a pair's tokens
    to token_pairs first, or checking every token pair of a pair for an exact counterpart, made
    tens of millions of rows at 1M shipments (4 s on DuckDB, 0.9 s this way).
-#}
{% macro scoring_pair_token_matches(pairs, tokens, token_pairs) %}
    with

    pair_a_tokens as (
        select
            pairs.a_id,
            pairs.b_id,
            a_tokens.token_id as a_token_id,
            a_tokens.occurrences as a_occurrences,
            a_tokens.weight as a_weight
        from {{ pairs }} as pairs
        inner join {{ tokens }} as a_tokens
            on a_tokens.side = 'a' and pairs.a_id = a_tokens.name_id
    ),

    b_token_counterparts as (
        select
            b_tokens.name_id as b_id,
            b_tokens.token_id as b_token_id,
            b_tokens.occurrences as b_occurrences,
            b_tokens.weight as b_weight,
            token_pairs.a_token_id,
            token_pairs.derived_form,
            token_pairs.far_edit,
            token_pairs.slip,
            token_pairs.initial_letter,
            token_pairs.edited_word,
            token_pairs.sim
        from {{ tokens }} as b_tokens
        inner join {{ token_pairs }} as token_pairs
            on b_tokens.token_id = token_pairs.b_token_id
        where b_tokens.side = 'b'
    ),

    approximate as {{ omphalos.materialized_cte_always() }} (
        select
            pair_a_tokens.a_id,
            pair_a_tokens.b_id,
            pair_a_tokens.a_token_id,
            counterparts.b_token_id,
            counterparts.derived_form,
            counterparts.far_edit,
            counterparts.slip,
            counterparts.initial_letter,
            counterparts.edited_word,
            counterparts.sim,
            pair_a_tokens.a_occurrences,
            counterparts.b_occurrences,
            pair_a_tokens.a_weight,
            counterparts.b_weight
        from pair_a_tokens
        inner join b_token_counterparts as counterparts
            on
                pair_a_tokens.b_id = counterparts.b_id
                and pair_a_tokens.a_token_id = counterparts.a_token_id
    )

    select
        pair_a_tokens.a_id,
        pair_a_tokens.b_id,
        pair_a_tokens.a_token_id,
        b_tokens.token_id as b_token_id,
        false as derived_form,
        false as far_edit,
        false as slip,
        false as initial_letter,
        false as edited_word,
        cast({{ omphalos.score_unit() }} as bigint) as sim,
        pair_a_tokens.a_occurrences,
        b_tokens.occurrences as b_occurrences,
        pair_a_tokens.a_weight,
        b_tokens.weight as b_weight
    from pair_a_tokens
    inner join {{ tokens }} as b_tokens
        on
            b_tokens.side = 'b' and pair_a_tokens.b_id = b_tokens.name_id
            and pair_a_tokens.a_token_id = b_tokens.token_id

    union all

    select
        approximate.a_id,
        approximate.b_id,
        approximate.a_token_id,
        approximate.b_token_id,
        approximate.derived_form,
        approximate.far_edit,
        approximate.slip,
        approximate.initial_letter,
        approximate.edited_word,
        cast(approximate.sim as bigint) as sim,
        approximate.a_occurrences,
        approximate.b_occurrences,
        approximate.a_weight,
        approximate.b_weight
    from approximate
    left join {{ tokens }} as a_has_b_token
        on
            a_has_b_token.side = 'a' and approximate.a_id = a_has_b_token.name_id
            and approximate.b_token_id = a_has_b_token.token_id
    left join {{ tokens }} as b_has_a_token
        on
            b_has_a_token.side = 'b' and approximate.b_id = b_has_a_token.name_id
            and approximate.a_token_id = b_has_a_token.token_id
    where a_has_b_token.token_id is null and b_has_a_token.token_id is null
{% endmacro %}
