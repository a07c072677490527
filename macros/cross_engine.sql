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

{#- The text of group n of the match, in a replacement of regexp_replace_all. -#}
{% macro regexp_backref(n) %}
    {{ return(adapter.dispatch('regexp_backref', 'omphalos')(n)) }}
{% endmacro %}
{% macro default__regexp_backref(n) %}{{ return('\\' ~ n) }}{% endmacro %}

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
{#- duckdb: an ordered string_agg(distinct ...) is several times slower than sorting a list -#}
{% macro duckdb__string_agg_sorted(expr, delimiter) -%}
array_to_string(list_sort(list_distinct(list({{ expr }}) filter (where ({{ expr }}) is not null))), '{{ delimiter }}')
{%- endmacro %}
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
    cast(floor(cast({{ expr }} as {{ omphalos.double_type() }}) * 10000 + 0.5) / 10000 as decimal(9, 4))
{%- endmacro %}

{#- The SQL name of the double-precision floating-point type. -#}
{% macro double_type() %}
    {{- return(adapter.dispatch('double_type', 'omphalos')()) -}}
{% endmacro %}
{% macro default__double_type() %}{{ omphalos._unsupported('double_type') }}{% endmacro %}
{% macro duckdb__double_type() %}{{ return('double precision') }}{% endmacro %}
{% macro postgres__double_type() %}{{ return('double precision') }}{% endmacro %}
{% macro spark__double_type() %}{{ return('double') }}{% endmacro %}

{#-
    A set-returning expression in a select list: one row per space-separated token of expr.
    Use as: select {{ omphalos.unnest_tokens('name_core') }} as token from ...
-#}
{% macro unnest_tokens(expr) %}
    {{ return(adapter.dispatch('unnest_tokens', 'omphalos')(expr)) }}
{% endmacro %}
{% macro default__unnest_tokens(expr) %}{{ omphalos._unsupported('unnest_tokens') }}{% endmacro %}
{% macro duckdb__unnest_tokens(expr) %}unnest({{ omphalos.split_tokens(expr) }}){% endmacro %}
{% macro postgres__unnest_tokens(expr) %}unnest({{ omphalos.split_tokens(expr) }}){% endmacro %}
{% macro spark__unnest_tokens(expr) %}explode({{ omphalos.split_tokens(expr) }}){% endmacro %}

{#-
    Apache Spark (dbt-spark). Spark SQL has neither Jaro-Winkler nor Damerau-Levenshtein: both
    are written below as pure SQL with higher-order functions (aggregate, transform, filter), so
    nothing has to be registered in the session and the same SQL runs in a local session, on a
    standalone cluster or through a Thrift server. A regular expression is passed to Spark as a
    string literal, which unescapes backslashes: spark__regex_literal doubles them.
-#}
{% macro spark__regex_literal(pattern) -%}
'{{ pattern | replace("\\", "\\\\") }}'
{%- endmacro %}
{% macro spark__regexp_group(expr, pattern) %}regexp_extract({{ expr }}, {{ omphalos.spark__regex_literal(pattern) }}, 1){% endmacro %}
{% macro spark__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, {{ omphalos.spark__regex_literal(pattern) }}, '{{ replacement }}'){% endmacro %}
{% macro spark__regexp_backref(n) %}{{ return('$' ~ n) }}{% endmacro %}
{% macro spark__regexp_matches(expr, pattern) %}regexp_like({{ expr }}, {{ omphalos.spark__regex_literal(pattern) }}){% endmacro %}
{#- split() takes a regular expression; a single space is one. Strings compare in byte order. -#}
{% macro spark__split_tokens(expr) %}split({{ expr }}, ' ', -1){% endmacro %}
{% macro spark__sort_tokens(expr) %}array_join(array_sort(split({{ expr }}, ' ', -1)), ' '){% endmacro %}
{% macro spark__non_name_chars_pattern() %}{{ return('[^a-z0-9\\p{L}\\p{M}]+') }}{% endmacro %}
{% macro spark__edit_distance(a, b) %}levenshtein({{ a }}, {{ b }}){% endmacro %}
{% macro spark__add_days(date_expr, days) %}date_add({{ date_expr }}, cast({{ days }} as int)){% endmacro %}
{#-
    collect_set drops nulls, as string_agg does; array_sort orders strings by bytes. string_agg of
    no (non-null) values is null, where array_join of an empty array is ''.
-#}
{% macro spark__string_agg_sorted(expr, delimiter) %}case when count({{ expr }}) > 0 then array_join(array_sort(collect_set({{ expr }})), '{{ delimiter }}') end{% endmacro %}
{% macro spark__sha256_hex(expr) %}sha2({{ expr }}, 256){% endmacro %}
{% macro spark__materialized_cte() %}{% endmacro %}

{#-
    Jaro-Winkler as in DuckDB (RapidFuzz) and postgres__create_udfs: match window
    max(len)/2 - 1, greedy matching in the order of the first string, half the transpositions
    rounded down, Winkler boost (prefix <= 4, weight 0.1) only when Jaro > 0.7, 0 for an empty
    string, in the same double-precision operations. The arguments are bound once (a one-element
    array and transform), so each is evaluated once whatever its size.
-#}
{% macro spark__jaro_winkler(a, b) -%}
transform(array(named_struct('a', cast({{ a }} as string), 'b', cast({{ b }} as string))), jw_s ->
  case
    when jw_s.a is null or jw_s.b is null then cast(null as double)
    when length(jw_s.a) = 0 or length(jw_s.b) = 0 then cast(0 as double)
    else transform(array(aggregate(
        sequence(1, length(jw_s.a)),
        named_struct(
          'af', array_repeat(false, length(jw_s.a)),
          'bf', array_repeat(false, length(jw_s.b)),
          'm', 0
        ),
        (jw_st, jw_i) -> transform(array(filter(
            sequence(
              greatest(1, jw_i - greatest(0, greatest(length(jw_s.a), length(jw_s.b)) div 2 - 1)),
              least(length(jw_s.b), jw_i + greatest(0, greatest(length(jw_s.a), length(jw_s.b)) div 2 - 1))
            ),
            jw_j -> jw_j >= greatest(1, jw_i - greatest(0, greatest(length(jw_s.a), length(jw_s.b)) div 2 - 1))
              and jw_j <= least(length(jw_s.b), jw_i + greatest(0, greatest(length(jw_s.a), length(jw_s.b)) div 2 - 1))
              and not jw_st.bf[jw_j - 1]
              and substr(jw_s.a, jw_i, 1) = substr(jw_s.b, jw_j, 1)
          )), jw_c -> case
            when size(jw_c) = 0 then jw_st
            else named_struct(
              'af', transform(jw_st.af, (jw_f, jw_x) -> jw_f or jw_x = jw_i - 1),
              'bf', transform(jw_st.bf, (jw_f, jw_x) -> jw_f or jw_x = jw_c[0] - 1),
              'm', jw_st.m + 1
            )
          end)[0]
      )), jw_r -> case
        when jw_r.m = 0 then cast(0 as double)
        else transform(array(
          (cast(jw_r.m as double) / cast(length(jw_s.a) as double)
            + cast(jw_r.m as double) / cast(length(jw_s.b) as double)
            + (cast(jw_r.m as double) - cast(size(filter(zip_with(
                filter(transform(sequence(1, length(jw_s.a)), jw_p -> case when jw_r.af[jw_p - 1] then substr(jw_s.a, jw_p, 1) end), jw_v -> jw_v is not null),
                filter(transform(sequence(1, length(jw_s.b)), jw_p -> case when jw_r.bf[jw_p - 1] then substr(jw_s.b, jw_p, 1) end), jw_v -> jw_v is not null),
                (jw_u, jw_w) -> jw_u <> jw_w
              ), jw_z -> jw_z)) div 2 as double)) / cast(jw_r.m as double)
          ) / cast(3 as double)
        ), jw_sim -> case
          when jw_sim > cast(0.7 as double) then jw_sim
            + cast(case
                when array_position(transform(sequence(1, least(4, length(jw_s.a), length(jw_s.b))), jw_q -> substr(jw_s.a, jw_q, 1) = substr(jw_s.b, jw_q, 1)), false) = 0
                  then least(4, length(jw_s.a), length(jw_s.b))
                else array_position(transform(sequence(1, least(4, length(jw_s.a), length(jw_s.b))), jw_q -> substr(jw_s.a, jw_q, 1) = substr(jw_s.b, jw_q, 1)), false) - 1
              end as double) * cast(0.1 as double) * (cast(1 as double) - jw_sim)
          else jw_sim
        end)[0]
      end)[0]
  end)[0]
{%- endmacro %}

{#-
    Unrestricted Damerau-Levenshtein (Lowrance-Wagner), as DuckDB's damerau_levenshtein and
    postgres__create_udfs. The matrix d[-1..la][-1..lb] is kept as rows of an array, each shifted
    by one (row 0 is d[-1]); a row is built left to right by an inner aggregate. da[c] (the last
    row of the first string holding c) is found by searching the first string before row i.
-#}
{% macro spark__damerau_levenshtein(a, b) -%}
transform(array(named_struct('a', cast({{ a }} as string), 'b', cast({{ b }} as string))), dl_s ->
  case
    when dl_s.a is null or dl_s.b is null then cast(null as int)
    else element_at(element_at(aggregate(
      sequence(1, length(dl_s.a) + 1),
      array(
        array_repeat(length(dl_s.a) + length(dl_s.b), length(dl_s.b) + 2),
        concat(array(length(dl_s.a) + length(dl_s.b)), sequence(0, length(dl_s.b)))
      ),
      (dl_d, dl_i) -> case
        when dl_i > length(dl_s.a) then dl_d
        else concat(dl_d, array(aggregate(
          sequence(1, length(dl_s.b) + 1),
          named_struct('row', array(length(dl_s.a) + length(dl_s.b), dl_i), 'db', 0),
          (dl_st, dl_j) -> case
            when dl_j > length(dl_s.b) then dl_st
            else transform(array(named_struct(
              'k', coalesce(array_max(filter(sequence(1, dl_i), dl_x -> dl_x < dl_i and substr(dl_s.a, dl_x, 1) = substr(dl_s.b, dl_j, 1))), 0),
              'l', dl_st.db,
              'cost', case when substr(dl_s.a, dl_i, 1) = substr(dl_s.b, dl_j, 1) then 0 else 1 end
            )), dl_v -> named_struct(
              'row', concat(dl_st.row, array(least(
                dl_d[dl_i][dl_j] + dl_v.cost,
                dl_st.row[dl_j] + 1,
                dl_d[dl_i][dl_j + 1] + 1,
                dl_d[dl_v.k][dl_v.l] + (dl_i - dl_v.k - 1) + 1 + (dl_j - dl_v.l - 1)
              ))),
              'db', case when dl_v.cost = 0 then dl_j else dl_st.db end
            ))[0]
          end
        ).row))
      end
    ), length(dl_s.a) + 2), length(dl_s.b) + 2)
  end)[0]
{%- endmacro %}


{#- The SQL name of an unbounded string type (Spark's varchar needs a length). -#}
{% macro string_type() %}
    {{- return(adapter.dispatch('string_type', 'omphalos')()) -}}
{% endmacro %}
{% macro default__string_type() %}{{ omphalos._unsupported('string_type') }}{% endmacro %}
{% macro duckdb__string_type() %}{{ return('varchar') }}{% endmacro %}
{% macro postgres__string_type() %}{{ return('varchar') }}{% endmacro %}
{% macro spark__string_type() %}{{ return('string') }}{% endmacro %}

{#- Gather planner statistics for a table just built (a model's post_hook). Postgres: analyze;
    other engines: none (an empty hook is not run). -#}
{% macro analyze_table(relation) %}
    {{ return(adapter.dispatch('analyze_table', 'omphalos')(relation)) }}
{% endmacro %}
{% macro default__analyze_table(relation) %}{% endmacro %}
{% macro postgres__analyze_table(relation) %}analyze {{ relation }}{% endmacro %}

{#-
    Integer division of two non-negative integer expressions, rounded down (= toward zero, since
    both are non-negative), as bigint. DuckDB `//`; PostgreSQL `/` on bigints (its sum() of
    bigints is numeric, so both operands are cast back first: numeric `/` would not truncate);
    Spark `div`. Only ever called by round_div (macros/scoring/fixed_point.sql).
-#}
{% macro int_div(numerator, denominator) %}
    {{- return(adapter.dispatch('int_div', 'omphalos')(numerator, denominator)) -}}
{% endmacro %}
{% macro default__int_div(numerator, denominator) %}{{ omphalos._unsupported('int_div') }}{% endmacro %}
{% macro duckdb__int_div(numerator, denominator) %}cast(({{ numerator }}) // ({{ denominator }}) as bigint){% endmacro %}
{% macro postgres__int_div(numerator, denominator) %}(cast({{ numerator }} as bigint) / cast({{ denominator }} as bigint)){% endmacro %}
{% macro spark__int_div(numerator, denominator) %}cast(({{ numerator }}) div ({{ denominator }}) as bigint){% endmacro %}

{#-
    A model's pre_hook for the name-scoring stages (models/intermediate/scoring/). PostgreSQL:
    hash joins only, for this model's transaction (set local). Its estimate for an anti-join on
    (name, token) is 1 row whatever the data, and it then picks a nested loop over a sequential
    scan: at 100k shipments int_name_pair_token_matches took 54 s that way, 0.2 s with hash joins
    (docs/matching.md 4.4). Every stage joins whole tables, where a nested loop never wins.
    Other engines: none (an empty hook is not run).
-#}
{% macro scoring_join_hints() %}
    {{ return(adapter.dispatch('scoring_join_hints', 'omphalos')()) }}
{% endmacro %}
{% macro default__scoring_join_hints() %}{% endmacro %}
{% macro postgres__scoring_join_hints() %}set local enable_nestloop = off{% endmacro %}
