{#-
    Engine differences, each behind adapter.dispatch. The default implementation raises a clear
    error: a new engine must say how it does each of these, never fall back silently.
-#}

{% macro _unsupported(name) %}
    {{ exceptions.raise_compiler_error(
        "omphalos: macro '" ~ name ~ "' has no implementation for adapter '" ~ adapter.type()
        ~ "'. Add " ~ adapter.type() ~ "__" ~ name ~ " in macros/cross_engine.sql."
    ) }}
{% endmacro %}

{#- Jaro-Winkler similarity in [0, 1] of two strings (standard prefix scale 0.1, max prefix 4). -#}
{% macro jaro_winkler(a, b) %}
    {{ return(adapter.dispatch('jaro_winkler', 'omphalos')(a, b)) }}
{% endmacro %}
{% macro default__jaro_winkler(a, b) %}{{ omphalos._unsupported('jaro_winkler') }}{% endmacro %}
{% macro duckdb__jaro_winkler(a, b) %}jaro_winkler_similarity({{ a }}, {{ b }}){% endmacro %}
{% macro postgres__jaro_winkler(a, b) %}{{ target.schema }}_udf.jaro_winkler({{ a }}, {{ b }}){% endmacro %}

{#- The text captured by group 1 of a regular expression, or '' when it does not match. -#}
{% macro regexp_group(expr, pattern) %}
    {{ return(adapter.dispatch('regexp_group', 'omphalos')(expr, pattern)) }}
{% endmacro %}
{% macro default__regexp_group(expr, pattern) %}{{ omphalos._unsupported('regexp_group') }}{% endmacro %}
{% macro duckdb__regexp_group(expr, pattern) %}regexp_extract({{ expr }}, '{{ pattern }}', 1){% endmacro %}
{% macro postgres__regexp_group(expr, pattern) %}coalesce((regexp_match({{ expr }}, '{{ pattern }}'))[1], ''){% endmacro %}

{#- Replace every match of a regular expression (pattern is a literal, inlined). -#}
{% macro regexp_replace_all(expr, pattern, replacement) %}
    {{ return(adapter.dispatch('regexp_replace_all', 'omphalos')(expr, pattern, replacement)) }}
{% endmacro %}
{% macro default__regexp_replace_all(expr, pattern, replacement) %}{{ omphalos._unsupported('regexp_replace_all') }}{% endmacro %}
{% macro duckdb__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g'){% endmacro %}
{% macro postgres__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g'){% endmacro %}

{#- Space-separated tokens of expr, sorted in byte order, joined by one space. -#}
{% macro sort_tokens(expr) %}
    {{ return(adapter.dispatch('sort_tokens', 'omphalos')(expr)) }}
{% endmacro %}
{% macro default__sort_tokens(expr) %}{{ omphalos._unsupported('sort_tokens') }}{% endmacro %}
{% macro duckdb__sort_tokens(expr) %}array_to_string(list_sort(string_split({{ expr }}, ' ')), ' '){% endmacro %}
{% macro postgres__sort_tokens(expr) %}array_to_string(array(select t from unnest(string_to_array({{ expr }}, ' ')) as t order by t collate "C"), ' '){% endmacro %}

{#- Number of space-separated tokens of a non-empty string. -#}
{% macro token_count(expr) %}
    (length({{ expr }}) - length(replace({{ expr }}, ' ', '')) + 1)
{% endmacro %}

{#- A text expression split on single spaces into an array; use as unnest({{ split_tokens(x) }}). -#}
{% macro split_tokens(expr) %}
    {{ return(adapter.dispatch('split_tokens', 'omphalos')(expr)) }}
{% endmacro %}
{% macro default__split_tokens(expr) %}{{ omphalos._unsupported('split_tokens') }}{% endmacro %}
{% macro duckdb__split_tokens(expr) %}string_split({{ expr }}, ' '){% endmacro %}
{% macro postgres__split_tokens(expr) %}string_to_array({{ expr }}, ' '){% endmacro %}

{#-
    Regular expression (a literal) matching a run of characters that are not part of a name:
    anything but a-z, 0-9 and letters (with their combining marks) of any script. Applied after
    transliteration and lower(), so the Latin letters left are plain a-z.
-#}
{% macro non_name_chars_pattern() %}
    {{- return(adapter.dispatch('non_name_chars_pattern', 'omphalos')()) -}}
{% endmacro %}
{% macro default__non_name_chars_pattern() %}{{ omphalos._unsupported('non_name_chars_pattern') }}{% endmacro %}
{% macro duckdb__non_name_chars_pattern() %}{{ return('[^a-z0-9\\p{L}\\p{M}]+') }}{% endmacro %}
{#- Postgres ARE has no \p{..}: [:alpha:] is Unicode-aware in a UTF8 database (combining marks are not kept). -#}
{% macro postgres__non_name_chars_pattern() %}{{ return('[^a-z0-9[:alpha:]]+') }}{% endmacro %}

{#-
    Levenshtein edit distance of two strings. Only ever applied to plain a-z strings (see
    macros/matching.sql), where engines agree (DuckDB counts bytes, Postgres characters).
-#}
{% macro edit_distance(a, b) %}
    {{ return(adapter.dispatch('edit_distance', 'omphalos')(a, b)) }}
{% endmacro %}
{% macro default__edit_distance(a, b) %}{{ omphalos._unsupported('edit_distance') }}{% endmacro %}
{% macro duckdb__edit_distance(a, b) %}levenshtein({{ a }}, {{ b }}){% endmacro %}
{#- fuzzystrmatch.levenshtein (strings of at most 255 characters). -#}
{% macro postgres__edit_distance(a, b) %}levenshtein({{ a }}, {{ b }}){% endmacro %}

{#-
    Damerau-Levenshtein distance (an adjacent transposition is one edit) of two strings. Only
    ever applied to plain a-z tokens of equal length (see macros/matching.sql). DuckDB's is the
    unrestricted distance; a Postgres version must install the same algorithm as a function in
    create_udfs (fuzzystrmatch has none).
-#}
{% macro damerau_levenshtein(a, b) %}
    {{ return(adapter.dispatch('damerau_levenshtein', 'omphalos')(a, b)) }}
{% endmacro %}
{% macro default__damerau_levenshtein(a, b) %}{{ omphalos._unsupported('damerau_levenshtein') }}{% endmacro %}
{% macro duckdb__damerau_levenshtein(a, b) %}damerau_levenshtein({{ a }}, {{ b }}){% endmacro %}
{% macro postgres__damerau_levenshtein(a, b) %}{{ target.schema }}_udf.damerau_levenshtein({{ a }}, {{ b }}){% endmacro %}

{#- Date arithmetic: a date plus a number of days (may be negative). -#}
{% macro add_days(date_expr, days) %}
    {{ return(adapter.dispatch('add_days', 'omphalos')(date_expr, days)) }}
{% endmacro %}
{% macro default__add_days(date_expr, days) %}{{ omphalos._unsupported('add_days') }}{% endmacro %}
{% macro duckdb__add_days(date_expr, days) %}cast({{ date_expr }} + to_days(cast({{ days }} as integer)) as date){% endmacro %}
{% macro postgres__add_days(date_expr, days) %}cast({{ date_expr }} + cast({{ days }} as integer) as date){% endmacro %}

{#- Ordered, delimiter-joined aggregate of distinct text values (deterministic). -#}
{% macro string_agg_sorted(expr, delimiter) %}
    {{ return(adapter.dispatch('string_agg_sorted', 'omphalos')(expr, delimiter)) }}
{% endmacro %}
{% macro default__string_agg_sorted(expr, delimiter) %}{{ omphalos._unsupported('string_agg_sorted') }}{% endmacro %}
{% macro duckdb__string_agg_sorted(expr, delimiter) %}string_agg(distinct {{ expr }}, '{{ delimiter }}' order by {{ expr }}){% endmacro %}
{% macro postgres__string_agg_sorted(expr, delimiter) %}string_agg(distinct ({{ expr }}) collate "C", '{{ delimiter }}' order by ({{ expr }}) collate "C"){% endmacro %}

{#- sha256 hex digest of a text expression. -#}
{% macro sha256_hex(expr) %}
    {{ return(adapter.dispatch('sha256_hex', 'omphalos')(expr)) }}
{% endmacro %}
{% macro default__sha256_hex(expr) %}{{ omphalos._unsupported('sha256_hex') }}{% endmacro %}
{% macro duckdb__sha256_hex(expr) %}sha256({{ expr }}){% endmacro %}
{% macro postgres__sha256_hex(expr) %}encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex'){% endmacro %}

{#- Boolean: expr matches the regular expression (a literal). -#}
{% macro regexp_matches(expr, pattern) %}
    {{ return(adapter.dispatch('regexp_matches', 'omphalos')(expr, pattern)) }}
{% endmacro %}
{% macro default__regexp_matches(expr, pattern) %}{{ omphalos._unsupported('regexp_matches') }}{% endmacro %}
{% macro duckdb__regexp_matches(expr, pattern) %}regexp_matches({{ expr }}, '{{ pattern }}'){% endmacro %}
{% macro postgres__regexp_matches(expr, pattern) %}({{ expr }} ~ '{{ pattern }}'){% endmacro %}

{#-
    A CTE the engine must compute once: PostgreSQL inlines a CTE referenced once, and the chained
    normalization CTEs then grow into one expression of exponential size. DuckDB needs nothing.
    Use as: name as {{ omphalos.materialized_cte() }} (select ...)
-#}
{% macro materialized_cte() %}
    {{- return(adapter.dispatch('materialized_cte', 'omphalos')()) -}}
{% endmacro %}
{% macro default__materialized_cte() %}{{ omphalos._unsupported('materialized_cte') }}{% endmacro %}
{% macro duckdb__materialized_cte() %}{% endmacro %}
{% macro postgres__materialized_cte() %}materialized{% endmacro %}

{#-
    A number rounded half up to 4 decimals, as decimal(9, 4), computed the same way on every
    engine: in double precision, floor(x * 10000 + 0.5) / 10000. (Postgres has no round(double,
    int), and rounding a numeric would break ties differently from a double.)
-#}
{% macro round4(expr) -%}
    cast(floor(cast({{ expr }} as double precision) * 10000 + 0.5) / 10000 as decimal(9, 4))
{%- endmacro %}
