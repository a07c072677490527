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
