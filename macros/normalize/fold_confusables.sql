{#-
    Letter classes of the scripts that confusables join (bracket-expression bodies): Latin (ASCII,
    Latin-1, Extended-A/B, Extended Additional), Cyrillic (U+0400-052F), Greek (U+0370-03FF and
    Greek Extended).
-#}
{% macro _latin_letters() %}{{ return('A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ') }}{% endmacro %}

{% macro _cyrillic_letters() %}{{ return('Ѐ-ԯ') }}{% endmacro %}

{% macro _greek_letters() %}{{ return('Ͱ-Ͽἀ-῾') }}{% endmacro %}

{#- A word (no space) that has a Latin letter and a Cyrillic or Greek one: the guard of fold_confusables. -#}
{% macro mixed_script_word_pattern() %}
    {%- set l = omphalos._latin_letters() -%}
    {%- set o = omphalos._cyrillic_letters() ~ omphalos._greek_letters() -%}
    {{- return('[' ~ l ~ '][^ ]*[' ~ o ~ ']|[' ~ o ~ '][^ ]*[' ~ l ~ ']') -}}
{% endmacro %}

{#- Seed confusable_chars, read once per model (compile time). -#}
{% macro confusable_seed_rows() %}
    {{ return(omphalos.seed_rows('confusable_chars', ['source_char', 'latin', 'script', 'reverse'], 'script, source_char')) }}
{% endmacro %}

{#-
    translate() arguments from seed confusable_chars (rows: confusable_seed_rows()): to Latin (script
    'cyrillic', 'greek' or both) or, reverse, from Latin to the look-alikes of one script.
    Returns (from, to).
-#}
{% macro _confusable_map(rows, scripts, reverse=false) %}
    {%- set src = [] -%}{%- set dst = [] -%}
    {%- for r in rows -%}
        {%- if r[2] in scripts and not reverse -%}
            {%- do src.append(r[0]) -%}{%- do dst.append(r[1]) -%}
        {%- elif r[2] in scripts and r[3] -%}
            {%- do src.append(r[1]) -%}{%- do dst.append(r[0]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return((omphalos.sql_literal(src | join('')), omphalos.sql_literal(dst | join('')))) }}
{% endmacro %}

{#-
    A word that mixes Latin with Cyrillic (Greek) letters is read as Cyrillic (Greek) when it has
    a Cyrillic (Greek) letter with no Latin look-alike and each of its Latin letters has a
    Cyrillic (Greek) look-alike: its Latin letters become those look-alikes, and transliteration
    reads the whole word (Cоюз with a Latin C is СОЮЗ, soyuz). Otherwise it is read as Latin: its
    Cyrillic and Greek look-alikes become the Latin letters (Sberbаnk with a Cyrillic а is
    Sberbank; PETRОV with a Cyrillic О is PETROV, not PETROV transliterated letter by letter). A word
    in one script is left as it is (a Cyrillic name keeps its BGN transliteration).
-#}
{% macro confusable_word(word, rows) %}
    {%- set latin = '[' ~ omphalos._latin_letters() ~ ']' -%}
    {%- set cyrillic = '[' ~ omphalos._cyrillic_letters() ~ ']' -%}
    {%- set greek = '[' ~ omphalos._greek_letters() ~ ']' -%}
    {%- set c2l = omphalos._confusable_map(rows, ['cyrillic']) -%}
    {%- set l2c = omphalos._confusable_map(rows, ['cyrillic'], true) -%}
    {%- set g2l = omphalos._confusable_map(rows, ['greek']) -%}
    {%- set l2g = omphalos._confusable_map(rows, ['greek'], true) -%}
    {%- set all2l = omphalos._confusable_map(rows, ['cyrillic', 'greek']) -%}
    case
        when not {{ omphalos.regexp_matches(word, omphalos.mixed_script_word_pattern()) }} then {{ word }}
        when
            {{ omphalos.regexp_matches('translate(' ~ word ~ ', ' ~ c2l[0] ~ ', ' ~ c2l[1] ~ ')', cyrillic) }}
            and not {{ omphalos.regexp_matches('translate(' ~ word ~ ', ' ~ l2c[0] ~ ', ' ~ l2c[1] ~ ')', latin) }}
            then translate({{ word }}, {{ l2c[0] }}, {{ l2c[1] }})
        when
            {{ omphalos.regexp_matches('translate(' ~ word ~ ', ' ~ g2l[0] ~ ', ' ~ g2l[1] ~ ')', greek) }}
            and not {{ omphalos.regexp_matches('translate(' ~ word ~ ', ' ~ l2g[0] ~ ', ' ~ l2g[1] ~ ')', latin) }}
            then translate({{ word }}, {{ l2g[0] }}, {{ l2g[1] }})
        else translate({{ word }}, {{ all2l[0] }}, {{ all2l[1] }})
    end
{%- endmacro %}

{#- confusable_word applied to each space-separated word of a name (rows: confusable_seed_rows()). -#}
{% macro fold_confusables(expr, rows) %}
    {{- return(omphalos.map_words(expr, 'cf_w', omphalos.confusable_word('cf_w', rows))) -}}
{% endmacro %}
