{#-
    Transliterate to ASCII Latin: single characters through translate(), multi-character
    transliterations (zh, shch, ss, ...) through replace(), characters that map to nothing removed.
-#}
{% macro transliterate(expr) %}
    {%- set rows = omphalos.seed_rows('translit_chars', ['source_char', 'latin'], 'source_char') -%}
    {%- set single_from = [] -%}{%- set single_to = [] -%}
    {%- set multi = [] -%}{%- set dropped = [] -%}
    {%- for r in rows -%}
        {%- set latin = r[1] or '' -%}
        {%- if latin | length == 1 -%}
            {%- do single_from.append(r[0]) -%}{%- do single_to.append(latin) -%}
        {%- elif latin | length == 0 -%}
            {%- do dropped.append(r[0]) -%}
        {%- else -%}
            {%- do multi.append((r[0], latin)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set ns = namespace(sql=expr) -%}
    {%- for src, latin in multi -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", " ~ omphalos.sql_literal(src) ~ ", " ~ omphalos.sql_literal(latin) ~ ")" -%}
    {%- endfor -%}
    {%- if single_from -%}
        {%- set ns.sql = "translate(" ~ ns.sql ~ ", " ~ omphalos.sql_literal(single_from | join('') ~ dropped | join('')) ~ ", " ~ omphalos.sql_literal(single_to | join('')) ~ ")" -%}
    {%- endif -%}
    {{ ns.sql }}
{% endmacro %}
