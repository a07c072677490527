{#-
    Levenshtein edit distance of two strings. Only ever applied to plain a-z strings (see
    macros/scoring/token_similarity.sql), where engines agree (DuckDB counts bytes, Postgres characters).
-#}
{% macro edit_distance(a, b) %}
    {{ return(adapter.dispatch('edit_distance', 'omphalos')(a, b)) }}
{% endmacro %}

{% macro default__edit_distance(a, b) %}{{ omphalos.unsupported_adapter('edit_distance') }}{% endmacro %}

{% macro duckdb__edit_distance(a, b) %}levenshtein({{ a }}, {{ b }}){% endmacro %}

{#- fuzzystrmatch.levenshtein (strings of at most 255 characters). -#}
{% macro postgres__edit_distance(a, b) %}levenshtein({{ a }}, {{ b }}){% endmacro %}

{% macro spark__edit_distance(a, b) %}levenshtein({{ a }}, {{ b }}){% endmacro %}
