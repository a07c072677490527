{#- A similarity rounded to 4 decimals as an exact decimal (token weights). -#}
{% macro sim4(expr) %}{{ omphalos.round4(expr) }}{% endmacro %}

{#-
    token_weights(names, reference=none, count_names=true): one row per distinct token of the
    name_core column of `names` (a relation or CTE: the registry's names, or every name in play),
    with
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
        reference_count the token's count in `reference` (0 when not given or not listed), and
                    family_count the part of it held as a family name (`reference` needs both);
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
        variants.variant_group,
        {{ 'coalesce(reference_counts.reference_count, 0)' if reference is not none else '0' }} as reference_count,
        {{ 'coalesce(reference_counts.family_count, 0)' if reference is not none else '0' }} as family_count
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
