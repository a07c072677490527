-- One row per shipment party x registry entity candidate whose score reaches candidate_floor,
-- with the status and the evidence that explains it.
--
-- score = name_score (int_name_candidates_scored, macros/scoring/) of the best-scoring name of
-- the entity for this party, then:
--   party country among the entity's listed countries       +0.03
--   party country known, entity countries known, no overlap  -0.05
--   kinds (docs/matching.md, "Entity kinds"): the party's kind is the one the feed declares, else
--   the one its name shows (int_party_kinds_inferred), else unknown.
--     a listed vessel or aircraft and a trade party (person, organization), or a named vessel and
--     a listed person or organization: never the same thing; the score is capped at
--     candidate_floor (kept, NO_MATCH, with the reason)
--     a person against a listed organization, or an organization against a listed person
--                                                            -kind_mismatch_penalty (0.10)
--   vessels: the IMO number the shipment gives equal to one of the listed vessel's is decisive
--   (score 1, whatever the name: vessels are renamed, the number stays; the vessel is a candidate
--   even when its name is not); both known and different: another ship, capped at candidate_floor
--   weak alias: never alerts alone. At most REVIEW when the country corroborates it, otherwise
--   kept below review_threshold.
--   dominated: another entity has a name that the party name equals (name_score >= 0.98) and
--   this entity's best name scores at least 0.03 less: at most REVIEW (the party is already
--   explained; a sibling such as KOREA KUMSAN TECHNOLOGY next to KOREA KUMSAN COMPANY is for a
--   reviewer to confirm, not an alert of its own).
-- status: MATCH at match_threshold or above, REVIEW at review_threshold or above, else NO_MATCH.
-- The shipment's date, goods and value come with each row, and is_controlled_goods as
-- int_shipments_classified computes it once for every mart (the catalog queries read it here).

with

parties as {{ omphalos.inlined_cte() }} (

    -- read where it is used (profiles, final), never copied whole
    select * from {{ ref('int_shipment_parties_unpivoted') }}

),

shipments as (

    select * from {{ ref('int_shipments_classified') }}

),

scored as (

    select * from {{ ref('int_name_candidates_scored') }}

),

keyed as (

    select * from {{ ref('int_name_candidates_keyed') }}

),

registry_names as (

    select * from {{ ref('int_registry_names_normalized') }}

),

entities as (

    select * from {{ ref('stg_registry__entities') }}

),

party_kinds as (

    select * from {{ ref('int_party_kinds_inferred') }}

),

party_names as (

    select * from {{ ref('int_party_names_normalized') }}

),

vessel_imos as (

    select * from {{ ref('int_registry_vessel_imos') }}

),

primary_names as (

    select
        entity_id,
        min(name_id) as name_id
    from registry_names
    where name_type = 'primary'
    group by 1

),

