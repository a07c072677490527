{#- Gather planner statistics for a table just built (a model's post_hook). Postgres: analyze
    (a view has no statistics of its own: none); other engines: none (an empty hook is not run). -#}
{% macro analyze_table(relation) %}
    {{ return(adapter.dispatch('analyze_table', 'omphalos')(relation)) }}
{% endmacro %}

{% macro default__analyze_table(relation) %}{% endmacro %}

{% macro postgres__analyze_table(relation) %}{% if config.get('materialized') != 'view' %}analyze {{ relation }}{% endif %}{% endmacro %}
