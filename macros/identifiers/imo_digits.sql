{#-
    Identifiers that matching can use as evidence.

    imo_digits(expr): the 7 digits of an IMO ship number written as 1234567 or IMO 1234567, or null
    when the value is not a valid IMO number: 7 digits whose last is the check digit, the sum of the
    first six times 7, 6, 5, 4, 3, 2 modulo 10 (admission rejects a feed value that fails this; a
    registry value that fails it is never used as evidence). The digits are only cast once the
    pattern holds (a nested case: no engine casts a letter).
-#}
{% macro imo_digits(expr) %}
    {%- set digits = "regexp_replace(upper(trim(" ~ expr ~ ")), '^IMO ?', '')" -%}
    case
        when {{ omphalos.regexp_matches(digits, '^[0-9]{7}$') }}
            then case
                when mod(
                    {%- for i in range(6) %}
                    cast(substr({{ digits }}, {{ i + 1 }}, 1) as integer) * {{ 7 - i }}{{ ' +' if not loop.last }}
                    {%- endfor %},
                    10
                ) = cast(substr({{ digits }}, 7, 1) as integer)
                    then {{ digits }}
            end
    end
{% endmacro %}
