{#-
    A set-returning expression in a select list: one row per space-separated token of expr.
    Use as: select {{ omphalos.unnest_tokens('name_core') }} as token from ...
-#}
{% macro unnest_tokens(expr) %}
    {{ return(adapter.dispatch('unnest_tokens', 'omphalos')(expr)) }}
{% endmacro %}

{% macro default__unnest_tokens(expr) %}{{ omphalos.unsupported_adapter('unnest_tokens') }}{% endmacro %}

{% macro duckdb__unnest_tokens(expr) %}unnest({{ omphalos.split_tokens(expr) }}){% endmacro %}

{% macro postgres__unnest_tokens(expr) %}unnest({{ omphalos.split_tokens(expr) }}){% endmacro %}

{% macro spark__unnest_tokens(expr) %}explode({{ omphalos.split_tokens(expr) }}){% endmacro %}
