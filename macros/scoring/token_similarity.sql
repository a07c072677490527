{#-
    Edit distance of two a-z tokens: Damerau-Levenshtein (a swap of two neighbouring letters is one
    edit: TOLID ~ TOILD) when they have the same length, Levenshtein otherwise.
-#}
{% macro token_edit_distance(a, b) %}
    case
        when length({{ a }}) = length({{ b }}) then {{ omphalos.damerau_levenshtein(a, b) }}
        else {{ omphalos.edit_distance(a, b) }}
    end
{% endmacro %}

{#-
    Similarity of two tokens in integer units (macros/scoring/fixed_point.sql; expressions a, b;
    their classes ca, cb; their given-name variant groups ga, gb), in two steps. token_distance:
    the edit distance when it is needed, else null; token_similarity(..., distance):
        equal                                       1
        both legal-form words                       1 (legal forms are one class: OOO ~ LLC)
        variants of one given name                  token_variant_similarity (0.95: JOHN ~ JUAN)
        anything but two a-z words                  0 (numbers, particles, other scripts: exact
                                                    only)
        one is a single letter (an initial) that
          starts the other                          token_initial_similarity (0.90)
        otherwise, with r = 1 - edit distance / length of the longer token:
          r >= token_min_similarity (0.65)          1 - token_edit_cost x (1 - r), rounded half
                                                    up to a unit, else 0 (unrelated words count
                                                    for nothing)
    The edit distance is only computed when Jaro-Winkler finds the tokens close (>= 0.75) and
    their lengths allow r >= token_min_similarity.
    r >= token_min_similarity is compared exactly, as integers: (L - d) x unit >= min x L.
-#}
{% macro _token_needs_distance(a, b, ca, cb, ga, gb) %}
    {{ a }} <> {{ b }}
    and {{ ca }} = 'word' and {{ cb }} = 'word'
    and coalesce({{ ga }} <> {{ gb }}, true)
    and length({{ a }}) > 1 and length({{ b }}) > 1
    -- the lengths alone can rule r >= token_min_similarity out (the distance is at least their
    -- difference), and cost far less than Jaro-Winkler
    and abs(length({{ a }}) - length({{ b }})) * {{ omphalos.score_unit() }}
    <= {{ omphalos.score_unit() - omphalos.to_units(var('token_min_similarity')) }} * greatest(length({{ a }}), length({{ b }}))
    and {{ omphalos.quantize(omphalos.jaro_winkler(a, b), 'floor') }} >= {{ omphalos.to_units(0.75) }}
{% endmacro %}

{% macro token_distance(a, b, ca, cb, ga, gb) %}
    case
        when {{ omphalos._token_needs_distance(a, b, ca, cb, ga, gb) }}
            then {{ omphalos.token_edit_distance(a, b) }}
    end
{% endmacro %}

{% macro token_similarity(a, b, ca, cb, ga, gb, distance) %}
    {%- set unit = omphalos.score_unit() -%}
    {%- set longer = "greatest(length(" ~ a ~ "), length(" ~ b ~ "))" -%}
    case
        when {{ a }} = {{ b }} then {{ unit }}
        when {{ ca }} = 'legal_form' and {{ cb }} = 'legal_form' then {{ unit }}
        when {{ ga }} = {{ gb }} then {{ omphalos.to_units(var('token_variant_similarity')) }}
        when {{ ca }} <> 'word' or {{ cb }} <> 'word' then 0
        when length({{ a }}) = 1 or length({{ b }}) = 1
            then case
                when substr({{ a }}, 1, 1) = substr({{ b }}, 1, 1)
                    then {{ omphalos.to_units(var('token_initial_similarity')) }}
                else 0
            end
        when {{ distance }} is null then 0
        when
            ({{ longer }} - {{ distance }}) * {{ unit }}
            >= {{ omphalos.to_units(var('token_min_similarity')) }} * {{ longer }}
            then {{ omphalos.round_div(
                unit ~ ' * ' ~ longer ~ ' - ' ~ omphalos.to_units(var('token_edit_cost')) ~ ' * ' ~ distance,
                longer
            ) }}
        else 0
    end
{% endmacro %}
