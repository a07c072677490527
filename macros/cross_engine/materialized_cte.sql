{#-
    A CTE the engine must compute once: PostgreSQL inlines a CTE referenced once, and the chained
    normalization CTEs then grow into one expression of exponential size. DuckDB needs nothing.
    Use as: name as {{ omphalos.materialized_cte() }} (select ...)
-#}
{% macro materialized_cte() %}
    {{- return(adapter.dispatch('materialized_cte', 'omphalos')()) -}}
{% endmacro %}

{% macro default__materialized_cte() %}{{ omphalos.unsupported_adapter('materialized_cte') }}{% endmacro %}

{% macro duckdb__materialized_cte() %}{% endmacro %}

{% macro postgres__materialized_cte() %}materialized{% endmacro %}

{% macro spark__materialized_cte() %}{% endmacro %}