profiles as (

    -- the distinct party profiles: a candidate's score depends on the party's name, country,
    -- IMO number and declared kind only, so candidates are scored once per profile and joined
    -- back to every shipment party of that profile at the end (final); only the profiles that
    -- have a candidate (a scored name, a listed vessel's IMO number: the two joins below)
    select distinct
        party_name,
        party_country,
        party_imo,
        party_kind_declared
    from parties
    where
        party_name in (select scored.party_name from scored)
        or party_imo in (select vessel_imos.imo from vessel_imos)

),

name_candidates as (

    select
        profiles.party_name,
        profiles.party_country,
        profiles.party_imo,
        profiles.party_kind_declared,
        scored.name_id
    from profiles
    inner join scored
        on profiles.party_name = scored.party_name

),

identifier_candidates as (

    -- a named vessel whose IMO number is a listed vessel's, when no name of that vessel is a
    -- candidate already: compared under the listed vessel's primary name
    select
        profiles.party_name,
        profiles.party_country,
        profiles.party_imo,
        profiles.party_kind_declared,
        primary_names.name_id
    from profiles
    inner join vessel_imos
        on profiles.party_imo = vessel_imos.imo
    inner join primary_names
        on vessel_imos.entity_id = primary_names.entity_id
    where not exists (
        select scored.name_id
        from scored
        inner join registry_names
            on scored.name_id = registry_names.name_id
        where
            scored.party_name = profiles.party_name
            and registry_names.entity_id = vessel_imos.entity_id
    )

),

candidates as (

    select * from name_candidates

    union all

    select * from identifier_candidates

),

joined as (

    select
        candidates.party_name,
        candidates.party_country,
        candidates.party_imo,
        candidates.party_kind_declared,
        coalesce(candidates.party_kind_declared, party_kinds.inferred_kind) as party_kind,
        case
            when candidates.party_kind_declared is not null then 'declared'
            when party_kinds.inferred_kind is not null
                then {{ dbt.concat(["'inferred: '", 'party_kinds.inferred_kind_reason']) }}
            else 'unknown'
        end as party_kind_source,
        entities.entity_id,
        entities.entity_kind,
        entities.primary_name as entity_primary_name,
        entities.source_list,
        entities.programs,
        entities.countries as entity_countries,
        registry_names.name_id as matched_name_id,
        registry_names.name_raw as matched_name,
        registry_names.name_type as matched_name_type,
        coalesce(scored.party_name_sorted, party_names.name_sorted) as party_name_sorted,
        coalesce(scored.registry_name_sorted, registry_names.name_sorted) as registry_name_sorted,
        coalesce(scored.party_legal_form, party_names.legal_form) as party_legal_form,
        coalesce(scored.registry_legal_form, registry_names.legal_form) as registry_legal_form,
        scored.matched_tokens,
        keyed.block_keys,
        scored.jw_sorted,
        scored.alignment,
        scored.compact_equal,
        scored.compact_similarity,
        scored.numbers_agree,
        scored.father_swapped,
        scored.single_token,
        scored.near_brand,
        scored.legal_form_conflict,
        scored.romanized_equal,
        scored.relative_contained,
        scored.family_name_edited,
        scored.initial_word,
        coalesce(scored.name_score, cast(0 as decimal(9, 4))) as name_score,
        {{ omphalos.candidate_country_evidence('candidates.party_country', 'entities.countries') }} as country_evidence
    from candidates
    left join scored
        on candidates.party_name = scored.party_name and candidates.name_id = scored.name_id
    left join keyed
        on scored.party_name = keyed.party_name and scored.name_id = keyed.name_id
    left join party_kinds
        on candidates.party_name = party_kinds.name_key
    left join party_names
        on candidates.party_name = party_names.name_key
    inner join registry_names
        on candidates.name_id = registry_names.name_id
    inner join entities
        on registry_names.entity_id = entities.entity_id

),

imo_agreement as (

    -- per IMO number and candidate vessel: is it one of the listed vessel's numbers, or does the
    -- listed vessel have numbers and none is it
    select
        candidate_imos.party_imo,
        candidate_imos.entity_id,
        max(case when vessel_imos.imo = candidate_imos.party_imo then 1 else 0 end) as imo_equal,
        count(vessel_imos.imo) as listed_imos
    from (
        select distinct
            party_imo,
            entity_id
        from joined
        where party_imo is not null
    ) as candidate_imos
    inner join vessel_imos
        on candidate_imos.entity_id = vessel_imos.entity_id
    group by 1, 2

),

with_kinds as (

    select
        joined.*,
        {{ omphalos.candidate_kind_conflict('joined.party_kind', 'joined.entity_kind') }} as kind_conflict,
        {{ omphalos.candidate_kind_mismatch('joined.party_kind', 'joined.entity_kind') }} as kind_mismatch,
        case
            when imo_agreement.imo_equal = 1 then 'equal'
            when imo_agreement.listed_imos > 0 then 'differs'
            else 'unknown'
        end as imo_evidence
    from joined
    left join imo_agreement
        on
            joined.party_imo = imo_agreement.party_imo
            and joined.entity_id = imo_agreement.entity_id

),

adjusted as (

    select
        *,
        {{ omphalos.candidate_adjusted_score() }} as adjusted_score
    from with_kinds

),

capped as (

    select
        *,
        {{ omphalos.candidate_capped_score('adjusted_score', var('match_threshold'), var('review_threshold')) }}
            as score
    from adjusted

),

best_name_per_entity as (

    select
        *,
        row_number() over (
            partition by party_name, party_country, party_imo, party_kind_declared, entity_id
            order by score desc, name_score desc, matched_name_id asc
        ) as name_rank
    from capped

),

best_names as (

    select
        *,
        max(name_score) over (
            partition by party_name, party_country, party_imo, party_kind_declared
        ) as party_best_name_score
    from best_name_per_entity
    where name_rank = 1

),

dominance as (

    select
        *,
        {{ omphalos.candidate_dominated('party_best_name_score') }} as dominated,
        case
            when {{ omphalos.candidate_dominated('party_best_name_score') }}
                then least(score, cast({{ var('match_threshold') }} - 0.0001 as decimal(9, 4)))
            else score
        end as final_score
    from best_names

),

rules as (

    -- one column per rule: its signed effect on the score (decimal) or whether it fired (a cap or
    -- veto); the name rules (int_name_candidates_scored) take off only the larger of the
    -- single-token and near-brand penalties, as the name score does
    select
        *,
        {{ omphalos.candidate_rule_columns() }},
        dominated as rule_dominated_cap
    from dominance

),

final as (

    select
        {{ dbt.concat(['parties.shipment_id', "':'", 'parties.party_role', "':'", 'best.entity_id']) }} as match_id,
        parties.shipment_id,
        parties.party_role,
        best.party_name,
        best.party_country,
        best.party_kind,
        best.party_kind_source,
        best.party_imo,
        shipments.ship_date,
        shipments.hs_code,
        shipments.value_usd,
        shipments.is_controlled_goods,
        best.entity_id,
        best.entity_kind,
        best.entity_primary_name,
        best.source_list,
        best.programs,
        best.entity_countries,
        best.matched_name_id,
        best.matched_name,
        best.matched_name_type,
        best.party_name_sorted,
        best.registry_name_sorted,
        best.party_legal_form,
        best.registry_legal_form,
        best.matched_tokens,
        best.block_keys,
        best.jw_sorted,
        best.alignment,
        best.name_score,
        best.country_evidence,
        best.kind_conflict,
        best.kind_mismatch,
        best.imo_evidence,
        best.rule_names_equal,
        best.rule_compact_similarity,
        best.rule_numbers_veto,
        best.rule_father_swapped_veto,
        best.rule_single_token_effect,
        best.rule_near_brand_effect,
        best.rule_legal_form_conflict_effect,
        best.rule_romanized_equal,
        best.rule_relative_contained_cap,
        best.rule_family_name_edited_cap,
        best.rule_initial_word_cap,
        best.rule_country_effect,
        best.rule_kind_mismatch_effect,
        best.rule_kind_conflict_cap,
        best.rule_imo_decisive,
        best.rule_imo_differs_cap,
        best.rule_weak_alias_cap,
        best.rule_dominated_cap,
        best.final_score as score,
        case
            when best.final_score >= {{ var('match_threshold') }} then 'MATCH'
            when best.final_score >= {{ var('review_threshold') }} then 'REVIEW'
            else 'NO_MATCH'
        end as match_status,
        -- the evidence sentence, clause by clause from the rule columns above
        {{ omphalos.candidate_evidence('best.') }}
            as evidence
    from rules as best
    -- every shipment party of the profile (countries, IMO numbers and kinds are never empty
    -- text once admitted, so the empty text stands for null in the join)
    inner join parties
        on
            best.party_name = parties.party_name
            and coalesce(best.party_country, '') = coalesce(parties.party_country, '')
            and coalesce(best.party_imo, '') = coalesce(parties.party_imo, '')
            and coalesce(best.party_kind_declared, '') = coalesce(parties.party_kind_declared, '')
    inner join shipments
        on parties.shipment_id = shipments.shipment_id
    where best.final_score >= {{ var('candidate_floor') }}

),

-- Decisions carried from earlier runs (config key decisions:, docs/review.md): the decision in
-- force for the same party name, entity and matched name, and whether it applies (the list entry
-- is unchanged) or the list entry changed since. review_queue leaves out a false_positive that
-- applies; a true_match or escalated decision is shown and the candidate stays queued.
prior_decisions as (

    select * from {{ ref('int_review_decisions_latest') }}

),

with_prior_decisions as (

    select
        final.*,
        prior_decisions.decision as prior_decision,
        prior_decisions.decision_status as prior_decision_status,
        prior_decisions.reviewer as prior_decision_reviewer,
        prior_decisions.decided_at as prior_decision_at,
        prior_decisions.reason as prior_decision_reason,
        prior_decisions.decision_id as prior_decision_id
    from final
    left join prior_decisions
        on
            final.party_name = prior_decisions.party_name
            and final.entity_id = prior_decisions.entity_id
            and final.matched_name = prior_decisions.matched_name

)

select * from with_prior_decisions
