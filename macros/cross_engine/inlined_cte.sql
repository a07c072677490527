{#-
    A CTE referenced more than once that the engine should not compute and hold on its own, but
    read again where it is used: `not materialized` on DuckDB and PostgreSQL (both keep such a CTE
    whole by default); Spark SQL always inlines and has no such hint. For a CTE that is a plain
    import of a large table: entity_matches' shipment parties (29.5M rows at 10M shipments) were
    copied whole before the two joins that read them.
    Use as: name as {{ omphalos.inlined_cte() }} (select ...)
-#}
{% macro inlined_cte() %}
    {{- return(adapter.dispatch('inlined_cte', 'omphalos')()) -}}
{% endmacro %}

{% macro default__inlined_cte() %}{{ omphalos.unsupported_adapter('inlined_cte') }}{% endmacro %}

{% macro duckdb__inlined_cte() %}not materialized{% endmacro %}

{% macro postgres__inlined_cte() %}not materialized{% endmacro %}

{% macro spark__inlined_cte() %}{% endmacro %}
