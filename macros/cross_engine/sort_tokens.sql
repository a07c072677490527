{#- Space-separated tokens of expr, sorted in byte order, joined by one space. -#}
{% macro sort_tokens(expr) %}
    {{ return(adapter.dispatch('sort_tokens', 'omphalos')(expr)) }}
{% endmacro %}

{% macro default__sort_tokens(expr) %}{{ omphalos.unsupported_adapter('sort_tokens') }}{% endmacro %}

{% macro duckdb__sort_tokens(expr) %}array_to_string(list_sort(string_split({{ expr }}, ' ')), ' '){% endmacro %}

{% macro postgres__sort_tokens(expr) %}array_to_string(array(select t from unnest(string_to_array({{ expr }}, ' ')) as t order by t collate "C"), ' '){% endmacro %}

{% macro spark__sort_tokens(expr) %}array_join(array_sort(split({{ expr }}, ' ', -1)), ' '){% endmacro %}
