-- The run report's heat map: alerted value and shipments for each pair of the ten top
-- destination countries and ten top HS chapters of rpt_alert_flows.

with

alerts as (

    select distinct shipment_id
    from {{ ref('entity_matches') }}
    where match_status in ('MATCH', 'REVIEW')

),

top_keys as (

    select
        dimension,
        flow_key
    from {{ ref('rpt_alert_flows') }}
    where flow_rank <= 10 and dimension in ('destination', 'chapter')

)

select
    shipments.destination_country,
    shipments.hs_chapter,
    cast(sum(shipments.value_usd) as decimal(18, 2)) as alerted_value_usd,
    cast(count(*) as bigint) as alerted_shipments
from alerts
inner join {{ ref('stg_trade__shipments') }} as shipments
    on alerts.shipment_id = shipments.shipment_id
inner join top_keys as destinations
    on destinations.dimension = 'destination' and shipments.destination_country = destinations.flow_key
inner join top_keys as chapters
    on chapters.dimension = 'chapter' and shipments.hs_chapter = chapters.flow_key
group by 1, 2
