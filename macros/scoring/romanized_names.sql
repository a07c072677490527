{#-
    Chinese and Korean names romanized by different systems (docs/matching.md, 4.3): seed
    romanized_syllables (scripts/build_romanized_syllables.py) lists how each syllable is spelt
    (Pinyin, Wade-Giles, Hong Kong and other common spellings; Revised Romanization,
    McCune-Reischauer, the DPRK system, common spellings). The seed is read at compile time and
    inlined as literals (a pattern read from a table column at run time is ~60x slower).

    A name is romanized when its words are a-z and each cuts into syllables of the table
    (longest spelling first, left to right: XIJINPING, XI JINPING and XI JIN PING all give
    `xi jin ping`) into 2 to romanized_max_syllables syllables; single letters are not syllables.
-#}

{#- The seed's rows as a Python list of (spelling, reading, syllable_class) (compile time). -#}
{% macro _romanized_rows() %}
    {{ return(omphalos.seed_rows('romanized_syllables', ['spelling', 'reading', 'syllable_class'], 'spelling, reading')) }}
{% endmacro %}

{#- The alternation of every spelling, longest first: '(zhuang|shuang|...|an)' (compile time). -#}
{% macro romanized_syllable_pattern() %}
    {%- set spellings = [] -%}
    {%- for r in omphalos._romanized_rows() -%}
        {%- if r[0] not in spellings -%}{%- do spellings.append(r[0]) -%}{%- endif -%}
    {%- endfor -%}
    {%- set ordered = [] -%}
    {%- for length in range(12, 1, -1) -%}
        {%- for s in spellings | sort -%}
            {%- if s | length == length -%}{%- do ordered.append(s) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return('(' ~ (ordered | join('|') if ordered else 'zzzzzzzzzzzz') ~ ')') }}
{% endmacro %}

{#-
    The syllables of a name (expression `expr`, a name_core), space-separated, or null when the
    name is not romanized as above. The pattern is applied only to names of a-z words.
-#}
{% macro romanized_syllables(expr) %}
    {%- set pattern = omphalos.romanized_syllable_pattern() -%}
    {%- set cut = "trim(" ~ omphalos.regexp_replace_all(
        omphalos.regexp_replace_all(expr, pattern, omphalos.regexp_backref(1) ~ ' '), ' +', ' '
    ) ~ ")" -%}
    case
        when
            {{ omphalos.regexp_matches(expr, '^[a-z]+( [a-z]+)*$') }}
            and trim({{ omphalos.regexp_replace_all(expr, pattern, '') }}) = ''
            and length({{ cut }}) - length(replace({{ cut }}, ' ', '')) + 1
            between 2 and {{ var('romanized_max_syllables') }}
            then {{ cut }}
    end
{% endmacro %}

{#- (spelling, reading) of every row of the seed as a VALUES relation (compile time). -#}
{% macro romanized_readings_values() %}
    {%- set rows = [] -%}
    {%- for r in omphalos._romanized_rows() -%}
        {%- do rows.append('(' ~ omphalos.sql_literal(r[0]) ~ ', ' ~ omphalos.sql_literal(r[1]) ~ ')') -%}
    {%- endfor -%}
    (values {{ rows | join(', ') if rows else "('', '')" }})
{%- endmacro %}

{#- (spelling, syllable_class), one row per spelling, as a VALUES relation (compile time). -#}
{% macro romanized_classes_values() %}
    {%- set rows = [] -%}
    {%- set seen = [] -%}
    {%- for r in omphalos._romanized_rows() -%}
        {%- if r[0] not in seen -%}
            {%- do seen.append(r[0]) -%}
            {%- do rows.append('(' ~ omphalos.sql_literal(r[0]) ~ ', ' ~ omphalos.sql_literal(r[2]) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    (values {{ rows | join(', ') if rows else "('', '')" }})
{%- endmacro %}
