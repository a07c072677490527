{#-
    Stage 5 (int_name_token_pairs_compared): each distinct (party token, registry token) of the
    candidate pairs that are not the same token, compared once (token_similarity, in units); only
    the pairs that count for something (similarity > 0) are kept: unrelated words, the great
    majority, count for nothing. derived_form: an approximate match where one word looks derived
    from the other, a different ending (SAMSUN ~ SAMSUNG, ZENIT ~ ZENITH, LUKOLO ~ LUKOIL) rather
    than a slip inside the word or one last letter replaced (DISNEI ~ DISNEY, EXXOR ~ EXXON).
    far_edit: the similarity comes from an edit distance of 3 or more (only long words get there above token_min_similarity: RONALDINHO ~ RONALDO, TOMASDOTTIR ~ JONSDOTTIR): another
    word of the same stem rather than a slip. slip: one edit, not in the first letter, in a word
    of 6+ letters that is not a derived form, or whose only difference is a doubled letter
    (HANNIBALL ~ HANNIBAL, WALLMART ~ WALMART, SCHELL ~ SHELL, GASPROM ~ GAZPROM): a misspelling
    of the same word, not another one (SAMSUN ~ SAMSUNG, ANDES ~ BANDES, SILVER ~ RIVER).
    initial_letter: one of the two is a single letter, matched as the other's initial (V ~
    VLADIMIR), unless both are Roman numerals (V ~ VI: a number, left to the numbers rules).
    edited_word: the similarity comes from an edit distance, neither word is a given name of seed
    given_name_variants, and both are common family names (the vocabulary's is_family_name: PENG ~
    DENG; not PUDIN ~ PUTIN, a spelling no one has, nor SELENA ~ SERENA, given names): in a
    person's name, another family name rather than a misspelt one.
-#}
{%- macro _undoubled(expr) -%}
    {%- set ns = namespace(sql=expr) -%}
    {%- for letter in 'abcdefghijklmnopqrstuvwxyz' -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '" ~ letter ~ letter ~ "', '" ~ letter ~ "')" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}
{% macro scoring_token_pairs_compared(pairs, tokens, vocabulary) %}
    {%- set a = 'a_vocabulary.token' -%}
    {%- set b = 'b_vocabulary.token' -%}
    {%- set classes = ['a_vocabulary.token_class', 'b_vocabulary.token_class'] -%}
    {%- set groups = ['a_vocabulary.variant_group', 'b_vocabulary.variant_group'] -%}
    select
        a_token_id,
        b_token_id,
        derived_form,
        coalesce(distance >= 3, false) as far_edit,
        coalesce(
            distance >= 1 and a_group is null and b_group is null
            and a_family and b_family,
            false
        ) as edited_word,
        coalesce(
            distance = 1
            and greatest(length(a_token), length(b_token)) >= 6
            and substr(a_token, 1, 1) = substr(b_token, 1, 1)
            and (not derived_form or {{ omphalos._undoubled('a_token') }} = {{ omphalos._undoubled('b_token') }}),
            false
        ) as slip,
        (length(a_token) = 1 or length(b_token) = 1)
        and not {{ omphalos.regexp_matches('concat(a_token, b_token)', '^[ivxlcdm]+$') }} as initial_letter,
        sim
    from (
        select
            a_token_id,
            b_token_id,
            derived_form,
            distance,
            a_token,
            b_token,
            a_group,
            b_group,
            a_family,
            b_family,
            {{ omphalos.token_similarity(
                'a_token', 'b_token', 'a_class', 'b_class', 'a_group', 'b_group', 'distance'
            ) }} as sim
        from (
            select
                distinct_token_pairs.a_token_id,
                distinct_token_pairs.b_token_id,
                {{ a }} as a_token,
                {{ b }} as b_token,
                {{ classes[0] }} as a_class,
                {{ classes[1] }} as b_class,
                {{ groups[0] }} as a_group,
                {{ groups[1] }} as b_group,
                a_vocabulary.is_family_name as a_family,
                b_vocabulary.is_family_name as b_family,
                (
                    (
                        substr({{ a }}, length({{ a }}), 1) <> substr({{ b }}, length({{ b }}), 1)
                        -- one letter replaced at the end keeps the word's length: a slip (DISNEI ~
                        -- DISNEY), not another ending
                        and not (
                            length({{ a }}) = length({{ b }})
                            and substr({{ a }}, 1, length({{ a }}) - 1) = substr({{ b }}, 1, length({{ b }}) - 1)
                        )
                    )
                    or substr({{ a }}, 1, length({{ b }})) = {{ b }}
                    or substr({{ b }}, 1, length({{ a }})) = {{ a }}
                ) as derived_form,
                {{ omphalos.token_distance(a, b, classes[0], classes[1], groups[0], groups[1]) }} as distance
            from (
                -- streamed once through an aggregate, never held per candidate pair: first
                -- each party-side token once per registry name it is a candidate of (many party
                -- names share a token and a registry name), then that name's tokens
                select distinct
                    a_sides.a_token_id,
                    b_tokens.token_id as b_token_id
                from (
                    select distinct
                        a_tokens.token_id as a_token_id,
                        pairs.b_id
                    from {{ pairs }} as pairs
                    inner join {{ tokens }} as a_tokens
                        on a_tokens.side = 'a' and pairs.a_id = a_tokens.name_id
                ) as a_sides
                inner join {{ tokens }} as b_tokens
                    on b_tokens.side = 'b' and a_sides.b_id = b_tokens.name_id
                where a_sides.a_token_id <> b_tokens.token_id
            ) as distinct_token_pairs
            inner join {{ vocabulary }} as a_vocabulary
                on distinct_token_pairs.a_token_id = a_vocabulary.token_id
            inner join {{ vocabulary }} as b_vocabulary
                on distinct_token_pairs.b_token_id = b_vocabulary.token_id
        ) as measured
    ) as compared
    where sim > 0
{% endmacro %}
