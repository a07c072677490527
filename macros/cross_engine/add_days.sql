{#- Date arithmetic: a date plus a number of days (may be negative). -#}
{% macro add_days(date_expr, days) %}
    {{ return(adapter.dispatch('add_days', 'omphalos')(date_expr, days)) }}
{% endmacro %}

{% macro default__add_days(date_expr, days) %}{{ omphalos.unsupported_adapter('add_days') }}{% endmacro %}

{% macro duckdb__add_days(date_expr, days) %}cast({{ date_expr }} + to_days(cast({{ days }} as integer)) as date){% endmacro %}

{% macro postgres__add_days(date_expr, days) %}cast({{ date_expr }} + cast({{ days }} as integer) as date){% endmacro %}

{% macro spark__add_days(date_expr, days) %}date_add({{ date_expr }}, cast({{ days }} as int)){% endmacro %}
