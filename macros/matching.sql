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

{#- A similarity rounded to 4 decimals as an exact decimal, so sums are order-independent. -#}
{% macro sim4(expr) %}{{ omphalos.round4(expr) }}{% endmacro %}

{#-
    token_weights(names): one row per distinct token of the name_core column of `names` (a
    relation or CTE holding every name in play, both sides), with
        name_count  number of distinct names (name_core values) that contain the token;
        token_class legal_form  a word of a legal form left in the name (OOO, COMPANY, JOINT), or a
                                misspelling of one of 5+ letters (one edit, or one in seven:
                                JOYNT, AKTIENGESELSCHAFT);
                    particle    seed name_particles (THE, OF, AL, BIN, DR, SHEIKH);
                    word        letters a-z;
                    number      has a digit;
                    other       letters of a script the seed does not transliterate;
        weight      rarity: 1 / sqrt(name_count), at least name_weight_floor (0.05); legal-form
                    words weigh legal_form_token_weight (0.02) and particles particle_token_weight
                    (0.05) whatever their frequency: they never make two names the same party
                    (nor different ones);
        is_patronymic a word ending like a patronymic (-OVICH, -EVNA, -OGLY, -KYZY);
        variant_group the group of the token in seed given_name_variants (JOHN, JUAN, IVAN, JEAN
                    are john; TED, THEODORE, FYODOR are theodore), null if none.
-#}
{% macro token_weights(names) %}
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
            else {{ omphalos.sim4('greatest(' ~ var('name_weight_floor') ~ ', 1.0 / sqrt(counted.name_count))') }}
        end as weight,
        counted.token_class = 'word'
        and {{ omphalos.regexp_matches('counted.token', '(ovich|evich|ovitch|evitch|ovna|evna|ichna|ogly|oglu|kyzy|qizi)$') }}
            as is_patronymic,
        variants.variant_group
    from (
        select
            token,
            count(*) as name_count,
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
    score_name_pairs(pairs, token_weights): CTEs ending in `name_scores`, one row per
    (party_key, name_key) of the pairs relation, which must have columns party_key, name_key,
    b_kind (the listed entity's kind: person, organization, vessel, aircraft) and for each side
    (a_ = party, b_ = registry): clean, core, sorted, compact, numbers, token_count, legal_form,
    own, father (see normalized_names).
    token_weights is a relation as token_weights() returns it (every token of both sides).

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
{% macro score_name_pairs(pairs, token_weights) %}
    a_tokens as (
        select
            party_key,
            name_key,
            token,
            count(*) as occurrences
        from (
            select
                party_key,
                name_key,
                {{ omphalos.unnest_tokens('a_core') }} as token
            from {{ pairs }}
            where a_core <> ''
        ) as split_a
        group by party_key, name_key, token
    ),

    b_tokens as (
        select
            party_key,
            name_key,
            token,
            count(*) as occurrences
        from (
            select
                party_key,
                name_key,
                {{ omphalos.unnest_tokens('b_core') }} as token
            from {{ pairs }}
            where b_core <> ''
        ) as split_b
        group by party_key, name_key, token
    ),

    a_weighted as (
        select
            a_tokens.*,
            coalesce(weights.token_class, 'word') as token_class,
            coalesce(weights.weight, 1) as weight,
            coalesce(weights.token_class in ('particle', 'legal_form'), false) as is_minor,
            coalesce(weights.is_patronymic, false) as is_patronymic,
            weights.variant_group
        from a_tokens
        left join {{ token_weights }} as weights
            on a_tokens.token = weights.token
    ),

    b_weighted as (
        select
            b_tokens.*,
            coalesce(weights.token_class, 'word') as token_class,
            coalesce(weights.weight, 1) as weight,
            coalesce(weights.token_class in ('particle', 'legal_form'), false) as is_minor,
            coalesce(weights.is_patronymic, false) as is_patronymic,
            weights.variant_group
        from b_tokens
        left join {{ token_weights }} as weights
            on b_tokens.token = weights.token
    ),

    equal_tokens as (
        -- tokens found as they are on the other side: they are not available as an approximate
        -- counterpart of another token (BASIR matches BASIR, so BASEER cannot match BASIR too)
        select
            a_weighted.party_key,
            a_weighted.name_key,
            a_weighted.token
        from a_weighted
        inner join b_weighted
            on
                a_weighted.party_key = b_weighted.party_key
                and a_weighted.name_key = b_weighted.name_key
                and a_weighted.token = b_weighted.token
    ),

    token_pairs_compared as (
        select
            a_weighted.party_key,
            a_weighted.name_key,
            a_weighted.token as a_token,
            b_weighted.token as b_token,
            a_weighted.occurrences as a_occurrences,
            b_weighted.occurrences as b_occurrences,
            a_weighted.weight as a_weight,
            b_weighted.weight as b_weight,
            a_weighted.token_class as a_class,
            b_weighted.token_class as b_class,
            a_weighted.variant_group as a_group,
            b_weighted.variant_group as b_group,
            a_weighted.is_minor as a_minor,
            b_weighted.is_minor as b_minor,
            a_weighted.is_patronymic as a_patronymic,
            b_weighted.is_patronymic as b_patronymic,
            a_equal.token is not null or b_equal.token is not null as either_equal,
            {{ omphalos.token_distance(
                'a_weighted.token', 'b_weighted.token', 'a_weighted.token_class', 'b_weighted.token_class',
                'a_weighted.variant_group', 'b_weighted.variant_group'
            ) }} as distance
        from a_weighted
        inner join b_weighted
            on
                a_weighted.party_key = b_weighted.party_key
                and a_weighted.name_key = b_weighted.name_key
        left join equal_tokens as a_equal
            on
                a_weighted.party_key = a_equal.party_key
                and a_weighted.name_key = a_equal.name_key
                and a_weighted.token = a_equal.token
        left join equal_tokens as b_equal
            on
                b_weighted.party_key = b_equal.party_key
                and b_weighted.name_key = b_equal.name_key
                and b_weighted.token = b_equal.token
    ),

    token_pairs as (
        select
            *,
            max(case when a_patronymic then 1 else 0 end) over (partition by party_key, name_key)
                as a_has_patronymic,
            max(case when b_patronymic then 1 else 0 end) over (partition by party_key, name_key)
                as b_has_patronymic,
            -- an approximate match where one word looks derived from the other: a different
            -- ending (SAMSUN ~ SAMSUNG, ZENIT ~ ZENITH) rather than a slip inside the word
            a_token <> b_token and (
                substr(a_token, length(a_token), 1) <> substr(b_token, length(b_token), 1)
                or substr(a_token, 1, length(b_token)) = b_token
                or substr(b_token, 1, length(a_token)) = a_token
            ) as derived_form,
            case
                when a_token <> b_token and either_equal then 0
                else {{ omphalos.sim4(omphalos.token_similarity(
                    'a_token', 'b_token', 'a_class', 'b_class', 'a_group', 'b_group', 'distance'
                )) }}
            end as sim
        from token_pairs_compared
    ),

    best_a as (
        select
            party_key,
            name_key,
            a_token as token,
            max(a_occurrences) as occurrences,
            max(sim) as best,
            max(case when a_token = b_token then b_occurrences end) as equal_occurrences,
            coalesce(min(case when sim > 0 then least(a_weight, b_weight) end), max(a_weight)) as weight,
            -- particles, legal-form words and a patronymic the other name has none of are never
            -- "missing": leaving them out does not make another name
            max(case when a_minor then 1 else 0 end) = 1 as minor,
            max(case when a_minor or (a_patronymic and b_has_patronymic = 0) then 1 else 0 end) = 1
                as optional
        from token_pairs
        group by party_key, name_key, a_token
    ),

    best_b as (
        select
            party_key,
            name_key,
            b_token as token,
            max(b_occurrences) as occurrences,
            max(sim) as best,
            max(case when sim > 0 and sim < 1 and derived_form then 1 else 0 end) = 1 as derived_form,
            max(case when a_token = b_token then a_occurrences end) as equal_occurrences,
            coalesce(min(case when sim > 0 then least(a_weight, b_weight) end), max(b_weight)) as weight,
            -- particles, legal-form words and a patronymic the other name has none of are never
            -- "missing": leaving them out does not make another name
            max(case when b_minor then 1 else 0 end) = 1 as minor,
            max(case when b_minor or (b_patronymic and a_has_patronymic = 0) then 1 else 0 end) = 1
                as optional
        from token_pairs
        group by party_key, name_key, b_token
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
            party_key,
            name_key,
            sum(weight * best * matched_occurrences) / sum(weight * occurrences) as coverage,
            sum(case when optional then 0 else weight * (occurrences - matched_occurrences) end)
            / sum(weight * occurrences) as missing,
            {{ omphalos.string_agg_sorted("case when best >= 0.9 then token end", ' ') }} as matched_tokens,
            sum(case when minor then 0 else occurrences end) as major_tokens
        from matched_a
        group by party_key, name_key
    ),

    coverage_b as (
        select
            party_key,
            name_key,
            sum(weight * best * matched_occurrences) / sum(weight * occurrences) as coverage,
            sum(case when optional then 0 else weight * (occurrences - matched_occurrences) end)
            / sum(weight * occurrences) as missing,
            max(case when best > 0 and best < 1 and derived_form then weight * occurrences else 0 end)
            / sum(weight * occurrences) as derived_share,
            sum(case when minor then 0 else occurrences end) as major_tokens
        from matched_b
        group by party_key, name_key
    ),

    components as (
        select
            pairs.*,
            {{ omphalos.sim4(omphalos.jaro_winkler('pairs.a_sorted', 'pairs.b_sorted')) }} as jw_sorted,
            {{ omphalos.sim4('coalesce(coverage_a.coverage, 0)') }} as align_ab,
            {{ omphalos.sim4('coalesce(coverage_b.coverage, 0)') }} as align_ba,
            {{ omphalos.sim4('coalesce(coverage_a.missing, 1)') }} as missing_ab,
            {{ omphalos.sim4('coalesce(coverage_b.missing, 1)') }} as missing_ba,
            coverage_a.matched_tokens,
            coalesce(pairs.a_compact <> '' and (
                pairs.a_compact = pairs.b_compact
                or replace(pairs.a_clean, ' ', '') = replace(pairs.b_clean, ' ', '')
            ), false) as compact_equal,
            case
                when
                    least(pairs.a_token_count, pairs.b_token_count) = 1
                    and pairs.a_token_count <> pairs.b_token_count
                    and abs(length(pairs.a_compact) - length(pairs.b_compact)) <= 2
                    and {{ omphalos.regexp_matches('pairs.a_compact', '^[a-z]+$') }}
                    and {{ omphalos.regexp_matches('pairs.b_compact', '^[a-z]+$') }}
                    then {{ omphalos.sim4(
                        '1.0 - 1.0 * ' ~ omphalos.edit_distance('pairs.a_compact', 'pairs.b_compact')
                        ~ ' / greatest(length(pairs.a_compact), length(pairs.b_compact))'
                    ) }}
                else cast(0 as decimal(9, 4))
            end as compact_similarity,
            coalesce(pairs.a_numbers, '') = coalesce(pairs.b_numbers, '') as numbers_agree,
            coalesce(
                pairs.a_own <> pairs.a_father and pairs.a_own = pairs.b_father and pairs.a_father = pairs.b_own,
                false
            ) as father_swapped,
            least(
                pairs.a_token_count, pairs.b_token_count,
                coalesce(coverage_a.major_tokens, 0), coalesce(coverage_b.major_tokens, 0)
            ) <= 1 as single_token,
            coalesce(pairs.b_kind, '') <> 'person'
            and coalesce(coverage_b.derived_share, 0) >= {{ var('near_brand_share') }} as near_brand,
            coalesce(
                {{ omphalos.regexp_matches('pairs.a_legal_form', '(npo|soe)') }}
                <> {{ omphalos.regexp_matches('pairs.b_legal_form', '(npo|soe)') }},
                false
            ) as legal_form_conflict,
            case when pairs.b_kind = 'person'
                then {{ var('name_extra_token_cost_person') }}
                else {{ var('name_extra_token_cost_organization') }}
            end as extra_token_cost
        from {{ pairs }} as pairs
        left join coverage_a
            on pairs.party_key = coverage_a.party_key and pairs.name_key = coverage_a.name_key
        left join coverage_b
            on pairs.party_key = coverage_b.party_key and pairs.name_key = coverage_b.name_key
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

    name_scores as (
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
    )
{% endmacro %}
