{#- The SQL name of an unbounded string type (Spark's varchar needs a length). -#}
{% macro string_type() %}
    {{- return(adapter.dispatch('string_type', 'omphalos')()) -}}
{% endmacro %}

{% macro default__string_type() %}{{ omphalos.unsupported_adapter('string_type') }}{% endmacro %}

{% macro duckdb__string_type() %}{{ return('varchar') }}{% endmacro %}

{% macro postgres__string_type() %}{{ return('varchar') }}{% endmacro %}

{% macro spark__string_type() %}{{ return('string') }}{% endmacro %}
