{#-
    Name normalization, shared by party names and registry names (one implementation).

    Reference data lives in seeds (fold_chars, confusable_chars, translit_chars, legal_forms). The
    macros below read a seed at compile time and inline it into the SQL as literals: a pattern or
    map read from a table column at run time is ~60x slower in DuckDB.
-#}

{% macro _seed_rows(seed_name, columns, order_by) %}
    {#-
        In a unit test, ref() of any input (seeds too) is the test's fixture: a CTE of the test
        query, which this separate compile-time query cannot see, and ref() of a seed the test does
        not give fails. The seeds are reference data, not test input, so a unit test reads the seed
        as built in the warehouse (schema `reference`, see seeds: in dbt_project.yml): unit tests
        need `dbt seed` or `dbt build` to have run, and need not give the seeds. Elsewhere ref()
        is called at parse time too, so that a model using a seed through these macros depends on
        it (no depends_on comment needed).
    -#}
    {% set in_unit_test = model is mapping and model.get('resource_type') == 'unit_test' %}
    {% set seed_relation = none if in_unit_test else ref(seed_name) %}
    {% if not execute %}{{ return([]) }}{% endif %}
    {% if in_unit_test or seed_relation.is_cte %}
        {% set seed_relation = adapter.get_relation(
            database=target.database,
            schema=generate_schema_name('reference', none) | trim,
            identifier=seed_name
        ) %}
        {% if seed_relation is none %}
            {{ exceptions.raise_compiler_error(
                "omphalos: seed '" ~ seed_name ~ "' is not in the warehouse. Name normalization reads it"
                ~ " at compile time, in unit tests too: run `dbt seed` (or `dbt build`) first."
            ) }}
        {% endif %}
    {% endif %}
    {% set sql %}
        select {{ columns | join(', ') }} from {{ seed_relation }} order by {{ order_by }}
    {% endset %}
    {% set result = run_query(sql) %}
    {{ return(result.rows) }}
{% endmacro %}

{%- macro _sql_literal(value) -%}
'{{ (value or '') | replace("'", "''") }}'
{%- endmacro -%}

{#-
    Transliterate to ASCII Latin: single characters through translate(), multi-character
    transliterations (zh, shch, ss, ...) through replace(), characters that map to nothing removed.
-#}
{% macro transliterate(expr) %}
    {%- set rows = omphalos._seed_rows('translit_chars', ['source_char', 'latin'], 'source_char') -%}
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
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", " ~ omphalos._sql_literal(src) ~ ", " ~ omphalos._sql_literal(latin) ~ ")" -%}
    {%- endfor -%}
    {%- if single_from -%}
        {%- set ns.sql = "translate(" ~ ns.sql ~ ", " ~ omphalos._sql_literal(single_from | join('') ~ dropped | join('')) ~ ", " ~ omphalos._sql_literal(single_to | join('')) ~ ")" -%}
    {%- endif -%}
    {{ ns.sql }}
{% endmacro %}

{#- Regex alternation of legal forms (longest first), optionally only the unambiguous ones. -#}
{% macro legal_form_alternation(unambiguous_only=false) %}
    {%- set rows = omphalos._seed_rows('legal_forms', ['form', 'ambiguous'], 'length(form) desc, form') -%}
    {%- set forms = [] -%}
    {%- for r in rows -%}
        {%- if not (unambiguous_only and r[1]) -%}{%- do forms.append(r[0]) -%}{%- endif -%}
    {%- endfor -%}
    {{- return('(' ~ (forms | join('|') if forms else 'a^') ~ ')') -}}
{% endmacro %}

{#- CASE expression mapping a legal form (as matched) to its generic class. -#}
{% macro legal_form_generic(expr) %}
    {%- set rows = omphalos._seed_rows('legal_forms', ['form', 'generic'], 'form') -%}
    case {{ expr }}
    {%- for r in rows %}
        when {{ omphalos._sql_literal(r[0]) }} then {{ omphalos._sql_literal(r[1]) }}
    {%- endfor %}
    end
{% endmacro %}

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
{% macro _fold_seed() %}
    {{ return(omphalos._seed_rows('fold_chars', ['source_char', 'folded', 'kind', 'codepoints'], 'codepoints')) }}
{% endmacro %}

{#- Rows (source_char, folded, codepoints) of one kind of seed fold_chars (rows: _fold_seed()). -#}
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
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", " ~ omphalos._sql_literal(src) ~ ", " ~ omphalos._sql_literal(composed) ~ ")" -%}
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
            {%- set ns.sql = "replace(" ~ ns.sql ~ ", " ~ omphalos._sql_literal(src) ~ ", " ~ omphalos._sql_literal(folded) ~ ")" -%}
        {%- endif -%}
    {%- endfor -%}
    translate({{ ns.sql }}, {{ omphalos._sql_literal(single_from | join('')) }}, {{ omphalos._sql_literal(single_to | join('')) }})
{%- endmacro %}

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
{% macro _confusable_seed() %}
    {{ return(omphalos._seed_rows('confusable_chars', ['source_char', 'latin', 'script', 'reverse'], 'script, source_char')) }}
{% endmacro %}

{#-
    translate() arguments from seed confusable_chars (rows: _confusable_seed()): to Latin (script
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
    {{ return((omphalos._sql_literal(src | join('')), omphalos._sql_literal(dst | join('')))) }}
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

{#- confusable_word applied to each space-separated word of a name (rows: _confusable_seed()). -#}
{% macro fold_confusables(expr, rows) %}
    {{- return(adapter.dispatch('map_words', 'omphalos')(expr, 'cf_w', omphalos.confusable_word('cf_w', rows))) -}}
{% endmacro %}

{#- map_words(expr, var, body): body (an expression of var) applied to each space-separated word. -#}
{% macro default__map_words(expr, var, body) %}{{ omphalos._unsupported('map_words') }}{% endmacro %}
{% macro duckdb__map_words(expr, var, body) -%}
array_to_string(list_transform(string_split({{ expr }}, ' '), lambda {{ var }}: {{ body }}), ' ')
{%- endmacro %}
{% macro postgres__map_words(expr, var, body) -%}
(select coalesce(string_agg({{ body }}, ' ' order by {{ var }}_ord), '') from unnest(string_to_array({{ expr }}, ' ')) with ordinality as {{ var }}_t ({{ var }}, {{ var }}_ord))
{%- endmacro %}
{% macro spark__map_words(expr, var, body) -%}
array_join(transform(split({{ expr }}, ' ', -1), {{ var }} -> {{ body }}), ' ')
{%- endmacro %}

{#-
    Cleaned form of a folded name (see folded_names): transliterated, lower case, apostrophes (and
    look-alikes: ` ’ ‘ ´ ʻ ʼ) and dots removed, '&' as 'and', every other run of characters that
    are neither a-z, 0-9 nor a letter of a script the seed does not transliterate (Arabic, Hebrew,
    Armenian, CJK, Thai, ...) a single space, trimmed. Letters of such scripts are kept as they
    are, so two names written in the same script can still be compared (exact tokens only, see
    score_name_pairs).
-#}
{% macro clean_name(expr) %}
    trim({{ omphalos.regexp_replace_all(
        "replace(" ~ omphalos.regexp_replace_all("lower(" ~ omphalos.transliterate(expr) ~ ")", "[''`.’‘´ʻʼ]", "") ~ ", '&', ' and ')",
        omphalos.non_name_chars_pattern(), " ") }})
{% endmacro %}

{#-
    CTEs folded_marks, folded_compat, folded (name_key, name_raw, name_folded): the Unicode folding
    steps above, each only for the names its guard finds (most names are plain ASCII and skip all).
-#}
{% macro folded_names(relation, key_column, name_column) %}
    {%- set fold_seed = omphalos._fold_seed() -%}
    {%- set confusable_seed = omphalos._confusable_seed() -%}
    folded_marks as (
        select
            {{ key_column }} as name_key,
            {{ name_column }} as name_raw,
            case
                when {{ omphalos.regexp_matches(name_column, '[^ -~]') }}
                    then {{ omphalos.fold_marks(omphalos.rlo_visual_order(name_column), fold_seed) }}
                else {{ name_column }}
            end as name_unmarked
        from {{ relation }}
    ),

    folded_compat as (
        select
            name_key,
            name_raw,
            case
                when {{ omphalos.regexp_matches('name_unmarked', omphalos.fold_compat_class(fold_seed)) }}
                    then {{ omphalos.fold_compat('name_unmarked', fold_seed) }}
                else name_unmarked
            end as name_compat
        from folded_marks
    ),

    folded as (
        select
            name_key,
            name_raw,
            case
                when {{ omphalos.regexp_matches('name_compat', omphalos.mixed_script_word_pattern()) }}
                    then {{ omphalos.fold_confusables('name_compat', confusable_seed) }}
                else name_compat
            end as name_folded
        from folded_compat
    )
{%- endmacro %}

{#-
    normalized_names(relation, key_column, name_column): one row per key with the normalized
    forms every later step uses. The name is first folded (folded_names: invisible characters,
    marks, compatibility forms, mixed-script look-alikes), then cleaned (clean_name). Legal forms are detected only at the end (two passes, so
    "trading co ltd" loses "co ltd") or, if unambiguous, at the start; a name is never stripped
    to nothing nor to a single token shorter than 4 characters. The form is kept in its own column.
    Roman numerals II..XX become digits. For Arabic-style names, name_own is the word before the
    first "son of" particle (BIN, IBN, BEN, BINT, OULD) and name_father the word after it (an
    AL/EL article skipped): AHMAD BIN HASAN has own name AHMAD and father HASAN.
-#}
{% macro normalized_names(relation, key_column, name_column) %}
    {%- set all_forms = omphalos.legal_form_alternation(false) -%}
    {%- set strict_forms = omphalos.legal_form_alternation(true) -%}
    {{ omphalos.folded_names(relation, key_column, name_column) }},

    cleaned as {{ omphalos.materialized_cte() }} (
        select
            name_key,
            name_raw,
            {{ omphalos.clean_name('name_folded') }} as name_clean
        from folded
    ),

    suffix_1 as {{ omphalos.materialized_cte() }} (
        select
            *,
            {{ omphalos.regexp_group('name_clean', ' ' ~ all_forms ~ '$') }} as form_1
        from cleaned
    ),

    stripped_1 as {{ omphalos.materialized_cte() }} (
        select
            *,
            case
                when form_1 = '' then name_clean
                else substr(name_clean, 1, length(name_clean) - length(form_1) - 1)
            end as core_1
        from suffix_1
    ),

    suffix_2 as {{ omphalos.materialized_cte() }} (
        select
            *,
            {{ omphalos.regexp_group('core_1', ' ' ~ all_forms ~ '$') }} as form_2
        from stripped_1
    ),

    stripped_2 as {{ omphalos.materialized_cte() }} (
        select
            *,
            case
                when form_2 = '' then core_1
                else substr(core_1, 1, length(core_1) - length(form_2) - 1)
            end as core_2
        from suffix_2
    ),

    prefix as {{ omphalos.materialized_cte() }} (
        select
            *,
            {{ omphalos.regexp_group('core_2', '^' ~ strict_forms ~ ' ') }} as form_0
        from stripped_2
    ),

    stripped_3 as {{ omphalos.materialized_cte() }} (
        select
            *,
            case
                when form_0 = '' then core_2
                else substr(core_2, length(form_0) + 2)
            end as core_3
        from prefix
    ),

    guarded as {{ omphalos.materialized_cte() }} (
        -- never strip down to nothing or to one token shorter than 4 characters
        select
            *,
            case
                when core_3 <> '' and (core_3 like '% %' or length(core_3) >= 4) then core_3
                when core_2 <> '' and (core_2 like '% %' or length(core_2) >= 4) then core_2
                when core_1 <> '' and (core_1 like '% %' or length(core_1) >= 4) then core_1
                else name_clean
            end as name_core
        from stripped_3
    ),

    with_forms as {{ omphalos.materialized_cte() }} (
        select
            name_key,
            name_raw,
            name_clean,
            nullif(trim(
                case when name_core = core_3 and form_0 <> '' then {{ omphalos.legal_form_generic('form_0') }} || ' ' else '' end
                || case when form_2 <> '' and length(name_core) <= length(core_2) then {{ omphalos.legal_form_generic('form_2') }} || ' ' else '' end
                || case when form_1 <> '' and length(name_core) <= length(core_1) then {{ omphalos.legal_form_generic('form_1') }} else '' end
            ), '') as legal_form,
            {{ omphalos.roman_numerals_to_digits('name_core') }} as name_core
        from guarded
    ),

    with_numbers as {{ omphalos.materialized_cte() }} (
        select
            name_key,
            name_raw,
            name_clean,
            legal_form,
            {{ omphalos.number_words_to_digits('name_core') }} as name_core
        from with_forms
    ),

    with_words as {{ omphalos.materialized_cte() }} (
        select
            name_key,
            name_raw,
            name_clean,
            legal_form,
            {{ omphalos.abbreviations_expanded('name_core') }} as name_core
        from with_numbers
    ),

    normalized as (
        select
            name_key,
            name_raw,
            name_clean,
            legal_form,
            name_core,
            {{ omphalos.sort_tokens('name_core') }} as name_sorted,
            replace(name_core, ' ', '') as name_compact,
            case when name_core = '' then 0 else {{ omphalos.token_count('name_core') }} end as token_count,
            trim({{ omphalos.regexp_replace_all(omphalos.regexp_replace_all(omphalos.sort_tokens('name_core'), '[^0-9 ]+', ''), ' +', ' ') }}) as name_numbers,
            {{ omphalos.regexp_replace_all("replace(name_core, ' ', '')", '[aeiou]', '') }} as name_skeleton,
            nullif({{ omphalos.regexp_group('name_core', '([^ ]+) (?:bin|ibn|ben|bint|ould) ') }}, '') as name_own,
            nullif({{ omphalos.regexp_group('name_core', '(?:^| )(?:bin|ibn|ben|bint|ould) (?:(?:al|el) )?([^ ]+)') }}, '')
                as name_father
        from with_words
    )
{% endmacro %}

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

{#-
    The words of legal forms (seed legal_forms) that a name may still carry after normalization
    (forms are only stripped at its ends): every one-word form (OOO, LLC, AG, COMPANY) and every
    word of 4+ letters of a longer form (JOINT, STOCK, LIABILITY, AKTSIONERNOE), except a few that
    are ordinary words in names too. Returned as a Python list (compile time).
-#}
{% macro legal_form_words() %}
    {%- set ordinary = ['open', 'closed', 'free', 'zone', 'public', 'private', 'offshore', 'sanayi', 'ticaret'] -%}
    {%- set rows = omphalos._seed_rows('legal_forms', ['form'], 'form') -%}
    {%- set words = [] -%}
    {%- for r in rows -%}
        {%- set parts = r[0].split(' ') -%}
        {%- for w in parts -%}
            {%- if w and w not in words and w not in ordinary and (parts | length == 1 or w | length >= 4) -%}
                {%- do words.append(w) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(words | sort) }}
{% endmacro %}

{#- A SQL IN-list, '(...)', of text literals (compile time). -#}
{% macro sql_in_list(values) %}
    {%- set quoted = [] -%}
    {%- for v in values -%}{%- do quoted.append(omphalos._sql_literal(v)) -%}{%- endfor -%}
    ({{ quoted | join(', ') if quoted else "''" }})
{%- endmacro %}

{#- A one-column VALUES list, '(values (0), (1), ...)', of integers (compile time). -#}
{% macro sql_integer_values(values) %}
    {%- set rows = [] -%}
    {%- for v in values -%}{%- do rows.append('(' ~ (v | int) ~ ')') -%}{%- endfor -%}
    (values {{ rows | join(', ') }})
{%- endmacro %}

{#- A one-column VALUES list, '(values (...), (...))', of text literals (compile time). -#}
{% macro sql_values(values) %}
    {%- set rows = [] -%}
    {%- for v in values -%}{%- do rows.append('(' ~ omphalos._sql_literal(v) ~ ')') -%}{%- endfor -%}
    (values {{ rows | join(', ') if rows else "('')" }})
{%- endmacro %}

{#- The tokens of seed name_particles (THE, OF, AL, BIN, DR, SHEIKH, ...), as a Python list. -#}
{% macro name_particles() %}
    {%- set rows = omphalos._seed_rows('name_particles', ['token'], 'token') -%}
    {%- set tokens = [] -%}
    {%- for r in rows -%}{%- do tokens.append(r[0]) -%}{%- endfor -%}
    {{ return(tokens) }}
{% endmacro %}
