{#-
    The candidate rules (docs/matching.md section 5), written once for a run's entity_matches and
    for `omphalos match` (models/match/match_candidates): each macro is an expression over the
    standard candidate columns (party_country, party_kind, party_kind_source, party_imo,
    entity_kind, entity_countries, name_score, alignment, country_evidence, kind_conflict,
    kind_mismatch, imo_evidence, matched_name_type, and the name rules of
    int_name_candidates_scored). Every constant is a var of dbt_project.yml.
-#}

{#- listed, conflict or unknown: the party's country among the entity's listed countries. -#}
{% macro candidate_country_evidence(party_country, entity_countries) %}
    case
        when {{ party_country }} is null or {{ entity_countries }} = '' then 'unknown'
        when ';' || {{ entity_countries }} || ';' like '%;' || {{ party_country }} || ';%' then 'listed'
        else 'conflict'
    end
{% endmacro %}

{#-
    Why the two cannot be the same thing, or null: a listed vessel or aircraft against a party of
    another kind (with unknown_is_trade_party, a party of unknown kind is a shipper, consignee or
    notify party: a trade party), or a vessel against a listed person or organization.
-#}
{% macro candidate_kind_conflict(party_kind, entity_kind, unknown_is_trade_party=true) %}
    case
        when
            {{ entity_kind }} in ('vessel', 'aircraft')
            {%- if unknown_is_trade_party %}
            and coalesce({{ party_kind }}, '') <> {{ entity_kind }}
            {%- else %}
            and {{ party_kind }} is not null and {{ party_kind }} <> {{ entity_kind }}
            {%- endif %}
            then 'listed ' || {{ entity_kind }} || ', party ' || coalesce({{ party_kind }}, 'a trade party')
        when {{ party_kind }} = 'vessel' and {{ entity_kind }} <> 'vessel'
            then 'party is a vessel, listed ' || {{ entity_kind }}
    end
{% endmacro %}

{#- A person against a listed organization, or an organization against a listed person. -#}
{% macro candidate_kind_mismatch(party_kind, entity_kind) %}
    coalesce(
        {{ party_kind }} in ('person', 'organization')
        and {{ entity_kind }} in ('person', 'organization')
        and {{ party_kind }} <> {{ entity_kind }},
        false
    )
{% endmacro %}

{#- The name score with the country and kind effects; an equal IMO number is decisive (1). -#}
{% macro candidate_adjusted_score() %}
    case
        when imo_evidence = 'equal' then 1.0
        else
            name_score
            + case country_evidence
                when 'listed' then {{ var('country_listed_bonus') }}
                when 'conflict' then -{{ var('country_conflict_penalty') }}
                else 0
            end
            - case when kind_mismatch then {{ var('kind_mismatch_penalty') }} else 0 end
    end
{% endmacro %}

{#-
    The score in [0, 1] after the caps: a kind conflict or another IMO number at candidate_floor; a
    weak alias just below MATCH when the country is listed, else just below REVIEW.
-#}
{% macro candidate_capped_score(adjusted_score, match_threshold, review_threshold) %}
    cast(greatest(0, least(
        1,
        case
            when kind_conflict is not null or imo_evidence = 'differs'
                then least({{ adjusted_score }}, {{ var('candidate_floor') }})
            when imo_evidence = 'equal' then {{ adjusted_score }}
            when matched_name_type <> 'weak_alias' then {{ adjusted_score }}
            when country_evidence = 'listed' then least({{ adjusted_score }}, {{ match_threshold }} - 0.0001)
            else least({{ adjusted_score }}, {{ review_threshold }} - 0.0001)
        end
    )) as decimal(9, 4))
{% endmacro %}

{#- Another entity has a name the party name equals and this entity's best name scores less. -#}
{% macro candidate_dominated(best_name_score) %}
    (
        imo_evidence <> 'equal'
        and {{ best_name_score }} >= {{ var('dominance_name_score') }}
        and name_score <= {{ best_name_score }} - {{ var('dominance_margin') }}
    )
{% endmacro %}

{#- One column per rule: its signed effect (decimal), a similarity, or whether it fired. -#}
{% macro candidate_rule_columns() %}
    coalesce(compact_equal, false) as rule_names_equal,
    case
        when not coalesce(compact_equal, false) and compact_similarity >= 0.90 then compact_similarity
    end as rule_compact_similarity,
    coalesce(not numbers_agree, false) as rule_numbers_veto,
    coalesce(father_swapped, false) as rule_father_swapped_veto,
    cast(case
        when
            coalesce(single_token, false) and not coalesce(compact_equal, false)
            and compact_similarity < 0.90
            and not (
                coalesce(near_brand, false)
                and {{ var('near_brand_penalty') }} >= {{ var('single_token_penalty') }}
            )
            then -{{ var('single_token_penalty') }}
        else 0
    end as decimal(9, 4)) as rule_single_token_effect,
    cast(case
        when
            coalesce(near_brand, false) and not coalesce(compact_equal, false)
            and (
                not coalesce(single_token, false) or compact_similarity >= 0.90
                or {{ var('near_brand_penalty') }} >= {{ var('single_token_penalty') }}
            )
            then -{{ var('near_brand_penalty') }}
        else 0
    end as decimal(9, 4)) as rule_near_brand_effect,
    cast(case
        when coalesce(legal_form_conflict, false) then -{{ var('legal_form_conflict_penalty') }}
        else 0
    end as decimal(9, 4)) as rule_legal_form_conflict_effect,
    coalesce(romanized_equal, false) as rule_romanized_equal,
    coalesce(relative_contained, false) as rule_relative_contained_cap,
    coalesce(family_name_edited, false) as rule_family_name_edited_cap,
    coalesce(initial_word, false) as rule_initial_word_cap,
    cast(case
        when imo_evidence = 'equal' then 0
        when country_evidence = 'listed' then {{ var('country_listed_bonus') }}
        when country_evidence = 'conflict' then -{{ var('country_conflict_penalty') }}
        else 0
    end as decimal(9, 4)) as rule_country_effect,
    cast(case
        when kind_mismatch and imo_evidence <> 'equal' then -{{ var('kind_mismatch_penalty') }}
        else 0
    end as decimal(9, 4)) as rule_kind_mismatch_effect,
    kind_conflict is not null as rule_kind_conflict_cap,
    imo_evidence = 'equal' as rule_imo_decisive,
    imo_evidence = 'differs' as rule_imo_differs_cap,
    matched_name_type = 'weak_alias' and imo_evidence <> 'equal' and kind_conflict is null as rule_weak_alias_cap
{% endmacro %}
