-- name: transshipment_routes
-- title: Goods routed through a third country to a listed party's country
-- description: Shipments that pass through a transit country and are consigned to a party
--   matched (MATCH, or REVIEW with include_review) to a listed entity whose listed countries
--   include the destination: the classic diversion pattern. Grouped by route and entity.
-- param: include_review boolean = true | also count REVIEW candidates
-- param: min_shipments bigint = 1 | only routes with at least this many shipments
-- reads: entity_matches, shipments

with

listed_receivers as (

    select distinct
        shipment_id,
        entity_id,
        entity_primary_name,
        entity_countries,
        programs
    from entity_matches
    where
        party_role in ('consignee', 'notify_party')
        and (match_status = 'MATCH' or (match_status = 'REVIEW' and $include_review))

),

routed as (

    select
        shipments.origin_country,
        shipments.transit_country,
        shipments.destination_country,
        listed_receivers.entity_id,
        listed_receivers.entity_primary_name,
        listed_receivers.programs,
        shipments.shipment_id,
        shipments.value_usd,
        shipments.ship_date
    from shipments
    inner join listed_receivers
        on shipments.shipment_id = listed_receivers.shipment_id
    where
        shipments.transit_country is not null
        and shipments.transit_country <> shipments.destination_country
        and shipments.transit_country <> shipments.origin_country
        and list_contains(
            string_split(coalesce(listed_receivers.entity_countries, ''), ';'),
            shipments.destination_country
        )

)

select
    origin_country,
    transit_country,
    destination_country,
    entity_id,
    max(entity_primary_name) as entity_primary_name,
    max(programs) as programs,
    count(distinct shipment_id) as shipments,
    sum(value_usd) as value_usd,
    min(ship_date) as first_ship_date,
    max(ship_date) as last_ship_date
from routed
group by origin_country, transit_country, destination_country, entity_id
having count(distinct shipment_id) >= $min_shipments
order by value_usd desc, origin_country asc, transit_country asc, destination_country asc, entity_id asc
