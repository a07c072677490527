{#-
    Name normalization (macros/normalize/), shared by party names and registry names (one
    implementation): normalized_names.sql runs the steps; each other file is one kind of step.

    Reference data lives in seeds (fold_chars, confusable_chars, translit_chars, legal_forms). The
    normalization macros read a seed at compile time (seed_rows, here) and inline it into the SQL
    as literals (the builders below): a pattern or map read from a table column at run time is
    ~60x slower in DuckDB.
-#}
{% macro seed_rows(seed_name, columns, order_by) %}
    {#-
        In a unit test, ref() of any input (seeds too) is the test's fixture: a CTE of the test
        query, which this separate compile-time query cannot see, and ref() of a seed the test does
        not give fails. The seeds are reference data, not test input, so a unit test reads the seed
        as built in the warehouse (schema `reference`, see seeds: in dbt_project.yml): unit tests
        need `dbt seed` or `dbt build` to have run, and need not give the seeds. Elsewhere ref()
        is called at parse time too, so that a model using a seed through these macros depends on
        it (no depends_on comment needed).
    -#}
    {% set in_unit_test = model is mapping and model.get('resource_type') == 'unit_test' %}
    {% set seed_relation = none if in_unit_test else ref(seed_name) %}
    {% if not execute %}{{ return([]) }}{% endif %}
    {% if in_unit_test or seed_relation.is_cte %}
        {% set seed_relation = adapter.get_relation(
            database=target.database,
            schema=generate_schema_name('reference', none) | trim,
            identifier=seed_name
        ) %}
        {% if seed_relation is none %}
            {{ exceptions.raise_compiler_error(
                "omphalos: seed '" ~ seed_name ~ "' is not in the warehouse. Name normalization reads it"
                ~ " at compile time, in unit tests too: run `dbt seed` (or `dbt build`) first."
            ) }}
        {% endif %}
    {% endif %}
    {% set sql %}
        select {{ columns | join(', ') }} from {{ seed_relation }} order by {{ order_by }}
    {% endset %}
    {% set result = run_query(sql) %}
    {{ return(result.rows) }}
{% endmacro %}

{%- macro sql_literal(value) -%}
'{{ (value or '') | replace("'", "''") }}'
{%- endmacro -%}

{#- A SQL IN-list, '(...)', of text literals (compile time). -#}
{% macro sql_in_list(values) %}
    {%- set quoted = [] -%}
    {%- for v in values -%}{%- do quoted.append(omphalos.sql_literal(v)) -%}{%- endfor -%}
    ({{ quoted | join(', ') if quoted else "''" }})
{%- endmacro %}

{#- A one-column VALUES list, '(values (0), (1), ...)', of integers (compile time). -#}
{% macro sql_integer_values(values) %}
    {%- set rows = [] -%}
    {%- for v in values -%}{%- do rows.append('(' ~ (v | int) ~ ')') -%}{%- endfor -%}
    (values {{ rows | join(', ') }})
{%- endmacro %}

{#- A one-column VALUES list, '(values (...), (...))', of text literals (compile time). -#}
{% macro sql_values(values) %}
    {%- set rows = [] -%}
    {%- for v in values -%}{%- do rows.append('(' ~ omphalos.sql_literal(v) ~ ')') -%}{%- endfor -%}
    (values {{ rows | join(', ') if rows else "('')" }})
{%- endmacro %}
