{#- map_words(expr, var, body): body (an expression of var) applied to each space-separated word. -#}
{% macro map_words(expr, var, body) %}
    {{- return(adapter.dispatch('map_words', 'omphalos')(expr, var, body)) -}}
{% endmacro %}

{% macro default__map_words(expr, var, body) %}{{ omphalos.unsupported_adapter('map_words') }}{% endmacro %}

{% macro duckdb__map_words(expr, var, body) -%}
array_to_string(list_transform(string_split({{ expr }}, ' '), lambda {{ var }}: {{ body }}), ' ')
{%- endmacro %}

{% macro postgres__map_words(expr, var, body) -%}
(select coalesce(string_agg({{ body }}, ' ' order by {{ var }}_ord), '') from unnest(string_to_array({{ expr }}, ' ')) with ordinality as {{ var }}_t ({{ var }}, {{ var }}_ord))
{%- endmacro %}

{% macro spark__map_words(expr, var, body) -%}
array_join(transform(split({{ expr }}, ' ', -1), {{ var }} -> {{ body }}), ' ')
{%- endmacro %}
