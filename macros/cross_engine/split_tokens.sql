{#- A text expression split on single spaces into an array; use as unnest({{ split_tokens(x) }}). -#}
{% macro split_tokens(expr) %}
    {{ return(adapter.dispatch('split_tokens', 'omphalos')(expr)) }}
{% endmacro %}

{% macro default__split_tokens(expr) %}{{ omphalos.unsupported_adapter('split_tokens') }}{% endmacro %}

{% macro duckdb__split_tokens(expr) %}string_split({{ expr }}, ' '){% endmacro %}

{% macro postgres__split_tokens(expr) %}string_to_array({{ expr }}, ' '){% endmacro %}

{#- split() takes a regular expression; a single space is one. Strings compare in byte order. -#}
{% macro spark__split_tokens(expr) %}split({{ expr }}, ' ', -1){% endmacro %}
