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
{% macro postgres__string_agg_sorted(expr, delimiter) %}string_agg(distinct {{ expr }}, '{{ delimiter }}' order by {{ expr }} collate "C"){% endmacro %}

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
