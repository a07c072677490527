{#- Replace every match of a regular expression (pattern is a literal, inlined). -#}
{% macro regexp_replace_all(expr, pattern, replacement) %}
    {{ return(adapter.dispatch('regexp_replace_all', 'omphalos')(expr, pattern, replacement)) }}
{% endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) %}{{ omphalos.unsupported_adapter('regexp_replace_all') }}{% endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g'){% endmacro %}

{% macro postgres__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g'){% endmacro %}

{% macro spark__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, {{ omphalos.spark__regex_literal(pattern) }}, '{{ replacement }}'){% endmacro %}
