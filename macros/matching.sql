{#-
    Blocking and name scoring. Every rule is stated here, in SQL, and documented in docs/matching.md.
-#}

{#-
    block_keys(relation, key_column): rows (name_key, block_key) for a normalized-name relation.
    Keys: the compact name (c:); each token of 3+ characters (t:), and for an a-z token of 5+
    letters also the token with one letter deleted, at each position, so that two tokens one
    substitution, insertion, deletion or swap of neighbours apart share a t: key (PETROEUM ~
    PETROLEUM, TOILD ~ TOLID, both TOID); the 4-character prefix of each token of 5+ characters
    (p:); the consonant skeleton of the compact name (s:); and each pair of tokens of 3+
    characters, in byte order (w:): a pair of words is rare where each word alone is too common to
    block on (ALLOYS and KVANT are in many names, ALLOYS KVANT in few), whatever the word order.
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
            {{ omphalos.unnest_tokens('name_core') }} as token
        from {{ relation }}
        where name_core <> ''
    ) as tokens
    cross join (select 't' as kind union all select 'p' as kind) as kinds
    where (kind = 't' and length(token) >= 3) or (kind = 'p' and length(token) >= 5)

    union

    select
        first_tokens.name_key,
        'w:' || first_tokens.token || ' ' || second_tokens.token as block_key
    from (
        select distinct
            {{ key_column }} as name_key,
            {{ omphalos.unnest_tokens('name_core') }} as token
        from {{ relation }}
        where name_core <> '' and name_core like '% %'
    ) as first_tokens
    inner join (
        select distinct
            {{ key_column }} as name_key,
            {{ omphalos.unnest_tokens('name_core') }} as token
        from {{ relation }}
        where name_core <> '' and name_core like '% %'
    ) as second_tokens
        on
            first_tokens.name_key = second_tokens.name_key
            and first_tokens.token < second_tokens.token
    where length(first_tokens.token) >= 3 and length(second_tokens.token) >= 3

    union

    select
        name_key,
        't:' || substr(token, 1, positions.position - 1) || substr(token, positions.position + 1) as block_key
    from (
        select distinct
            {{ key_column }} as name_key,
            {{ omphalos.unnest_tokens('name_core') }} as token
        from {{ relation }}
        where name_core <> ''
    ) as long_tokens
    inner join {{ omphalos.sql_integer_values(range(1, 41)) }} as positions (position)
        on positions.position <= length(long_tokens.token)
    where length(long_tokens.token) >= 5 and {{ omphalos.regexp_matches('long_tokens.token', '^[a-z]+$') }}
{% endmacro %}

{#-
    usable_registry_block_keys(relation, key_column): rows (name_key, block_key) of the registry
    names' blocking keys that at most max_block_key_names registry names share: a key shared by
    more is too common to block on.
-#}
{% macro usable_registry_block_keys(relation, key_column) %}
    select
        name_key,
        block_key
    from (
        select
            registry_keys.name_key,
            registry_keys.block_key,
            count(*) over (partition by registry_keys.block_key) as registry_names_with_key
        from ({{ omphalos.block_keys(relation, key_column) }}) as registry_keys
    ) as counted
    where registry_names_with_key <= {{ var('max_block_key_names') }}
{% endmacro %}

{#- A similarity rounded to 4 decimals as an exact decimal, so sums are order-independent. -#}
{% macro sim4(expr) %}{{ omphalos.round4(expr) }}{% endmacro %}

{#-
    token_weights(names, reference=none): one row per distinct token of the name_core column of
    `names` (a relation or CTE: the registry's names, or every name in play), with
        name_count  number of distinct names (name_core values) that contain the token (1 for
                    every token when count_names is false: tokens of names that must not weigh
                    each other, such as a feed's party names);
        token_class legal_form  a word of a legal form left in the name (OOO, COMPANY, JOINT), or a
                                misspelling of one of 5+ letters (one edit, or one in seven:
                                JOYNT, AKTIENGESELSCHAFT);
                    particle    seed name_particles (THE, OF, AL, BIN, DR, SHEIKH);
                    word        letters a-z;
                    number      has a digit;
                    other       letters of a script the seed does not transliterate;
        weight      rarity: 1 / sqrt(name_count + reference_count), at least name_weight_floor
                    (0.05), where reference_count is the token's count in `reference` (a relation
                    of token, reference_count: the seed name_token_frequencies, how many of 100,000
                    people's names hold it), 0 when not given or not listed; legal-form
                    words weigh legal_form_token_weight (0.02) and particles particle_token_weight
                    (0.05) whatever their frequency: they never make two names the same party
                    (nor different ones);
        is_patronymic a word ending like a patronymic (-OVICH, -EVNA, -OGLY, -KYZY);
        variant_group the group of the token in seed given_name_variants (JOHN, JUAN, IVAN, JEAN
                    are john; TED, THEODORE, FYODOR are theodore), null if none.
-#}
{% macro token_weights(names, reference=none, count_names=true) %}
    {%- set legal_words = omphalos.legal_form_words() -%}
    {%- set long_legal_words = [] -%}
    {%- for w in legal_words -%}{%- if w | length >= 5 -%}{%- do long_legal_words.append(w) -%}{%- endif -%}{%- endfor -%}
    select
        counted.token,
        counted.name_count,
        case
            when counted.token_class = 'word' and near_legal.token is not null then 'legal_form'
            else counted.token_class
        end as token_class,
        case
            when counted.token_class = 'legal_form' or near_legal.token is not null
                then {{ omphalos.sim4(var('legal_form_token_weight')) }}
            when counted.token_class = 'particle' then {{ omphalos.sim4(var('particle_token_weight')) }}
            else {{ omphalos.sim4('greatest(' ~ var('name_weight_floor') ~ ', 1.0 / sqrt(counted.name_count'
                ~ (' + coalesce(reference_counts.reference_count, 0)' if reference is not none else '') ~ '))') }}
        end as weight,
        counted.token_class = 'word'
        and {{ omphalos.regexp_matches('counted.token', '(ovich|evich|ovitch|evitch|ovna|evna|ichna|ogly|oglu|kyzy|qizi)$') }}
            as is_patronymic,
        variants.variant_group
    from (
        select
            token,
            {{ 'count(*)' if count_names else 'min(1)' }} as name_count,
            case
                when token in {{ omphalos.sql_in_list(legal_words) }} then 'legal_form'
                when token in {{ omphalos.sql_in_list(omphalos.name_particles()) }} then 'particle'
                when {{ omphalos.regexp_matches('token', '^[a-z]+$') }} then 'word'
                when {{ omphalos.regexp_matches('token', '[0-9]') }} then 'number'
                else 'other'
            end as token_class
        from (
            select distinct
                name_core,
                {{ omphalos.unnest_tokens('name_core') }} as token
            from (select distinct name_core from {{ names }} where name_core <> '') as distinct_names
        ) as name_tokens
        group by token
    ) as counted
    left join (
        -- words of 5+ letters one edit, or one edit in seven, from a legal-form word of 5+ letters
        -- (and the same first letter): misspelt legal forms (JOYNT, AKTIENGESELSCHAFT)
        select distinct candidates.token
        from (
            select distinct {{ omphalos.unnest_tokens('name_core') }} as token
            from {{ names }}
            where name_core <> ''
        ) as candidates
        inner join (
            select legal_word from {{ omphalos.sql_values(long_legal_words) }} as legal_words (legal_word)
        ) as legal
            on
                substr(candidates.token, 1, 1) = substr(legal.legal_word, 1, 1)
                and length(candidates.token) >= 5
                and abs(length(candidates.token) - length(legal.legal_word)) <= 2
                and candidates.token <> legal.legal_word
        where
            {{ omphalos.regexp_matches('candidates.token', '^[a-z]+$') }}
            and (
                {{ omphalos.edit_distance('candidates.token', 'legal.legal_word') }} = 1
                or 7 * {{ omphalos.edit_distance('candidates.token', 'legal.legal_word') }}
                <= greatest(length(candidates.token), length(legal.legal_word))
            )
    ) as near_legal
        on counted.token = near_legal.token
    left join {{ ref('given_name_variants') }} as variants
        on counted.token = variants.name
    {%- if reference is not none %}
    left join {{ reference }} as reference_counts
        on counted.token = reference_counts.token
    {%- endif %}
{% endmacro %}

{#-
    Edit distance of two a-z tokens: Damerau-Levenshtein (a swap of two neighbouring letters is one
    edit: TOLID ~ TOILD) when they have the same length, Levenshtein otherwise.
-#}
{% macro token_edit_distance(a, b) %}
    case
        when length({{ a }}) = length({{ b }}) then {{ omphalos.damerau_levenshtein(a, b) }}
        else {{ omphalos.edit_distance(a, b) }}
    end
{% endmacro %}

{#-
    Similarity in [0, 1] of two tokens (expressions a, b; their classes ca, cb; their given-name
    variant groups ga, gb), in two steps. token_distance: the edit distance when it is needed,
    else null; token_similarity(..., distance):
        equal                                       1
        both legal-form words                       1 (legal forms are one class: OOO ~ LLC)
        variants of one given name                  token_variant_similarity (0.95: JOHN ~ JUAN)
        anything but two a-z words                  0 (numbers, particles, other scripts: exact
                                                    only)
        one is a single letter (an initial) that
          starts the other                          token_initial_similarity (0.90)
        otherwise, with r = 1 - edit distance / length of the longer token:
          r >= token_min_similarity (0.65)          1 - token_edit_cost x (1 - r), else 0
                                                    (unrelated words count for nothing)
    The edit distance is only computed when Jaro-Winkler finds the tokens close (>= 0.75).
-#}
{% macro _token_needs_distance(a, b, ca, cb, ga, gb) %}
    {{ a }} <> {{ b }}
    and {{ ca }} = 'word' and {{ cb }} = 'word'
    and coalesce({{ ga }} <> {{ gb }}, true)
    and length({{ a }}) > 1 and length({{ b }}) > 1
    and {{ omphalos.jaro_winkler(a, b) }} >= 0.75
{% endmacro %}

{% macro token_distance(a, b, ca, cb, ga, gb) %}
    case
        when {{ omphalos._token_needs_distance(a, b, ca, cb, ga, gb) }}
            then {{ omphalos.token_edit_distance(a, b) }}
    end
{% endmacro %}

{% macro token_similarity(a, b, ca, cb, ga, gb, distance) %}
    {%- set r = "(1.0 - 1.0 * " ~ distance ~ " / greatest(length(" ~ a ~ "), length(" ~ b ~ ")))" -%}
    case
        when {{ a }} = {{ b }} then 1
        when {{ ca }} = 'legal_form' and {{ cb }} = 'legal_form' then 1
        when {{ ga }} = {{ gb }} then {{ var('token_variant_similarity') }}
        when {{ ca }} <> 'word' or {{ cb }} <> 'word' then 0
        when length({{ a }}) = 1 or length({{ b }}) = 1
            then case
                when substr({{ a }}, 1, 1) = substr({{ b }}, 1, 1) then {{ var('token_initial_similarity') }}
                else 0
            end
        when {{ distance }} is null then 0
        when {{ r }} >= {{ var('token_min_similarity') }}
            then 1.0 - {{ var('token_edit_cost') }} * (1.0 - {{ r }})
        else 0
    end
{% endmacro %}

{#-
    score_name_pairs(candidates, a_names, b_names, token_weights, min_score=none): CTEs ending
    in `name_scores`, one row per candidate pair (party_key, name_key) whose name_score is at
    least min_score (every pair when min_score is none).
        candidates  relation of distinct (party_key, name_key) pairs;
        a_names     one row per party_key: a_clean, a_core, a_sorted, a_compact, a_numbers,
                    a_token_count, a_legal_form, a_own, a_father (see normalized_names);
        b_names     one row per name_key: b_kind (the listed entity's kind: person,
                    organization, vessel, aircraft) and the same columns with b_;
        token_weights a relation as token_weights() returns it (every token of both sides).
    name_scores holds both names' columns, the components below and name_score. Names are
    tokenized once each, each distinct token pair is compared once, and with min_score a pair
    that provably cannot reach it is not scored in full (docs/matching.md, 4.4).

    Token alignment, weighted by rarity (see docs/matching.md):
        every token of one name is compared with every token of the other (token_similarity),
        except that a token found as it is on the other side is nobody else's approximate
        counterpart; a token counts with its best similarity and its weight, where a token that
        resembles another counts with the lesser weight of the two (a misspelt word is not a
        rare word); a repeated token must be repeated on the other side too;
        per side: coverage = matched weight / weight; missing = weight of the tokens with no
        counterpart / weight, leaving out particles, legal-form words and a patronymic when the
        other name has none (leaving those out does not make another name);
        alignment = the better of, for each side, its coverage minus the other side's missing
        share times a cost: 1 when both sides miss tokens (a word replaced by another: another
        name), otherwise (tokens only one side has: middle names, a branch) the extra-token cost,
        name_extra_token_cost_person (0.15) for a listed person, name_extra_token_cost_organization
        (0.60) otherwise.
    name_score = greatest(alignment, 1 when the compact names are equal with or without their
        legal forms, the compact-name similarity when a single-token name meets a name of more
        tokens and it is at least 0.90 (FRIDRICHBUCHENBERG ~ FRIEDRICH BUCHENBERG)), then:
        numbers in the names disagree               at most 0.60 (veto)
        own name and father's name swapped          at most 0.60 (veto: AHMAD BIN HASAN is not
                                                    HASAN BIN AHMAD, his father or son)
        minus the larger of
          a side has a single token (particles and
          legal-form words aside) and the names are
          not equal                                 single_token_penalty (0.08)
          near brand: not a person, and a registry
          token holding near_brand_share (0.50) of
          the name's weight is matched only by a
          word that looks derived from it (another
          last letter, or one is the start of the
          other) rather than misspelt               near_brand_penalty (0.10) (SAMSUN ~ SAMSUNG)
        minus legal_form_conflict_penalty (0.15) when both legal forms are known and one is a
          non-profit or state enterprise (npo, soe) and the other is not.
    The numbers in parentheses are the defaults in dbt_project.yml. Similarities and weights are
    4-decimal exact decimals, so sums do not depend on row order.
-#}
{% macro score_name_pairs(candidates, a_names, b_names, token_weights, min_score=none) %}
    name_keys_a as (
        -- each party name once, numbered: the work below is keyed by integers, and tokenizes a
        -- name once, not once per candidate pair
        select
            a_names.*,
            cast(row_number() over (order by a_names.party_key) as integer) as a_id
        from {{ a_names }} as a_names
    ),

    name_keys_b as (
        select
            b_names.*,
            cast(row_number() over (order by b_names.name_key) as integer) as b_id
        from {{ b_names }} as b_names
    ),

    pair_ids as (
        select
            name_keys_a.a_id,
            name_keys_b.b_id,
            -- the compact-name rules of the name score can apply (see components)
            coalesce(name_keys_a.a_compact <> '' and (
                name_keys_a.a_compact = name_keys_b.b_compact
                or replace(name_keys_a.a_clean, ' ', '') = replace(name_keys_b.b_clean, ' ', '')
                or (
                    least(name_keys_a.a_token_count, name_keys_b.b_token_count) = 1
                    and name_keys_a.a_token_count <> name_keys_b.b_token_count
                )
            ), false) as compact_rules_apply
        from {{ candidates }} as candidates
        inner join name_keys_a
            on candidates.party_key = name_keys_a.party_key
        inner join name_keys_b
            on candidates.name_key = name_keys_b.name_key
    ),

    a_tokens as (
        select
            a_id,
            token,
            count(*) as occurrences
        from (
            select
                a_id,
                {{ omphalos.unnest_tokens('a_core') }} as token
            from name_keys_a
            where a_core <> ''
        ) as split_a
        group by a_id, token
    ),

    b_tokens as (
        select
            b_id,
            token,
            count(*) as occurrences
        from (
            select
                b_id,
                {{ omphalos.unnest_tokens('b_core') }} as token
            from name_keys_b
            where b_core <> ''
        ) as split_b
        group by b_id, token
    ),

    vocabulary as (
        -- every token of both sides, numbered, with its class and weight (a token missing from
        -- token_weights is a word of weight 1)
        select
            tokens.token,
            cast(row_number() over (order by tokens.token) as integer) as token_id,
            coalesce(weights.token_class, 'word') as token_class,
            coalesce(weights.weight, 1) as weight,
            coalesce(weights.token_class in ('particle', 'legal_form'), false) as is_minor,
            coalesce(weights.is_patronymic, false) as is_patronymic,
            weights.variant_group
        from (
            select token from a_tokens
            union
            select token from b_tokens
        ) as tokens
        left join {{ token_weights }} as weights
            on tokens.token = weights.token
    ),

    a_weighted as (
        select
            a_tokens.a_id,
            a_tokens.occurrences,
            vocabulary.*
        from a_tokens
        inner join vocabulary
            on a_tokens.token = vocabulary.token
    ),

    b_weighted as (
        select
            b_tokens.b_id,
            b_tokens.occurrences,
            vocabulary.*
        from b_tokens
        inner join vocabulary
            on b_tokens.token = vocabulary.token
    ),

    a_name_flags as (
        select
            a_id,
            max(case when is_patronymic then 1 else 0 end) as has_patronymic
        from a_weighted
        group by a_id
    ),

    b_name_flags as (
        select
            b_id,
            max(case when is_patronymic then 1 else 0 end) as has_patronymic
        from b_weighted
        group by b_id
    ),

    distinct_token_pairs as {{ omphalos.materialized_cte() }} (
        -- each distinct (party token, registry token) of the candidate pairs that are not the same
        -- token, streamed once through an aggregate (never held per pair)
        select distinct
            a_weighted.token_id as a_token_id,
            b_weighted.token_id as b_token_id
        from pair_ids
        inner join a_weighted
            on pair_ids.a_id = a_weighted.a_id
        inner join b_weighted
            on pair_ids.b_id = b_weighted.b_id
        where a_weighted.token_id <> b_weighted.token_id
    ),

    token_similarities as {{ omphalos.materialized_cte() }} (
        -- each of them compared once; only the pairs that count for something (similarity > 0)
        -- are kept: unrelated words, the great majority, count for nothing (token_similarity)
        select
            a_token_id,
            b_token_id,
            derived_form,
            sim
        from (
            select
                distinct_token_pairs.a_token_id,
                distinct_token_pairs.b_token_id,
                -- an approximate match where one word looks derived from the other: a different
                -- ending (SAMSUN ~ SAMSUNG, ZENIT ~ ZENITH) rather than a slip inside the word
                (
                    substr(a_vocabulary.token, length(a_vocabulary.token), 1)
                    <> substr(b_vocabulary.token, length(b_vocabulary.token), 1)
                    or substr(a_vocabulary.token, 1, length(b_vocabulary.token)) = b_vocabulary.token
                    or substr(b_vocabulary.token, 1, length(a_vocabulary.token)) = a_vocabulary.token
                ) as derived_form,
                {{ omphalos.sim4(omphalos.token_similarity(
                    'a_vocabulary.token', 'b_vocabulary.token',
                    'a_vocabulary.token_class', 'b_vocabulary.token_class',
                    'a_vocabulary.variant_group', 'b_vocabulary.variant_group',
                    omphalos.token_distance(
                        'a_vocabulary.token', 'b_vocabulary.token',
                        'a_vocabulary.token_class', 'b_vocabulary.token_class',
                        'a_vocabulary.variant_group', 'b_vocabulary.variant_group'
                    )
                )) }} as sim
            from distinct_token_pairs
            inner join vocabulary as a_vocabulary
                on distinct_token_pairs.a_token_id = a_vocabulary.token_id
            inner join vocabulary as b_vocabulary
                on distinct_token_pairs.b_token_id = b_vocabulary.token_id
        ) as compared
        where sim > 0
    ),

    token_matches as {{ omphalos.materialized_cte() }} (
        -- the token pairs of each candidate pair that count for something: the same token on both
        -- sides (similarity 1), and different tokens with a similarity above 0, unless either is
        -- found as it is on the other side: a token matched exactly is nobody else's approximate
        -- counterpart (BASIR matches BASIR, so BASEER cannot match BASIR too)
        select
            pair_ids.a_id,
            pair_ids.b_id,
            a_weighted.token_id as a_token_id,
            b_weighted.token_id as b_token_id,
            false as derived_form,
            cast(1 as decimal(9, 4)) as sim
        from pair_ids
        inner join a_weighted
            on pair_ids.a_id = a_weighted.a_id
        inner join b_weighted
            on pair_ids.b_id = b_weighted.b_id and a_weighted.token_id = b_weighted.token_id

        union all

        select
            pair_ids.a_id,
            pair_ids.b_id,
            token_similarities.a_token_id,
            token_similarities.b_token_id,
            token_similarities.derived_form,
            token_similarities.sim
        from pair_ids
        inner join a_weighted
            on pair_ids.a_id = a_weighted.a_id
        inner join token_similarities
            on a_weighted.token_id = token_similarities.a_token_id
        inner join b_weighted
            on pair_ids.b_id = b_weighted.b_id and token_similarities.b_token_id = b_weighted.token_id
        left join a_weighted as a_has_b_token
            on pair_ids.a_id = a_has_b_token.a_id and token_similarities.b_token_id = a_has_b_token.token_id
        left join b_weighted as b_has_a_token
            on pair_ids.b_id = b_has_a_token.b_id and token_similarities.a_token_id = b_has_a_token.token_id
        where a_has_b_token.token_id is null and b_has_a_token.token_id is null
    ),

    scoring_pairs as (
        {%- if min_score is none %}
        select
            a_id,
            b_id
        from pair_ids
        {%- else %}
        -- Only the pairs that can reach min_score are scored in full. Coverage of a side is at
        -- most the share of its own weight held by tokens with any counterpart (similarities are
        -- at most 1, and a matched token's weight is at most its own; a token with several
        -- counterparts is counted once for each, which only loosens the bound), and the name
        -- score is at most the better coverage unless the compact-name rules apply; a pair below
        -- that bound (less a margin for 4-decimal rounding) and outside those rules cannot be kept.
        select
            matched.a_id,
            matched.b_id
        from (
            select
                token_matches.a_id,
                token_matches.b_id,
                sum(a_weighted.weight * a_weighted.occurrences) as a_matched_weight,
                sum(b_weighted.weight * b_weighted.occurrences) as b_matched_weight
            from token_matches
            inner join a_weighted
                on token_matches.a_id = a_weighted.a_id and token_matches.a_token_id = a_weighted.token_id
            inner join b_weighted
                on token_matches.b_id = b_weighted.b_id and token_matches.b_token_id = b_weighted.token_id
            group by token_matches.a_id, token_matches.b_id
        ) as matched
        inner join (
            select
                a_id,
                sum(weight * occurrences) as total_weight
            from a_weighted
            group by a_id
        ) as a_totals
            on matched.a_id = a_totals.a_id
        inner join (
            select
                b_id,
                sum(weight * occurrences) as total_weight
            from b_weighted
            group by b_id
        ) as b_totals
            on matched.b_id = b_totals.b_id
        where
            matched.a_matched_weight / a_totals.total_weight >= {{ min_score }} - 0.001
            or matched.b_matched_weight / b_totals.total_weight >= {{ min_score }} - 0.001

        union

        select
            a_id,
            b_id
        from pair_ids
        where compact_rules_apply
        {%- endif %}
    ),

    scored_token_matches as (
        -- the token matches of the pairs scored in full, with both tokens' occurrences and the
        -- lesser of their weights
        select
            token_matches.*,
            a_weighted.occurrences as a_occurrences,
            b_weighted.occurrences as b_occurrences,
            least(a_weighted.weight, b_weighted.weight) as pair_weight
        from token_matches
        inner join scoring_pairs
            on token_matches.a_id = scoring_pairs.a_id and token_matches.b_id = scoring_pairs.b_id
        inner join a_weighted
            on token_matches.a_id = a_weighted.a_id and token_matches.a_token_id = a_weighted.token_id
        inner join b_weighted
            on token_matches.b_id = b_weighted.b_id and token_matches.b_token_id = b_weighted.token_id
    ),

    best_a_matches as (
        select
            a_id,
            b_id,
            a_token_id as token_id,
            max(sim) as best,
            max(case when a_token_id = b_token_id then b_occurrences end) as equal_occurrences,
            min(pair_weight) as weight
        from scored_token_matches
        group by a_id, b_id, a_token_id
    ),

    best_b_matches as (
        select
            a_id,
            b_id,
            b_token_id as token_id,
            max(sim) as best,
            max(case when sim < 1 and derived_form then 1 else 0 end) = 1 as derived_form,
            max(case when a_token_id = b_token_id then a_occurrences end) as equal_occurrences,
            min(pair_weight) as weight
        from scored_token_matches
        group by a_id, b_id, b_token_id
    ),

    best_a as (
        -- every token of the party name with its best counterpart in the registry name (0 when
        -- none); a token that resembles another counts with the lesser weight of the two (a
        -- misspelt word is not a rare word). Particles, legal-form words and a patronymic the
        -- other name has none of are never "missing": leaving them out does not make another name.
        select
            pair_ids.a_id,
            pair_ids.b_id,
            a_weighted.token_id,
            a_weighted.occurrences,
            coalesce(best_a_matches.best, 0) as best,
            best_a_matches.equal_occurrences,
            coalesce(best_a_matches.weight, a_weighted.weight) as weight,
            a_weighted.is_minor as minor,
            a_weighted.is_minor or (a_weighted.is_patronymic and b_name_flags.has_patronymic = 0) as optional
        from scoring_pairs as pair_ids
        inner join a_weighted
            on pair_ids.a_id = a_weighted.a_id
        inner join b_name_flags
            on pair_ids.b_id = b_name_flags.b_id
        left join best_a_matches
            on
                pair_ids.a_id = best_a_matches.a_id
                and pair_ids.b_id = best_a_matches.b_id
                and a_weighted.token_id = best_a_matches.token_id
    ),

    best_b as (
        select
            pair_ids.a_id,
            pair_ids.b_id,
            b_weighted.token_id,
            b_weighted.occurrences,
            coalesce(best_b_matches.best, 0) as best,
            coalesce(best_b_matches.derived_form, false) as derived_form,
            best_b_matches.equal_occurrences,
            coalesce(best_b_matches.weight, b_weighted.weight) as weight,
            b_weighted.is_minor as minor,
            b_weighted.is_minor or (b_weighted.is_patronymic and a_name_flags.has_patronymic = 0) as optional
        from scoring_pairs as pair_ids
        inner join b_weighted
            on pair_ids.b_id = b_weighted.b_id
        inner join a_name_flags
            on pair_ids.a_id = a_name_flags.a_id
        left join best_b_matches
            on
                pair_ids.a_id = best_b_matches.a_id
                and pair_ids.b_id = best_b_matches.b_id
                and b_weighted.token_id = best_b_matches.token_id
    ),

    matched_a as (
        select
            *,
            case
                when best = 0 then 0
                when equal_occurrences is not null then least(occurrences, equal_occurrences)
                else occurrences
            end as matched_occurrences
        from best_a
    ),

    matched_b as (
        select
            *,
            case
                when best = 0 then 0
                when equal_occurrences is not null then least(occurrences, equal_occurrences)
                else occurrences
            end as matched_occurrences
        from best_b
    ),

    coverage_a as (
        select
            a_id,
            b_id,
            sum(weight * best * matched_occurrences) / sum(weight * occurrences) as coverage,
            sum(case when optional then 0 else weight * (occurrences - matched_occurrences) end)
            / sum(weight * occurrences) as missing,
            sum(case when minor then 0 else occurrences end) as major_tokens
        from matched_a
        group by a_id, b_id
    ),

    coverage_b as (
        select
            a_id,
            b_id,
            sum(weight * best * matched_occurrences) / sum(weight * occurrences) as coverage,
            sum(case when optional then 0 else weight * (occurrences - matched_occurrences) end)
            / sum(weight * occurrences) as missing,
            max(case when best > 0 and best < 1 and derived_form then weight * occurrences else 0 end)
            / sum(weight * occurrences) as derived_share,
            sum(case when minor then 0 else occurrences end) as major_tokens
        from matched_b
        group by a_id, b_id
    ),

    components as (
        select
            pairs_a.*,
            pairs_b.*,
            {{ omphalos.sim4('coalesce(coverage_a.coverage, 0)') }} as align_ab,
            {{ omphalos.sim4('coalesce(coverage_b.coverage, 0)') }} as align_ba,
            {{ omphalos.sim4('coalesce(coverage_a.missing, 1)') }} as missing_ab,
            {{ omphalos.sim4('coalesce(coverage_b.missing, 1)') }} as missing_ba,
            coalesce(pairs_a.a_compact <> '' and (
                pairs_a.a_compact = pairs_b.b_compact
                or replace(pairs_a.a_clean, ' ', '') = replace(pairs_b.b_clean, ' ', '')
            ), false) as compact_equal,
            case
                when
                    least(pairs_a.a_token_count, pairs_b.b_token_count) = 1
                    and pairs_a.a_token_count <> pairs_b.b_token_count
                    and abs(length(pairs_a.a_compact) - length(pairs_b.b_compact)) <= 2
                    and {{ omphalos.regexp_matches('pairs_a.a_compact', '^[a-z]+$') }}
                    and {{ omphalos.regexp_matches('pairs_b.b_compact', '^[a-z]+$') }}
                    then {{ omphalos.sim4(
                        '1.0 - 1.0 * ' ~ omphalos.edit_distance('pairs_a.a_compact', 'pairs_b.b_compact')
                        ~ ' / greatest(length(pairs_a.a_compact), length(pairs_b.b_compact))'
                    ) }}
                else cast(0 as decimal(9, 4))
            end as compact_similarity,
            coalesce(pairs_a.a_numbers, '') = coalesce(pairs_b.b_numbers, '') as numbers_agree,
            coalesce(
                pairs_a.a_own <> pairs_a.a_father and pairs_a.a_own = pairs_b.b_father and pairs_a.a_father = pairs_b.b_own,
                false
            ) as father_swapped,
            least(
                pairs_a.a_token_count, pairs_b.b_token_count,
                coalesce(coverage_a.major_tokens, 0), coalesce(coverage_b.major_tokens, 0)
            ) <= 1 as single_token,
            coalesce(pairs_b.b_kind, '') <> 'person'
            and coalesce(coverage_b.derived_share, 0) >= {{ var('near_brand_share') }} as near_brand,
            coalesce(
                {{ omphalos.regexp_matches('pairs_a.a_legal_form', '(npo|soe)') }}
                <> {{ omphalos.regexp_matches('pairs_b.b_legal_form', '(npo|soe)') }},
                false
            ) as legal_form_conflict,
            case when pairs_b.b_kind = 'person'
                then {{ var('name_extra_token_cost_person') }}
                else {{ var('name_extra_token_cost_organization') }}
            end as extra_token_cost
        from scoring_pairs
        inner join name_keys_a as pairs_a
            on scoring_pairs.a_id = pairs_a.a_id
        inner join name_keys_b as pairs_b
            on scoring_pairs.b_id = pairs_b.b_id
        left join coverage_a
            on scoring_pairs.a_id = coverage_a.a_id and scoring_pairs.b_id = coverage_a.b_id
        left join coverage_b
            on scoring_pairs.a_id = coverage_b.a_id and scoring_pairs.b_id = coverage_b.b_id
    ),

    base_scores as (
        select
            *,
            {{ omphalos.sim4(
                'greatest(
                    0,
                    align_ab - missing_ba * case when missing_ab > 0 then 1 else extra_token_cost end,
                    align_ba - missing_ab * case when missing_ba > 0 then 1 else extra_token_cost end
                )'
            ) }} as alignment
        from components
    ),

    scored as (
        select
            *,
            cast(greatest(0, least(
                case when not numbers_agree or father_swapped then 0.60 else 1.00 end,
                greatest(
                    alignment,
                    case when compact_equal then 1.00 else 0 end,
                    case when compact_similarity >= 0.90 then compact_similarity else 0 end
                )
                - greatest(
                    case
                        when single_token and not compact_equal and compact_similarity < 0.90
                            then {{ var('single_token_penalty') }}
                        else 0
                    end,
                    case when near_brand and not compact_equal then {{ var('near_brand_penalty') }} else 0 end
                )
                - case when legal_form_conflict then {{ var('legal_form_conflict_penalty') }} else 0 end
            )) as decimal(9, 4)) as name_score
        from base_scores
    ),

    kept_scores as (
        select * from scored
        {%- if min_score is not none %}
        where name_score >= {{ min_score }}
        {%- endif %}
    ),

    matched_token_lists as (
        -- the party name's tokens with a counterpart of similarity 0.9 or more, for the reviewer
        -- (only for the pairs kept)
        select
            token_matches.a_id,
            token_matches.b_id,
            {{ omphalos.string_agg_sorted("vocabulary.token", ' ') }} as matched_tokens
        from token_matches
        inner join (select distinct a_id, b_id from kept_scores) as kept
            on token_matches.a_id = kept.a_id and token_matches.b_id = kept.b_id
        inner join vocabulary
            on token_matches.a_token_id = vocabulary.token_id
        where token_matches.sim >= 0.9
        group by token_matches.a_id, token_matches.b_id
    ),

    name_scores as (
        select
            kept_scores.*,
            {{ omphalos.sim4(omphalos.jaro_winkler('kept_scores.a_sorted', 'kept_scores.b_sorted')) }} as jw_sorted,
            matched_token_lists.matched_tokens
        from kept_scores
        left join matched_token_lists
            on kept_scores.a_id = matched_token_lists.a_id and kept_scores.b_id = matched_token_lists.b_id
    )
{% endmacro %}
