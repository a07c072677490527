-- One row per shipment party x registry entity candidate whose score reaches candidate_floor,
-- with the status and the evidence that explains it.
--
-- score = name_score (int_name_candidates_scored, macros/matching.sql) of the best-scoring name of
-- the entity for this party, then:
--   party country among the entity's listed countries       +0.03
--   party country known, entity countries known, no overlap  -0.05
--   listed person, but the party name carries a legal form   -0.10
--   weak alias: never alerts alone. At most REVIEW when the country corroborates it, otherwise
--   kept below review_threshold.
--   dominated: another entity has a name that the party name equals (name_score >= 0.98) and
--   this entity's best name scores at least 0.03 less: at most REVIEW (the party is already
--   explained; a sibling such as KOREA KUMSAN TECHNOLOGY next to KOREA KUMSAN COMPANY is for a
--   reviewer to confirm, not an alert of its own).
-- status: MATCH at match_threshold or above, REVIEW at review_threshold or above, else NO_MATCH.

with

parties as (

    select * from {{ ref('int_shipment_parties_unpivoted') }}

),

shipments as (

    select * from {{ ref('stg_trade__shipments') }}

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

joined as (

    select
        parties.shipment_id,
        parties.party_role,
        parties.party_name,
        parties.party_country,
        entities.entity_id,
        entities.entity_kind,
        entities.primary_name as entity_primary_name,
        entities.source_list,
        entities.programs,
        entities.countries as entity_countries,
        registry_names.name_id as matched_name_id,
        registry_names.name_raw as matched_name,
        registry_names.name_type as matched_name_type,
        scored.party_name_sorted,
        scored.registry_name_sorted,
        scored.party_legal_form,
        scored.registry_legal_form,
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
        scored.name_score,
        case
            when parties.party_country is null or entities.countries = '' then 'unknown'
            when ';' || entities.countries || ';' like '%;' || parties.party_country || ';%' then 'listed'
            else 'conflict'
        end as country_evidence
    from parties
    inner join scored
        on parties.party_name = scored.party_name
    left join keyed
        on scored.party_name = keyed.party_name and scored.name_id = keyed.name_id
    inner join registry_names
        on scored.name_id = registry_names.name_id
    inner join entities
        on registry_names.entity_id = entities.entity_id

),

adjusted as (

    select
        *,
        entity_kind = 'person' and party_legal_form is not null as kind_conflict,
        name_score
        + case country_evidence when 'listed' then 0.03 when 'conflict' then -0.05 else 0 end
        - case when entity_kind = 'person' and party_legal_form is not null then 0.10 else 0 end
            as adjusted_score
    from joined

),

capped as (

    select
        *,
        cast(greatest(0, least(
            1,
            case
                when matched_name_type <> 'weak_alias' then adjusted_score
                when country_evidence = 'listed'
                    then least(adjusted_score, {{ var('match_threshold') }} - 0.0001)
                else least(adjusted_score, {{ var('review_threshold') }} - 0.0001)
            end
        )) as decimal(9, 4)) as score
    from adjusted

),

best_name_per_entity as (

    select
        *,
        row_number() over (
            partition by shipment_id, party_role, entity_id
            order by score desc, name_score desc, matched_name_id asc
        ) as name_rank
    from capped

),

best_names as (

    select
        *,
        max(name_score) over (partition by shipment_id, party_role) as party_best_name_score
    from best_name_per_entity
    where name_rank = 1

),

dominance as (

    select
        *,
        party_best_name_score >= 0.98 and name_score <= party_best_name_score - 0.03 as dominated,
        case
            when party_best_name_score >= 0.98 and name_score <= party_best_name_score - 0.03
                then least(score, cast({{ var('match_threshold') }} - 0.0001 as decimal(9, 4)))
            else score
        end as final_score
    from best_names

),

final as (

    select
        best.shipment_id || ':' || best.party_role || ':' || best.entity_id as match_id,
        best.shipment_id,
        best.party_role,
        best.party_name,
        best.party_country,
        shipments.ship_date,
        shipments.hs_code,
        shipments.value_usd,
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
        best.final_score as score,
        case
            when best.final_score >= {{ var('match_threshold') }} then 'MATCH'
            when best.final_score >= {{ var('review_threshold') }} then 'REVIEW'
            else 'NO_MATCH'
        end as match_status,
        'name ' || cast(best.name_score as {{ omphalos.string_type() }})
        || ' (token alignment ' || cast(best.alignment as {{ omphalos.string_type() }}) || ')'
        || case when best.compact_equal then '; names equal after normalization' else '' end
        || case
            when not best.compact_equal and best.compact_similarity >= 0.90
                then
                    '; names alike without spaces ('
                    || cast(best.compact_similarity as {{ omphalos.string_type() }}) || ')'
            else ''
        end
        || case when not best.numbers_agree then '; numbers in names disagree (veto)' else '' end
        || case when best.father_swapped then '; own and father''s names swapped (veto)' else '' end
        || case
            when best.compact_equal then ''
            when
                best.near_brand
                and (
                    not best.single_token or best.compact_similarity >= 0.90
                    or {{ var('near_brand_penalty') }} >= {{ var('single_token_penalty') }}
                )
                then '; distinctive word only similar, a near brand (-{{ var('near_brand_penalty') }})'
            when best.single_token and best.compact_similarity < 0.90
                then '; single-token name (-{{ var('single_token_penalty') }})'
            else ''
        end
        || case
            when best.legal_form_conflict
                then '; legal forms of different kinds (-{{ var('legal_form_conflict_penalty') }})'
            else ''
        end
        || '; country ' || best.country_evidence
        || case best.country_evidence when 'listed' then ' (+0.03)' when 'conflict' then ' (-0.05)' else '' end
        || case when best.kind_conflict then '; listed person but party has a legal form (-0.10)' else '' end
        || case when best.matched_name_type = 'weak_alias' then '; weak alias (cannot alert alone)' else '' end
        || case
            when best.dominated
                then '; another listed entity''s name equals the party name (at most REVIEW)'
            else ''
        end
        || '; via ' || best.matched_name_type
            as evidence
    from dominance as best
    inner join shipments
        on best.shipment_id = shipments.shipment_id
    where best.final_score >= {{ var('candidate_floor') }}

)

select * from final
