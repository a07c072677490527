{#-
    Cleaned form of a folded name (see folded_names): transliterated, lower case, apostrophes (and
    look-alikes: ` ’ ‘ ´ ʻ ʼ) and dots removed, '&' as 'and', every other run of characters that
    are neither a-z, 0-9 nor a letter of a script the seed does not transliterate (Arabic, Hebrew,
    Armenian, CJK, Thai, ...) a single space, trimmed. Letters of such scripts are kept as they
    are, so two names written in the same script can still be compared (exact tokens only, see
    score_name_pairs).
-#}
{% macro clean_name(expr) %}
    {#- a plain ASCII name is transliterated by lower() alone (the seed maps no other ASCII
        character), so it skips the seed's replace() and translate() calls -#}
    {%- set latin = "case when " ~ omphalos.regexp_matches(expr, '[^ -~]') ~ " then " ~ omphalos.transliterate(expr) ~ " else " ~ expr ~ " end" -%}
    trim({{ omphalos.regexp_replace_all(
        "replace(" ~ omphalos.regexp_replace_all("lower(" ~ latin ~ ")", "[''`.’‘´ʻʼ]", "") ~ ", '&', ' and ')",
        omphalos.non_name_chars_pattern(), " ") }})
{% endmacro %}

{#-
    CTEs folded_marks, folded_compat, folded (name_key, name_raw, name_folded): the Unicode folding
    steps above, each only for the names its guard finds (most names are plain ASCII and skip all).
-#}
{% macro folded_names(relation, key_column, name_column) %}
    {%- set fold_seed = omphalos.fold_seed_rows() -%}
    {%- set confusable_seed = omphalos.confusable_seed_rows() -%}
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
