{#-
    Stage 3 (int_name_vocabulary): every token of the names of both sides once, numbered, with its
    class and its weight in integer units (a token missing from token_weights is a word of weight
    1). is_minor: a particle or a legal-form word (never "missing", never a name's only token).
    is_family_name: a common family name, held as one by at least family_name_reference_min of the
    reference's 100,000 people's names and at least as often as a given name (seed
    name_token_frequencies: PENG, SANCHEZ; not SERENA, PEDRO).
-#}
{% macro scoring_vocabulary(names, token_weights) %}
    select
        tokens.token,
        cast(row_number() over (order by tokens.token) as integer) as token_id,
        coalesce(weights.token_class, 'word') as token_class,
        coalesce({{ omphalos.quantize('weights.weight') }}, {{ omphalos.score_unit() }}) as weight,
        coalesce(weights.token_class in ('particle', 'legal_form'), false) as is_minor,
        coalesce(weights.is_patronymic, false) as is_patronymic,
        weights.variant_group,
        coalesce(
            weights.family_count >= {{ var('family_name_reference_min') }}
            and 2 * weights.family_count >= weights.reference_count,
            false
        ) as is_family_name
    from (
        select distinct {{ omphalos.unnest_tokens('name_core') }} as token
        from {{ names }}
        where name_core <> ''
    ) as tokens
    left join {{ token_weights }} as weights
        on tokens.token = weights.token
{% endmacro %}
