{#-
    Chinese and Korean names romanized by different systems (docs/matching.md, 4.3): seed
    romanized_syllables (scripts/build_romanized_syllables.py) lists how each syllable is spelt
    (Pinyin, Wade-Giles, Hong Kong and other common spellings; Revised Romanization,
    McCune-Reischauer, the DPRK system, common spellings). The seed is inlined as literals (a
    pattern read from a table column at run time is ~60x slower): romanized_syllable_pattern(),
    romanized_readings_values() and romanized_classes_values() in macros/scoring/romanized_literals.sql,
    which scripts/build_romanized_literals.py writes from the seed (a test checks it is current).

    A name is romanized when its words are a-z and each cuts into syllables of the table
    (longest spelling first, left to right: XIJINPING, XI JINPING and XI JIN PING all give
    `xi jin ping`), two syllables at least; single letters are not syllables. Names of more than
    romanized_max_syllables syllables are not compared (stage 2b).
-#}

{#-
    The syllables of a name (expression `expr`, a name_core), space-separated, or null when the
    name is not romanized: a-z words, each cut into spellings, two spellings at least. The cut
    takes the longest spelling first, left to right (romanized_syllable_pattern()).
-#}
{% macro romanized_syllables(expr) %}
    {%- set syllable = omphalos.romanized_syllable_pattern() -%}
    case
        when {{ omphalos.regexp_matches(expr, '^' ~ syllable ~ '(?: ?' ~ syllable ~ ')+$') }}
            then trim({{ omphalos.regexp_replace_all(
                omphalos.regexp_replace_all(expr, '(' ~ syllable ~ ')', omphalos.regexp_backref(1) ~ ' '), ' +', ' '
            ) }})
    end
{% endmacro %}
