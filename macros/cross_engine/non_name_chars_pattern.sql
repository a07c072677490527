{#-
    Regular expression (a literal) matching a run of characters that are not part of a name:
    anything but a-z, 0-9 and letters (with their combining marks) of any script. Applied after
    transliteration and lower(), so the Latin letters left are plain a-z.
-#}
{% macro non_name_chars_pattern() %}
    {{- return(adapter.dispatch('non_name_chars_pattern', 'omphalos')()) -}}
{% endmacro %}

{% macro default__non_name_chars_pattern() %}{{ omphalos.unsupported_adapter('non_name_chars_pattern') }}{% endmacro %}

{% macro duckdb__non_name_chars_pattern() %}{{ return('[^a-z0-9\\p{L}\\p{M}]+') }}{% endmacro %}

{#- Postgres ARE has no \p{..}: [:alpha:] is Unicode-aware in a UTF8 database (combining marks are not kept). -#}
{% macro postgres__non_name_chars_pattern() %}{{ return('[^a-z0-9[:alpha:]]+') }}{% endmacro %}

{% macro spark__non_name_chars_pattern() %}{{ return('[^a-z0-9\\p{L}\\p{M}]+') }}{% endmacro %}
