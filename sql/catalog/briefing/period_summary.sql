-- name: period_summary
-- title: Screening summary by month
-- description: Per calendar month of ship date: shipments screened, shipments with a MATCH or
--   only a REVIEW candidate, their value, and distinct listed entities matched. The briefing's
--   headline table.
-- reads: entity_matches, shipments

with

shipment_status as (

    select
        shipment_id,
        max(case when match_status = 'MATCH' then 1 else 0 end) as has_match,
        max(case when match_status = 'REVIEW' then 1 else 0 end) as has_review
    from entity_matches
    group by shipment_id

),

monthly as (

    select
        strftime(shipments.ship_date, '%Y-%m') as ship_month,
        shipments.shipment_id,
        shipments.value_usd,
        coalesce(shipment_status.has_match, 0) as has_match,
        coalesce(shipment_status.has_review, 0) as has_review
    from shipments
    left join shipment_status
        on shipments.shipment_id = shipment_status.shipment_id

),

entities as (

    select
        strftime(ship_date, '%Y-%m') as ship_month,
        count(distinct entity_id) as matched_entities
    from entity_matches
    where match_status = 'MATCH'
    group by ship_month

)

select
    monthly.ship_month,
    count(*) as shipments,
    sum(monthly.value_usd) as value_usd,
    sum(monthly.has_match) as match_shipments,
    sum(case when monthly.has_match = 0 then monthly.has_review else 0 end) as review_only_shipments,
    sum(case when monthly.has_match = 1 then monthly.value_usd else 0 end) as matched_value_usd,
    coalesce(max(entities.matched_entities), 0) as matched_entities
from monthly
left join entities
    on monthly.ship_month = entities.ship_month
group by monthly.ship_month
order by monthly.ship_month
