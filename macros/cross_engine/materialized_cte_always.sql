{#-
    A CTE that the engine must compute once and on its own, whatever its planner would choose:
    `materialized` on DuckDB (which may otherwise inline each reference: the stage 8 CTE inlined
    twice at 10M shipments held both sides' aggregations at once and did not spill within the
    memory limit; or, for a CTE read once, join in another order: scoring stage 6 and
    int_name_candidates_keyed made tens of millions of rows that way) and PostgreSQL; Spark SQL
    has no such hint.
    Use as: name as {{ omphalos.materialized_cte_always() }} (select ...)
-#}
{% macro materialized_cte_always() %}
    {{- return(adapter.dispatch('materialized_cte_always', 'omphalos')()) -}}
{% endmacro %}

{% macro default__materialized_cte_always() %}{{ omphalos.unsupported_adapter('materialized_cte_always') }}{% endmacro %}

{% macro duckdb__materialized_cte_always() %}materialized{% endmacro %}

{% macro postgres__materialized_cte_always() %}materialized{% endmacro %}

{% macro spark__materialized_cte_always() %}{% endmacro %}
