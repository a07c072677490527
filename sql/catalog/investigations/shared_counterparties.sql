-- name: shared_counterparties
-- title: Unlisted consignees that share suppliers with listed ones
-- description: For each consignee matched to a listed entity (MATCH), the shippers that supply it,
--   and the other, unlisted consignees those same shippers supply: possible intermediaries or
--   fronts that buy the same goods from the same sources.
-- param: min_shared_shippers bigint = 1 | only pairs sharing at least this many shippers
-- param: max_rows bigint = 200 | how many rows to return
-- reads: entity_matches, shipments

with

listed_consignees as (

    select distinct
        entity_matches.entity_id,
        entity_matches.entity_primary_name,
        entity_matches.shipment_id
    from entity_matches
    where entity_matches.party_role = 'consignee' and entity_matches.match_status = 'MATCH'

),

alerting_consignees as (

    select distinct shipment_id
    from entity_matches
    where party_role = 'consignee' and match_status in ('MATCH', 'REVIEW')

),

listed_suppliers as (

    select distinct
        listed_consignees.entity_id,
        listed_consignees.entity_primary_name,
        shipments.shipper_name
    from listed_consignees
    inner join shipments
        on listed_consignees.shipment_id = shipments.shipment_id

),

other_buyers as (

    select
        shipments.shipper_name,
        shipments.consignee_name,
        shipments.consignee_country,
        shipments.shipment_id,
        shipments.value_usd
    from shipments
    left join alerting_consignees
        on shipments.shipment_id = alerting_consignees.shipment_id
    where alerting_consignees.shipment_id is null

)

select
    listed_suppliers.entity_id,
    listed_suppliers.entity_primary_name,
    other_buyers.consignee_name as unlisted_consignee,
    other_buyers.consignee_country as unlisted_consignee_country,
    count(distinct other_buyers.shipper_name) as shared_shippers,
    string_agg(
        distinct other_buyers.shipper_name, ' | ' order by other_buyers.shipper_name
    ) as shippers,
    count(distinct other_buyers.shipment_id) as shipments_to_unlisted,
    sum(other_buyers.value_usd) as value_to_unlisted_usd
from listed_suppliers
inner join other_buyers
    on listed_suppliers.shipper_name = other_buyers.shipper_name
group by
    listed_suppliers.entity_id,
    listed_suppliers.entity_primary_name,
    other_buyers.consignee_name,
    other_buyers.consignee_country
having count(distinct other_buyers.shipper_name) >= $min_shared_shippers
order by
    shared_shippers desc,
    value_to_unlisted_usd desc,
    listed_suppliers.entity_id asc,
    unlisted_consignee asc,
    unlisted_consignee_country asc
limit $max_rows
