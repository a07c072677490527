{#-
    Damerau-Levenshtein distance (an adjacent transposition is one edit) of two strings. Only
    ever applied to plain a-z tokens of equal length (see macros/scoring/token_similarity.sql). DuckDB's is the
    unrestricted distance; a Postgres version must install the same algorithm as a function in
    create_udfs (fuzzystrmatch has none).
-#}
{% macro damerau_levenshtein(a, b) %}
    {{ return(adapter.dispatch('damerau_levenshtein', 'omphalos')(a, b)) }}
{% endmacro %}

{% macro default__damerau_levenshtein(a, b) %}{{ omphalos.unsupported_adapter('damerau_levenshtein') }}{% endmacro %}

{% macro duckdb__damerau_levenshtein(a, b) %}damerau_levenshtein({{ a }}, {{ b }}){% endmacro %}

{% macro postgres__damerau_levenshtein(a, b) %}{{ target.schema }}_udf.damerau_levenshtein({{ a }}, {{ b }}){% endmacro %}

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
