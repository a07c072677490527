{#-
    Unicode folding before transliteration (seeds fold_chars and confusable_chars, built by
    scripts/build_fold_seed.py; docs/matching.md "Normalization"). Three steps, each applied only
    to the names that need it (a guard regexp), because translate() with thousands of characters
    costs per row:
      fold_marks      decomposed letters whose base transliterates otherwise composed (И + breve
                      is Й), then invisible characters (bidi controls, zero-width characters, soft
                      hyphen, variation selectors) and combining marks removed;
      fold_compat     NFKC compatibility folding: fullwidth, mathematical, circled, ligatures ...;
      fold_confusables  in a word that mixes Latin with Cyrillic or Greek letters, look-alikes
                      are read in the word's script (see below).
-#}

{#- Seed fold_chars, read once per model (compile time). -#}
{% macro fold_seed_rows() %}
    {{ return(omphalos.seed_rows('fold_chars', ['source_char', 'folded', 'kind', 'codepoints'], 'codepoints')) }}
{% endmacro %}

{#- Rows (source_char, folded, codepoints) of one kind of seed fold_chars (rows: fold_seed_rows()). -#}
{% macro _fold_rows(rows, kind) %}
    {%- set out = [] -%}
    {%- for r in rows -%}
        {%- if r[2] == kind -%}{%- do out.append((r[0], r[1] or '', r[3])) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(out) }}
{% endmacro %}

{#-
    A regexp bracket expression matching exactly the given single characters, rows of
    (char, ..., 'U+XXXX'): consecutive code points become a range of literal characters
    (RE2, PostgreSQL ARE and Java regexps all read a literal character, of any plane, in a class).
-#}
{% macro _char_class(rows) %}
    {%- set items = [] -%}
    {%- for r in rows -%}{%- do items.append((r[2][2:] | int(0, 16), r[0])) -%}{%- endfor -%}
    {%- set items = items | sort(attribute='0') -%}
    {%- set parts = [] -%}
    {%- set ns = namespace(first=none, last=none, last_cp=-2) -%}
    {%- for cp, ch in items -%}
        {%- if cp == ns.last_cp + 1 -%}
            {%- set ns.last = ch -%}
        {%- else -%}
            {%- if ns.first is not none -%}
                {%- do parts.append(ns.first if ns.first == ns.last else ns.first ~ '-' ~ ns.last) -%}
            {%- endif -%}
            {%- set ns.first = ch -%}{%- set ns.last = ch -%}
        {%- endif -%}
        {%- set ns.last_cp = cp -%}
    {%- endfor -%}
    {%- if ns.first is not none -%}
        {%- do parts.append(ns.first if ns.first == ns.last else ns.first ~ '-' ~ ns.last) -%}
    {%- endif -%}
    {{ return('[' ~ (parts | join('') if parts else 'a^') ~ ']') }}
{% endmacro %}

{#-
    Visual order of a right-to-left override: the characters between U+202E (RLO) and U+202C
    (PDF) or the end of the name are shown reversed, so RLO + KNABREBS is read SBERBANK by a person;
    the first such run is reversed here (expr must be a column: it is repeated).
-#}
{% macro rlo_visual_order(expr) %}
    {%- set rlo = '\u202e' -%}{%- set pdf = '\u202c' -%}
    case
        when {{ expr }} like '%{{ rlo }}%' then
            {{ omphalos.regexp_group(expr, '^([^' ~ rlo ~ ']*)') }}
            || reverse({{ omphalos.regexp_group(expr, rlo ~ '([^' ~ pdf ~ ']*)') }})
            || {{ omphalos.regexp_group(expr, rlo ~ '[^' ~ pdf ~ ']*(.*)$') }}
        else {{ expr }}
    end
{%- endmacro %}

{#- Decomposed sequences composed where it matters, then invisible characters and marks removed. -#}
{% macro fold_marks(expr, fold_seed) %}
    {%- set ns = namespace(sql=expr) -%}
    {%- for src, composed, _cp in omphalos._fold_rows(fold_seed, 'compose') -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", " ~ omphalos.sql_literal(src) ~ ", " ~ omphalos.sql_literal(composed) ~ ")" -%}
    {%- endfor -%}
    {{ omphalos.regexp_replace_all(ns.sql, omphalos._char_class(omphalos._fold_rows(fold_seed, 'ignorable') + omphalos._fold_rows(fold_seed, 'mark')), '') }}
{%- endmacro %}

{#- The characters fold_compat changes, as a bracket expression (its guard). -#}
{% macro fold_compat_class(fold_seed) %}
    {{- return(omphalos._char_class(omphalos._fold_rows(fold_seed, 'compat'))) -}}
{% endmacro %}

{#- NFKC compatibility folding: multi-character foldings by replace(), the others by translate(). -#}
{% macro fold_compat(expr, fold_seed) %}
    {%- set single_from = [] -%}{%- set single_to = [] -%}
    {%- set ns = namespace(sql=expr) -%}
    {%- for src, folded, _cp in omphalos._fold_rows(fold_seed, 'compat') -%}
        {%- if folded | length == 1 -%}
            {%- do single_from.append(src) -%}{%- do single_to.append(folded) -%}
        {%- else -%}
            {%- set ns.sql = "replace(" ~ ns.sql ~ ", " ~ omphalos.sql_literal(src) ~ ", " ~ omphalos.sql_literal(folded) ~ ")" -%}
        {%- endif -%}
    {%- endfor -%}
    translate({{ ns.sql }}, {{ omphalos.sql_literal(single_from | join('')) }}, {{ omphalos.sql_literal(single_to | join('')) }})
{%- endmacro %}
