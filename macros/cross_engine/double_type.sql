{#- The SQL name of the double-precision floating-point type. -#}
{% macro double_type() %}
    {{- return(adapter.dispatch('double_type', 'omphalos')()) -}}
{% endmacro %}

{% macro default__double_type() %}{{ omphalos.unsupported_adapter('double_type') }}{% endmacro %}

{% macro duckdb__double_type() %}{{ return('double precision') }}{% endmacro %}

{% macro postgres__double_type() %}{{ return('double precision') }}{% endmacro %}

{% macro spark__double_type() %}{{ return('double') }}{% endmacro %}
