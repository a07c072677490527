{#-
    Roman numerals II to XX (but not I, V, X, VI or XI, which are also initials and names: XI
    JINPING) as standalone tokens become digits, so that numbers in names compare as numbers
    (BOWNE GLOBAL SOLUTIONS II ~ ... 2, and II is not III).
-#}
{% macro roman_numerals_to_digits(expr) %}
    {%- set numerals = [
        ('ii', '2'), ('iii', '3'), ('iv', '4'), ('vii', '7'), ('viii', '8'), ('ix', '9'),
        ('xii', '12'), ('xiii', '13'), ('xiv', '14'), ('xv', '15'), ('xvi', '16'), ('xvii', '17'),
        ('xviii', '18'), ('xix', '19'), ('xx', '20')
    ] -%}
    {%- set ns = namespace(sql="(' ' || " ~ expr ~ " || ' ')") -%}
    {%- for roman, digits in numerals -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", ' " ~ roman ~ " ', ' " ~ digits ~ " ')" -%}
    {%- endfor -%}
    trim({{ ns.sql }})
{%- endmacro %}

{#-
    Numbers written as words become digits, so that a number compares as a number whatever its
    form (BRIGADE FORTY-FOUR ~ BRIGADE 44; the numbers veto of the name score then sees 44 on both
    sides): ONE..NINETEEN, the tens TWENTY..NINETY (and the common misspelling FOURTY), a tens word
    followed by a unit word or digit (FORTY FOUR, FORTY 4: 44), and the ordinals FIRST..TWENTIETH as
    1st..20th (as a feed writes them: FIRST BANK ~ 1ST BANK). A compile-time table inlined as
    literal replace() calls (no pattern read from a table at run time), run only for the names
    that hold such a word (one inlined regular expression). Tokens are matched whole: each is
    padded with its own spaces first.
-#}
{% macro number_words_to_digits(expr) %}
    {%- set units = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] -%}
    {%- set teens = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen',
        'eighteen', 'nineteen'] -%}
    {%- set tens = [('twenty', 2), ('thirty', 3), ('forty', 4), ('fourty', 4), ('fifty', 5), ('sixty', 6),
        ('seventy', 7), ('eighty', 8), ('ninety', 9)] -%}
    {%- set ordinals = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth',
        'tenth', 'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth',
        'eighteenth', 'nineteenth', 'twentieth'] -%}
    {%- set pairs = [] -%}
    {#- a tens word becomes its digit and a marker (#): 4# is 40 alone, 4 with a unit after it -#}
    {%- for tens_word, tens_digit in tens -%}{%- do pairs.append((tens_word, tens_digit ~ '#')) -%}{%- endfor -%}
    {%- for unit in units -%}{%- do pairs.append((unit, loop.index | string)) -%}{%- endfor -%}
    {%- for teen in teens -%}{%- do pairs.append((teen, (loop.index + 9) | string)) -%}{%- endfor -%}
    {%- for ordinal in ordinals -%}
        {%- set n = loop.index -%}
        {%- set suffix = 'st' if n % 10 == 1 and n != 11 else ('nd' if n % 10 == 2 and n != 12 else
            ('rd' if n % 10 == 3 and n != 13 else 'th')) -%}
        {%- do pairs.append((ordinal, n ~ suffix)) -%}
    {%- endfor -%}
    {%- set words = (units + teens + ordinals) -%}
    {%- for tens_word, tens_digit in tens -%}{%- do words.append(tens_word) -%}{%- endfor -%}
    {%- set group = '$1' if target.type == 'spark' else '\\1' -%}
    {%- set ns = namespace(sql="(' ' || replace(" ~ expr ~ ", ' ', '  ') || ' ')") -%}
    {%- for word, digits in pairs -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", ' " ~ word ~ " ', ' " ~ digits ~ " ')" -%}
    {%- endfor -%}
    {%- set collapsed = omphalos.regexp_replace_all(ns.sql, ' +', ' ') -%}
    {%- set joined = omphalos.regexp_replace_all(collapsed, '# +([1-9]) ', group ~ ' ') -%}
    case
        when {{ omphalos.regexp_matches(expr, '(^| )(' ~ (words | join('|')) ~ ')( |$)') }}
            then trim(replace({{ joined }}, '#', '0'))
        else {{ expr }}
    end
{%- endmacro %}

{#-
    Abbreviations of ordinary words that companies write either way, written out (FIRST BANK INT'L ~
    FIRST INTERNATIONAL BANK): INTL, NATL, MFG, BROS, ASSN, SVCS. A compile-time table, literal
    replace() calls on whole tokens, only for the names that hold one.
-#}
{% macro abbreviations_expanded(expr) %}
    {%- set abbreviations = [
        ('intl', 'international'), ('natl', 'national'), ('mfg', 'manufacturing'), ('bros', 'brothers'),
        ('assn', 'association'), ('svcs', 'services')
    ] -%}
    {%- set ns = namespace(sql="(' ' || replace(" ~ expr ~ ", ' ', '  ') || ' ')") -%}
    {%- for short, long in abbreviations -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", ' " ~ short ~ " ', ' " ~ long ~ " ')" -%}
    {%- endfor -%}
    {%- set words = [] -%}{%- for short, long in abbreviations -%}{%- do words.append(short) -%}{%- endfor -%}
    case
        when {{ omphalos.regexp_matches(expr, '(^| )(' ~ (words | join('|')) ~ ')( |$)') }}
            then trim({{ omphalos.regexp_replace_all(ns.sql, ' +', ' ') }})
        else {{ expr }}
    end
{%- endmacro %}
