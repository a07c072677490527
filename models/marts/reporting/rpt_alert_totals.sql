-- The run report's totals: shipments and value of the feed, of the shipments with an alert (a
-- MATCH, or only REVIEW candidates) and of those with a MATCH.

with

alerts as (

    select
        shipment_id,
        max(case when match_status = 'MATCH' then 1 else 0 end) as has_match
    from {{ ref('entity_matches') }}
    where match_status in ('MATCH', 'REVIEW')
    group by 1

),

shipments as (

    select
        shipments.shipment_id,
        shipments.value_usd,
        alerts.has_match
    from {{ ref('stg_trade__shipments') }} as shipments
    left join alerts
        on shipments.shipment_id = alerts.shipment_id

)

select
    cast(count(*) as bigint) as feed_shipments,
    cast(coalesce(sum(value_usd), 0) as decimal(18, 2)) as feed_value_usd,
    cast(count(has_match) as bigint) as alerted_shipments,
    cast(coalesce(sum(case when has_match is not null then value_usd end), 0) as decimal(18, 2))
        as alerted_value_usd,
    cast(coalesce(sum(has_match), 0) as bigint) as match_shipments,
    cast(coalesce(sum(case when has_match = 1 then value_usd end), 0) as decimal(18, 2))
        as match_value_usd
from shipments
