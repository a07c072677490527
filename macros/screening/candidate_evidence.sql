{#-
    The evidence sentence of a candidate, clause by clause from its rule columns
    (candidate_rule_columns, plus rule_dominated_cap): the same words in a run and in
    `omphalos match`. `prefix` qualifies the columns (e.g. 'best.').
-#}
{% macro candidate_evidence(prefix='') %}
    {%- set c = prefix -%}
    case
        when {{ c }}rule_imo_decisive
            then 'IMO ' || {{ c }}party_imo || ' equal to the listed vessel''s (decisive); '
        else ''
    end
    || 'name ' || cast({{ c }}name_score as {{ omphalos.string_type() }})
    || coalesce(
        ' (token alignment ' || cast({{ c }}alignment as {{ omphalos.string_type() }}) || ')',
        ' (not a name candidate)'
    )
    || case when {{ c }}rule_names_equal then '; names equal after normalization' else '' end
    || case
        when {{ c }}rule_compact_similarity is not null
            then
                '; names alike without spaces ('
                || cast({{ c }}rule_compact_similarity as {{ omphalos.string_type() }}) || ')'
        else ''
    end
    || case when {{ c }}rule_numbers_veto then '; numbers in names disagree (veto)' else '' end
    || case when {{ c }}rule_father_swapped_veto then '; own and father''s names swapped (veto)' else '' end
    || case
        when {{ c }}rule_near_brand_effect < 0
            then '; distinctive word only similar, a near brand (-{{ var('near_brand_penalty') }})'
        else ''
    end
    || case
        when {{ c }}rule_single_token_effect < 0 then '; single-token name (-{{ var('single_token_penalty') }})'
        else ''
    end
    || case
        when {{ c }}rule_legal_form_conflict_effect < 0
            then '; legal forms of different kinds (-{{ var('legal_form_conflict_penalty') }})'
        else ''
    end
    || case
        when {{ c }}rule_romanized_equal
            then '; one Chinese or Korean name romanized otherwise, syllable by syllable (at least {{ var('romanized_name_similarity') }})'
        else ''
    end
    || case
        when {{ c }}rule_relative_contained_cap
            then '; party name inside the listed person''s longer name without its first given name: a relative as likely (at most REVIEW)'
        else ''
    end
    || case
        when {{ c }}rule_family_name_edited_cap
            then '; same given name, family name edited into another common family name (at most REVIEW)'
        else ''
    end
    || case
        when {{ c }}rule_initial_word_cap
            then '; a word matched only as a single letter''s initial, outside a person''s name (at most REVIEW)'
        else ''
    end
    || '; country ' || {{ c }}country_evidence
    || case
        when {{ c }}rule_country_effect > 0 then ' (+{{ var('country_listed_bonus') }})'
        when {{ c }}rule_country_effect < 0 then ' (-{{ var('country_conflict_penalty') }})'
        else ''
    end
    || case
        when {{ c }}rule_kind_conflict_cap
            then
                '; kinds differ: ' || {{ c }}kind_conflict
                || ' (never the same, at most {{ var('candidate_floor') }})'
        else ''
    end
    || case
        when {{ c }}rule_kind_mismatch_effect < 0
            then
                '; kinds differ: party ' || {{ c }}party_kind || ' (' || {{ c }}party_kind_source
                || '), listed ' || {{ c }}entity_kind || ' (-{{ var('kind_mismatch_penalty') }})'
        else ''
    end
    || case
        when {{ c }}rule_imo_differs_cap
            then
                '; IMO ' || {{ c }}party_imo
                || ' is not the listed vessel''s: another ship (at most {{ var('candidate_floor') }})'
        else ''
    end
    || case when {{ c }}rule_weak_alias_cap then '; weak alias (cannot alert alone)' else '' end
    || case
        when {{ c }}rule_dominated_cap
            then '; another listed entity''s name equals the party name (at most REVIEW)'
        else ''
    end
    || '; via ' || {{ c }}matched_name_type
{% endmacro %}
