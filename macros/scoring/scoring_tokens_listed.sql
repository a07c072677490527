{#-
    Stage 4 (int_name_tokens_listed): the tokens of each name of both sides, keyed by integers:
    (side, name_id, token_id) with the token's occurrences in the name and, from the vocabulary,
    its weight (units), is_minor and is_patronymic, and is_first: the token is the name's first
    word as written.
-#}
{% macro scoring_tokens_listed(names, vocabulary) %}
    select
        counted.side,
        counted.name_id,
        vocabulary.token_id,
        counted.occurrences,
        vocabulary.weight,
        vocabulary.is_minor,
        vocabulary.is_patronymic,
        counted.is_first
    from (
        select
            side,
            name_id,
            token,
            count(*) as occurrences,
            max(case when token = first_word then 1 else 0 end) = 1 as is_first
        from (
            select
                side,
                name_id,
                split_part(name_core, ' ', 1) as first_word,
                {{ omphalos.unnest_tokens('name_core') }} as token
            from {{ names }}
            where name_core <> ''
        ) as split_names
        group by 1, 2, 3
    ) as counted
    inner join {{ vocabulary }} as vocabulary
        on counted.token = vocabulary.token
{% endmacro %}
