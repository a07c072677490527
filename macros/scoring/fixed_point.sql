{#-
    Fixed-point arithmetic of the name score (docs/matching.md, 4.5). Similarities, weights,
    coverages and scores are integers in units of 1/10000 (a score of 0.9716 is 9716): sums and
    products of integers are exact, so any order of addition gives the same bits on every engine.
    A value leaves the integers only at the end (units_to_decimal), as decimal(9, 4).
    The rounding rules, each written once:
        round_div   an exact ratio of two non-negative integers, rounded half up;
        quantize    a double (Jaro-Winkler) or a decimal (a token weight) as units, rounded half
                    up (or down), right where it is computed;
        to_units    a number known at compile time (a var) as units.
-#}

{#- The number of units in 1. -#}
{% macro score_unit() %}{{ return(10000) }}{% endmacro %}

{#- A constant (a var, a Jinja number) as integer units, rounded half up at compile time. -#}
{% macro to_units(value) %}{{ return(((value | float) * omphalos.score_unit()) | round | int) }}{% endmacro %}

{#-
    numerator / denominator rounded half up, for integer expressions numerator >= 0 and
    denominator > 0: floor((2 n + d) / 2 d), by integer division (int_div, one per engine).
-#}
{% macro round_div(numerator, denominator) -%}
    {{ omphalos.int_div('2 * (' ~ numerator ~ ') + (' ~ denominator ~ ')', '2 * (' ~ denominator ~ ')') }}
{%- endmacro %}

{#-
    A value in [0, 1] (a double or a decimal) as integer units, rounded half up (rounding
    'half_up') or down ('floor'). A double computed on two engines can differ in its last bit
    (Jaro-Winkler as SQL on Spark, a PL/pgSQL function on PostgreSQL): 1e-9 units are added so
    that a value one bit below a tie or a whole unit rounds as the tie does. A Jaro-Winkler value
    is a ratio of integers below 10^9, never closer than 5e-9 units to a tie it is not on, so the
    nudge moves nothing else.
-#}
{% macro quantize(expr, rounding='half_up') -%}
    cast(floor(cast({{ expr }} as {{ omphalos.double_type() }}) * {{ omphalos.score_unit() }}
        {%- if rounding == 'half_up' %} + 0.5{% endif %} + 0.000000001) as bigint)
{%- endmacro %}

{#- Integer units as decimal(9, 4), exactly (a decimal product, no division). -#}
{% macro units_to_decimal(expr) -%}
    cast(cast({{ expr }} as decimal(18, 0)) * 0.0001 as decimal(9, 4))
{%- endmacro %}
