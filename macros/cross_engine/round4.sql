{#-
    A number rounded half up to 4 decimals, as decimal(9, 4), computed the same way on every
    engine: in double precision, floor(x * 10000 + 0.5) / 10000. (Postgres has no round(double,
    int), and rounding a numeric would break ties differently from a double.)
-#}
{% macro round4(expr) -%}
    cast(floor(cast({{ expr }} as {{ omphalos.double_type() }}) * 10000 + 0.5) / 10000 as decimal(9, 4))
{%- endmacro %}
