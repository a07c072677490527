{#-
    Stage 1 (int_name_keys_numbered): every name of both sides once, numbered within its side, so
    that the stages after it join and group on integers.
        a_names, b_names  relations of one row per name_key with name_kind (the listed entity's
                          kind on side b, null on side a) and the normalized columns
                          (macros/normalize.sql): name_clean, name_core, name_sorted, name_compact,
                          name_numbers, token_count, legal_form, name_own, name_father.
    name_syllables: the syllables of a name romanized from Chinese or Korean, else null
    (macros/scoring/romanized_names.sql).
    Side a is the screened side (party names), side b the listed side (registry names).
-#}
{% macro scoring_names_numbered(a_names, b_names) %}
    {%- for side, names in [('a', a_names), ('b', b_names)] %}
        {%- if not loop.first %}

    union all

        {% endif %}
    select
        '{{ side }}' as side,
        name_key,
        cast(row_number() over (order by name_key) as integer) as name_id,
        name_kind,
        name_clean,
        name_core,
        name_sorted,
        name_compact,
        name_numbers,
        token_count,
        legal_form,
        name_own,
        name_father,
        {{ omphalos.romanized_syllables('name_core') }} as name_syllables
    from {{ names }}
    {%- endfor %}
{% endmacro %}
