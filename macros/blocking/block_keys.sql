{#- Blocking keys (docs/matching.md, 3). -#}

{#-
    block_keys(relation, key_column): rows (name_key, block_key) for a normalized-name relation.
    Keys: the compact name (c:); each token of 3+ characters (t:), and for an a-z token of 5+
    letters also the token with one letter deleted, at each position, so that two tokens one
    substitution, insertion, deletion or swap of neighbours apart share a t: key (PETROEUM ~
    PETROLEUM, TOILD ~ TOLID, both TOID); the 4-character prefix of each token of 5+ characters
    (p:); the consonant skeleton of the compact name (s:); and each pair of tokens of 3+
    characters, in byte order (w:): a pair of words is rare where each word alone is too common to
    block on (ALLOYS and KVANT are in many names, ALLOYS KVANT in few), whatever the word order;
    and for a name romanized from Chinese or Korean (macros/scoring/romanized_names.sql) the
    syllable classes of its syllables (r:, seed romanized_syllables), sorted: HSI CHIN PING and XI
    JINPING share one though they share no word.
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

    union

    select
        syllables.name_key,
        'r:' || {{ omphalos.string_agg_sorted('classes.syllable_class', ' ') }} as block_key
    from (
        select
            romanized.name_key,
            split_part(romanized.name_syllables, ' ', positions.position) as syllable
        from (
            select
                {{ key_column }} as name_key,
                {{ omphalos.romanized_syllables('name_core') }} as name_syllables
            from {{ relation }}
            where name_core <> ''
        ) as romanized
        inner join {{ omphalos.sql_integer_values(range(1, var('romanized_max_syllables') + 1)) }} as positions (position)
            on positions.position <= length(romanized.name_syllables) - length(replace(romanized.name_syllables, ' ', '')) + 1
        where
            romanized.name_syllables is not null
            and length(romanized.name_syllables) - length(replace(romanized.name_syllables, ' ', ''))
            < {{ var('romanized_max_syllables') }}
    ) as syllables
    inner join {{ omphalos.romanized_classes_values() }} as classes (spelling, syllable_class)
        on syllables.syllable = classes.spelling
    group by 1
{% endmacro %}
