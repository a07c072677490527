{#-
    Stage 9 (int_name_pair_scores): the name rules (docs/matching.md, 4.2 and 4.3) on each pair's
    coverage (stage 8) and both names (stage 1), in integer units:
        alignment = the better, over the two sides, of its coverage minus the other side's missing
            share times a cost: 1 when both sides miss tokens (a word replaced by another),
            otherwise name_extra_token_cost_person for a listed person, _organization otherwise;
        name_score = greatest(alignment, 1 when the compact names are equal with or without their
            legal forms, the compact-name similarity when a one-token name meets a longer one and
            it is at least 0.90), at most 0.60 when numbers disagree or own and father's names are
            swapped, minus the larger of single_token_penalty (waived when the one word is misspelt by a
            slip and nothing else differs: slip_only) and near_brand_penalty, minus
            legal_form_conflict_penalty, and at most name_review_cap (REVIEW, even with a listed
            country's +0.03) when a word was replaced: both names hold a word, particles,
            legal-form words and patronymics aside, that has no counterpart in the other (BAE
            SYSTEMS ~ BAE INDUSTRIES, ELECTRIC RHINE ~ RHINE SHIPPING: a sister company or another
            person of the family is for a reviewer, not an alert by itself), or when a word is
            matched only by another word 3+ edits away (far_word: RONALDINHO ~ RONALDO), or
            when the listed name is not a person's and a word is matched only as a single
            letter's initial (initial_word: THAMES RUBBER ~ T-RUBBER, ZHEN ISLAND ~ ZHEN I: in a
            company's or a craft's name a single letter is a word of the name, not an initial);
        romanized_equal: the pair is one Chinese or Korean name romanized by different systems
            (romanized: stage 2b, HSI CHIN-PING ~ XI JINPING): the name score is at least
            romanized_name_similarity, as for a given-name variant, with no single-token or
            near-brand penalty and no word counted as replaced;
        relative_contained: the party name (two words or more, particles and legal-form words
            aside) is contained in a longer name of a listed person, every party word has a
            counterpart, and the listed name's first word has none (HASSAN AL-MAJID ~ ALI HASSAN
            AL-MAJID, JONG UN ~ KIM JONG UN): another member of the family as likely as the listed
            person, so at most name_review_cap (REVIEW);
        family_name_edited: a listed person's name of two words, particles aside, against a party
            name of two, every word matched, and a word matched only by another common family name
            (stage 8, edited_tokens_b: PENG XIAOLONG ~ DENG XIAOLONG, and ~ DENG XIAOLUNG): the
            given name with another family name is another person as likely as a misspelling, so
            at most name_review_cap. A third word in common is the further evidence a MATCH needs.
