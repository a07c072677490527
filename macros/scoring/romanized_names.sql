{#-
    Chinese and Korean names romanized by different systems (docs/matching.md, 4.3): seed
    romanized_syllables (scripts/build_romanized_syllables.py) lists how each syllable is spelt
    (Pinyin, Wade-Giles, Hong Kong and other common spellings; Revised Romanization,
    McCune-Reischauer, the DPRK system, common spellings). The seed is read at compile time and
    inlined as literals (a pattern read from a table column at run time is ~60x slower).

    A name is romanized when its words are a-z and each cuts into syllables of the table
    (longest spelling first, left to right: XIJINPING, XI JINPING and XI JIN PING all give
    `xi jin ping`), two syllables at least; single letters are not syllables. Names of more than
    romanized_max_syllables syllables are not compared (stage 2b).
-#}

{#- The seed's rows as a Python list of (spelling, reading, syllable_class) (compile time). -#}
{% macro _romanized_rows() %}
    {{ return(omphalos.seed_rows('romanized_syllables', ['spelling', 'reading', 'syllable_class'], 'spelling, reading')) }}
{% endmacro %}

{#-
    A regular expression matching one spelling of the seed, the longest that fits: the spellings
    as a trie ('(?:c(?:h(?:a(?:ng?)?...' ), so that each letter is tried once (3x faster than a
    flat alternation in DuckDB) and the longest spelling is preferred under both leftmost-first
    (DuckDB's RE2, Spark's Java) and leftmost-longest (PostgreSQL) matching (compile time).
-#}
{% macro _trie_pattern(node) %}
    {%- set alternatives = [] -%}
    {%- for letter in node.keys() | sort -%}
        {%- if letter != '' -%}
            {%- do alternatives.append(letter ~ omphalos._trie_pattern(node[letter])) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if alternatives -%}
        {{- '(?:' ~ (alternatives | join('|')) ~ ')' ~ ('?' if '' in node else '') -}}
    {%- endif -%}
{% endmacro %}

{% macro romanized_syllable_pattern() %}
    {%- set root = {} -%}
    {%- set seen = {} -%}
    {%- for r in omphalos._romanized_rows() if r[0] not in seen -%}
        {%- do seen.update({r[0]: true}) -%}
        {%- set ns = namespace(node=root) -%}
        {%- for letter in r[0] -%}
            {%- if letter not in ns.node -%}{%- do ns.node.update({letter: {}}) -%}{%- endif -%}
            {%- set ns.node = ns.node[letter] -%}
        {%- endfor -%}
        {%- do ns.node.update({'': {}}) -%}
    {%- endfor -%}
    {{ return(omphalos._trie_pattern(root) | trim if root else 'zzzzzzzzzzzz') }}
{% endmacro %}

{#-
    The syllables of a name (expression `expr`, a name_core), space-separated, or null when the
    name is not romanized: a-z words, each cut into spellings, two spellings at least. The cut
    takes the longest spelling first, left to right. `syllable`: romanized_syllable_pattern(), when
    the caller has it already (building it takes a while at compile time).
-#}
{% macro romanized_syllables(expr, syllable=none) %}
    {%- set syllable = syllable or omphalos.romanized_syllable_pattern() -%}
    case
        when {{ omphalos.regexp_matches(expr, '^' ~ syllable ~ '(?: ?' ~ syllable ~ ')+$') }}
            then trim({{ omphalos.regexp_replace_all(
                omphalos.regexp_replace_all(expr, '(' ~ syllable ~ ')', omphalos.regexp_backref(1) ~ ' '), ' +', ' '
            ) }})
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
    {%- set seen = {} -%}
    {%- for r in omphalos._romanized_rows() if r[0] not in seen -%}
        {%- do seen.update({r[0]: true}) -%}
        {%- do rows.append('(' ~ omphalos.sql_literal(r[0]) ~ ', ' ~ omphalos.sql_literal(r[2]) ~ ')') -%}
    {%- endfor -%}
    (values {{ rows | join(', ') if rows else "('', '')" }})
{%- endmacro %}
