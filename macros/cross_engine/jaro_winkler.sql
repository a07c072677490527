{#- Jaro-Winkler similarity in [0, 1] of two strings (standard prefix scale 0.1, max prefix 4). -#}
{% macro jaro_winkler(a, b) %}
    {{ return(adapter.dispatch('jaro_winkler', 'omphalos')(a, b)) }}
{% endmacro %}

{% macro default__jaro_winkler(a, b) %}{{ omphalos.unsupported_adapter('jaro_winkler') }}{% endmacro %}

{% macro duckdb__jaro_winkler(a, b) %}jaro_winkler_similarity({{ a }}, {{ b }}){% endmacro %}

{% macro postgres__jaro_winkler(a, b) %}{{ target.schema }}_udf.jaro_winkler({{ a }}, {{ b }}){% endmacro %}

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