-#}
{% macro scoring_pair_scores(coverage, names, romanized) %}
    {%- set unit = omphalos.score_unit() -%}
    {%- set u = omphalos.to_units -%}
    select
        *,
        greatest(0, least(
            case when not numbers_agree or father_swapped then {{ u(0.60) }} else {{ unit }} end,
            greatest(
                alignment,
                case when compact_equal then {{ unit }} else 0 end,
                case when compact_similarity >= {{ u(0.90) }} then compact_similarity else 0 end,
                case when romanized_equal then {{ u(var('romanized_name_similarity')) }} else 0 end
            )
            - greatest(
                case
                    when
                        single_token and not compact_equal and compact_similarity < {{ u(0.90) }}
                        and not slip_only and not romanized_equal
                        then {{ u(var('single_token_penalty')) }}
                    else 0
                end,
                case when near_brand and not compact_equal and not romanized_equal then {{ u(var('near_brand_penalty')) }} else 0 end
            )
            - case when legal_form_conflict then {{ u(var('legal_form_conflict_penalty')) }} else 0 end,
            case
                when word_replaced or far_word or initial_word or relative_contained or family_name_edited
                    then {{ u(var('name_review_cap')) }}
                else {{ unit }}
            end
        )) as name_score
    from (
        select
            *,
            {{ omphalos.round_div(
                'greatest(0, '
                ~ 'align_ab * ' ~ unit ~ ' - missing_ba * case when missing_ab > 0 then ' ~ unit
                ~ ' else extra_token_cost end, '
                ~ 'align_ba * ' ~ unit ~ ' - missing_ab * case when missing_ba > 0 then ' ~ unit
                ~ ' else extra_token_cost end)',
                unit
            ) }} as alignment,
            missing_ab > 0 and missing_ba > 0 and not compact_equal and compact_similarity < {{ u(0.90) }}
            and not romanized_equal as word_replaced,
            far_edit and not compact_equal and compact_similarity < {{ u(0.90) }} and not romanized_equal
                as far_word,
            -- a shorter name inside a listed person's name that lacks its first word: a relative
            coalesce(b_kind = 'person', false) and first_missing_b and missing_ab = 0 and missing_ba > 0
            and major_tokens_a >= 2 and not compact_equal and compact_similarity < {{ u(0.90) }}
            and not romanized_equal as relative_contained,
            -- the same given name and a family name spelt otherwise: one edit is not evidence enough
            coalesce(b_kind = 'person', false) and major_tokens_a = 2 and major_tokens_b = 2
            and missing_ab = 0 and missing_ba = 0 and edited_tokens_b >= 1
            and not compact_equal and not romanized_equal as family_name_edited,
            initial_letter and not listed_person and not compact_equal and compact_similarity < {{ u(0.90) }}
            and not romanized_equal as initial_word,
            -- one distinctive word misspelt by one edit, and nothing else differs: no single-token
            -- penalty (the edit already costs its share of the similarity)
            slips_only and missing_ab = 0 and missing_ba = 0 as slip_only
        from (
            select
                coverage.a_id,
                coverage.b_id,
                coverage.coverage_a as align_ab,
                coverage.coverage_b as align_ba,
                coverage.missing_a as missing_ab,
                coverage.missing_b as missing_ba,
                coverage.major_tokens_a,
                coalesce(coverage.first_missing_b, false) as first_missing_b,
                coverage.major_tokens_b,
                coalesce(coverage.edited_tokens_b, 0) as edited_tokens_b,
                b_names.name_kind as b_kind,
                coalesce(coverage.far_edit, false) as far_edit,
                coalesce(coverage.slips_only, false) as slips_only,
                coalesce(coverage.initial_letter, false) as initial_letter,
                coalesce(b_names.name_kind = 'person', false) as listed_person,
                romanized.a_id is not null as romanized_equal,
                coalesce(a_names.name_compact <> '' and (
                    a_names.name_compact = b_names.name_compact
                    or replace(a_names.name_clean, ' ', '') = replace(b_names.name_clean, ' ', '')
                ), false) as compact_equal,
                case
                    when
                        least(a_names.token_count, b_names.token_count) = 1
                        and a_names.token_count <> b_names.token_count
                        and abs(length(a_names.name_compact) - length(b_names.name_compact)) <= 2
                        and {{ omphalos.regexp_matches('a_names.name_compact', '^[a-z]+$') }}
                        and {{ omphalos.regexp_matches('b_names.name_compact', '^[a-z]+$') }}
                        then {{ omphalos.round_div(
                            '(greatest(length(a_names.name_compact), length(b_names.name_compact)) - '
                            ~ omphalos.edit_distance('a_names.name_compact', 'b_names.name_compact')
                            ~ ') * ' ~ unit,
                            'greatest(length(a_names.name_compact), length(b_names.name_compact))'
                        ) }}
                    else 0
                end as compact_similarity,
                coalesce(a_names.name_numbers, '') = coalesce(b_names.name_numbers, '') as numbers_agree,
                coalesce(
                    a_names.name_own <> a_names.name_father
                    and a_names.name_own = b_names.name_father
                    and a_names.name_father = b_names.name_own,
                    false
                ) as father_swapped,
                least(
                    a_names.token_count, b_names.token_count, coverage.major_tokens_a, coverage.major_tokens_b
                ) <= 1 as single_token,
                coalesce(b_names.name_kind, '') <> 'person' and coverage.derived_share_reached_b as near_brand,
                coalesce(
                    {{ omphalos.regexp_matches('a_names.legal_form', '(npo|soe)') }}
                    <> {{ omphalos.regexp_matches('b_names.legal_form', '(npo|soe)') }},
                    false
                ) as legal_form_conflict,
                case
                    when b_names.name_kind = 'person' then {{ u(var('name_extra_token_cost_person')) }}
                    else {{ u(var('name_extra_token_cost_organization')) }}
                end as extra_token_cost
            from {{ coverage }} as coverage
            inner join {{ names }} as a_names
                on a_names.side = 'a' and coverage.a_id = a_names.name_id
            inner join {{ names }} as b_names
                on b_names.side = 'b' and coverage.b_id = b_names.name_id
            left join {{ romanized }} as romanized
                on coverage.a_id = romanized.a_id and coverage.b_id = romanized.b_id
        ) as components
    ) as aligned
{% endmacro %}
