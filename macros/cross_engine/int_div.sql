{#-
    Integer division of two non-negative integer expressions, rounded down (= toward zero, since
    both are non-negative), as bigint. DuckDB `//`; PostgreSQL `/` on bigints (its sum() of
    bigints is numeric, so both operands are cast back first: numeric `/` would not truncate);
    Spark `div`. Only ever called by round_div (macros/scoring/fixed_point.sql).
-#}
{% macro int_div(numerator, denominator) %}
    {{- return(adapter.dispatch('int_div', 'omphalos')(numerator, denominator)) -}}
{% endmacro %}

{% macro default__int_div(numerator, denominator) %}{{ omphalos.unsupported_adapter('int_div') }}{% endmacro %}

{% macro duckdb__int_div(numerator, denominator) %}cast(({{ numerator }}) // ({{ denominator }}) as bigint){% endmacro %}

{% macro postgres__int_div(numerator, denominator) %}(cast({{ numerator }} as bigint) / cast({{ denominator }} as bigint)){% endmacro %}

{% macro spark__int_div(numerator, denominator) %}cast(({{ numerator }}) div ({{ denominator }}) as bigint){% endmacro %}
