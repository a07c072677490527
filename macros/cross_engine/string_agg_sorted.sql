{#- Ordered, delimiter-joined aggregate of distinct text values (deterministic). -#}
{% macro string_agg_sorted(expr, delimiter) %}
    {{ return(adapter.dispatch('string_agg_sorted', 'omphalos')(expr, delimiter)) }}
{% endmacro %}

{% macro default__string_agg_sorted(expr, delimiter) %}{{ omphalos.unsupported_adapter('string_agg_sorted') }}{% endmacro %}

{#- duckdb: an ordered string_agg(distinct ...) is several times slower than sorting a list -#}
{% macro duckdb__string_agg_sorted(expr, delimiter) -%}
array_to_string(list_sort(list_distinct(list({{ expr }}) filter (where ({{ expr }}) is not null))), '{{ delimiter }}')
{%- endmacro %}

{% macro postgres__string_agg_sorted(expr, delimiter) %}string_agg(distinct ({{ expr }}) collate "C", '{{ delimiter }}' order by ({{ expr }}) collate "C"){% endmacro %}

{#-
    collect_set drops nulls, as string_agg does; array_sort orders strings by bytes. string_agg of
    no (non-null) values is null, where array_join of an empty array is ''.
-#}
{% macro spark__string_agg_sorted(expr, delimiter) %}case when count({{ expr }}) > 0 then array_join(array_sort(collect_set({{ expr }})), '{{ delimiter }}') end{% endmacro %}
