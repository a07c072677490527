{#- Boolean: expr matches the regular expression (a literal). -#}
{% macro regexp_matches(expr, pattern) %}
    {{ return(adapter.dispatch('regexp_matches', 'omphalos')(expr, pattern)) }}
{% endmacro %}

{% macro default__regexp_matches(expr, pattern) %}{{ omphalos.unsupported_adapter('regexp_matches') }}{% endmacro %}

{% macro duckdb__regexp_matches(expr, pattern) %}regexp_matches({{ expr }}, '{{ pattern }}'){% endmacro %}

{% macro postgres__regexp_matches(expr, pattern) %}({{ expr }} ~ '{{ pattern }}'){% endmacro %}

{% macro spark__regexp_matches(expr, pattern) %}regexp_like({{ expr }}, {{ omphalos.spark__regex_literal(pattern) }}){% endmacro %}
