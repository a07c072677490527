{#-
    Name normalization, shared by party names and registry names (one implementation).

    Reference data lives in seeds (translit_chars, legal_forms). The macros below read a seed at
    compile time and inline it into the SQL as literals: a pattern or map read from a table column
    at run time is ~60x slower in DuckDB.
-#}

{% macro _seed_rows(seed_name, columns, order_by) %}
    {% if not execute %}{{ return([]) }}{% endif %}
    {% set seed_relation = ref(seed_name) %}
    {% if seed_relation.is_cte %}
        {#-
            In a unit test, ref() of any input (seeds too) is the test's fixture: a CTE of the test
            query, which this separate compile-time query cannot see. The seeds are reference data,
            not test input, so read the seed as built in the warehouse (schema `reference`, see
            seeds: in dbt_project.yml): unit tests need `dbt seed` or `dbt build` to have run.
        -#}
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
    Cleaned form of a raw name: transliterated, lower case, apostrophes (and look-alikes: ` ’ ‘ ´ ʻ ʼ)
    and dots removed, '&' as 'and', every other run of characters that are neither a-z, 0-9 nor a
    letter of a script the seed does not transliterate (Arabic, Hebrew, Armenian, CJK, Thai, ...)
    a single space, trimmed. Letters of such scripts are kept as they are, so two names written in
    the same script can still be compared (exact tokens only, see score_name_pairs).
-#}
{% macro clean_name(expr) %}
    trim({{ omphalos.regexp_replace_all(
        "replace(" ~ omphalos.regexp_replace_all("lower(" ~ omphalos.transliterate(expr) ~ ")", "[''`.’‘´ʻʼ]", "") ~ ", '&', ' and ')",
        omphalos.non_name_chars_pattern(), " ") }})
{% endmacro %}

{#-
    normalized_names(relation, key_column, name_column): one row per key with the normalized
    forms every later step uses. Legal forms are detected only at the end (two passes, so
    "trading co ltd" loses "co ltd") or, if unambiguous, at the start; a name is never stripped
    to nothing nor to a single token shorter than 4 characters. The form is kept in its own column.
    Roman numerals II..XX become digits. For Arabic-style names, name_own is the word before the
    first "son of" particle (BIN, IBN, BEN, BINT, OULD) and name_father the word after it (an
    AL/EL article skipped): AHMAD BIN HASAN has own name AHMAD and father HASAN.
-#}
{% macro normalized_names(relation, key_column, name_column) %}
    {%- set all_forms = omphalos.legal_form_alternation(false) -%}
    {%- set strict_forms = omphalos.legal_form_alternation(true) -%}
    cleaned as {{ omphalos.materialized_cte() }} (
        select
            {{ key_column }} as name_key,
            {{ name_column }} as name_raw,
            {{ omphalos.clean_name(name_column) }} as name_clean
        from {{ relation }}
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
        from with_forms
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
