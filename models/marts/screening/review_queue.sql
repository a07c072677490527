-- What a human must look at, most urgent first: every MATCH (to confirm before action) and every
-- REVIEW candidate, except those a reviewer cleared as false positives in an earlier run while
-- the list entry is unchanged (prior_decision_status applies; docs/review.md). A prior true_match or
-- escalated decision is shown with the candidate, which stays queued.
--
-- priority = 0.5 * score + 0.25 * (controlled goods) + 0.25 * min(1, log10(1 + value) / 7),
-- MATCH before REVIEW at equal priority; ties broken by match_id.

with

matches as (

    select * from {{ ref('entity_matches') }}
    where
        match_status in ('MATCH', 'REVIEW')
        -- cleared as a false positive in an earlier run, on an unchanged list entry (docs/review.md)
        and not coalesce(
            prior_decision = 'false_positive' and prior_decision_status = 'applies', false
        )

),

shipments as (

    select
        shipment_id,
        is_controlled_goods
    from {{ ref('int_shipments_classified') }}

),

prioritized as (

    select
        matches.*,
        shipments.is_controlled_goods as controlled_goods,
        {{ omphalos.round4(
            "0.5 * cast(matches.score as " ~ omphalos.double_type() ~ ")
            + 0.25 * case when shipments.is_controlled_goods then 1 else 0 end
            + 0.25 * least(1, log10(1 + cast(matches.value_usd as " ~ omphalos.double_type() ~ ")) / 7)"
        ) }} as priority_score
    from matches
    inner join shipments
        on matches.shipment_id = shipments.shipment_id

),

final as (

    select
        cast(row_number() over (
            order by
                priority_score desc,
                case match_status when 'MATCH' then 0 else 1 end asc,
                match_id asc
        ) as bigint) as queue_position,
        match_id,
        match_status,
        priority_score,
        score,
        shipment_id,
        party_role,
        party_name,
        party_country,
        party_kind,
        entity_id,
        entity_kind,
        entity_primary_name,
        matched_name,
        matched_name_type,
        party_name_sorted,
        registry_name_sorted,
        matched_tokens,
        country_evidence,
        kind_conflict,
        kind_mismatch,
        imo_evidence,
        controlled_goods,
        hs_code,
        value_usd,
        ship_date,
        programs,
        evidence,
        prior_decision,
        prior_decision_status,
        prior_decision_reviewer,
        prior_decision_at,
        prior_decision_reason,
        prior_decision_id
    from prioritized

)

select * from final
