{#- The text captured by group 1 of a regular expression, or '' when it does not match. -#}
{% macro regexp_group(expr, pattern) %}
    {{ return(adapter.dispatch('regexp_group', 'omphalos')(expr, pattern)) }}
{% endmacro %}

{% macro default__regexp_group(expr, pattern) %}{{ omphalos.unsupported_adapter('regexp_group') }}{% endmacro %}

{% macro duckdb__regexp_group(expr, pattern) %}regexp_extract({{ expr }}, '{{ pattern }}', 1){% endmacro %}

{% macro postgres__regexp_group(expr, pattern) %}coalesce((regexp_match({{ expr }}, '{{ pattern }}'))[1], ''){% endmacro %}

{% macro spark__regexp_group(expr, pattern) %}regexp_extract({{ expr }}, {{ omphalos.spark__regex_literal(pattern) }}, 1){% endmacro %}
