{#-
    Blocking and name scoring. Every rule is stated here, in SQL, and documented in docs/matching.md.
-#}

{#-
    block_keys(relation, key_column): rows (name_key, block_key) for a normalized-name relation.
    Keys: the compact name (c:), each token of 3+ characters (t:), the 4-character prefix of each
    token of 5+ characters (p:), and the consonant skeleton of the compact name (s:).
-#}
{% macro block_keys(relation, key_column) %}
    select
        {{ key_column }} as name_key,
        'c:' || name_compact as block_key
    from {{ relation }}
    where name_compact <> ''

    union

    select
        {{ key_column }} as name_key,
        's:' || name_skeleton as block_key
    from {{ relation }}
    where length(name_skeleton) >= 3

    union

    select
        name_key,
        case when kind = 't' then 't:' || token else 'p:' || substr(token, 1, 4) end as block_key
    from (
        select
            {{ key_column }} as name_key,
            unnest({{ omphalos.split_tokens('name_core') }}) as token
        from {{ relation }}
        where name_core <> ''
    ) as tokens
    cross join (select 't' as kind union all select 'p' as kind) as kinds
    where (kind = 't' and length(token) >= 3) or (kind = 'p' and length(token) >= 5)
{% endmacro %}

{#- A similarity rounded to 4 decimals as an exact decimal, so sums are order-independent. -#}
{% macro sim4(expr) %}cast(round(cast({{ expr }} as double precision), 4) as decimal(9, 4)){% endmacro %}

{#-
    score_name_pairs(pairs): CTEs ending in `name_scores`, one row per (party_key, name_key) of
    the pairs relation, which must have columns party_key, name_key and for each side (a_ = party,
    b_ = registry): core, sorted, compact, numbers, token_count, legal_form.

    name_score = greatest(
        Jaro-Winkler of the token-sorted names,
        token alignment: mean of the two directions of length-weighted best per-token Jaro-Winkler
            (a missing or extra token lowers it),
        1 when the compact names are equal)
    then rules:
        numbers in the names disagree           -> at most 0.60 (veto)
        a side has one token and compact differs -> minus 0.08 (single tokens need stronger evidence)
-#}
{% macro score_name_pairs(pairs) %}
    a_tokens as (
        select distinct
            party_key,
            name_key,
            unnest({{ omphalos.split_tokens('a_core') }}) as token
        from {{ pairs }}
        where a_core <> ''
    ),

    b_tokens as (
        select distinct
            party_key,
            name_key,
            unnest({{ omphalos.split_tokens('b_core') }}) as token
        from {{ pairs }}
        where b_core <> ''
    ),

    token_pairs as (
        select
            a_tokens.party_key,
            a_tokens.name_key,
            a_tokens.token as a_token,
            b_tokens.token as b_token,
            {{ omphalos.sim4(omphalos.jaro_winkler('a_tokens.token', 'b_tokens.token')) }} as sim
        from a_tokens
        inner join b_tokens
            on
                a_tokens.party_key = b_tokens.party_key
                and a_tokens.name_key = b_tokens.name_key
    ),

    best_a as (
        select
            party_key,
            name_key,
            a_token as token,
            max(sim) as best
        from token_pairs
        group by party_key, name_key, a_token
    ),

    best_b as (
        select
            party_key,
            name_key,
            b_token as token,
            max(sim) as best
        from token_pairs
        group by party_key, name_key, b_token
    ),

    align_a as (
        select
            party_key,
            name_key,
            sum(best * length(token)) / sum(length(token)) as align_ab,
            {{ omphalos.string_agg_sorted("case when best >= 0.92 then token end", ' ') }} as matched_tokens
        from best_a
        group by party_key, name_key
    ),

    align_b as (
        select
            party_key,
            name_key,
            sum(best * length(token)) / sum(length(token)) as align_ba
        from best_b
        group by party_key, name_key
    ),

    components as (
        select
            pairs.*,
            {{ omphalos.sim4(omphalos.jaro_winkler('pairs.a_sorted', 'pairs.b_sorted')) }} as jw_sorted,
            {{ omphalos.sim4('coalesce(align_a.align_ab, 0)') }} as align_ab,
            {{ omphalos.sim4('coalesce(align_b.align_ba, 0)') }} as align_ba,
            align_a.matched_tokens,
            pairs.a_compact = pairs.b_compact as compact_equal,
            pairs.a_numbers = pairs.b_numbers as numbers_agree,
            least(pairs.a_token_count, pairs.b_token_count) = 1 as single_token
        from {{ pairs }} as pairs
        left join align_a
            on pairs.party_key = align_a.party_key and pairs.name_key = align_a.name_key
        left join align_b
            on pairs.party_key = align_b.party_key and pairs.name_key = align_b.name_key
    ),

    base_scores as (
        select
            *,
            {{ omphalos.sim4('(align_ab + align_ba) / 2') }} as alignment
        from components
    ),

    name_scores as (
        select
            *,
            cast(greatest(0, least(
                case when not numbers_agree then 0.60 else 1.00 end,
                greatest(jw_sorted, alignment, case when compact_equal then 1.00 else 0 end)
                - case when single_token and not compact_equal then 0.08 else 0 end
            )) as decimal(9, 4)) as name_score
        from base_scores
    )
{% endmacro %}
