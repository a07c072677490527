-- name: shared_addresses
-- title: Parties linked by a shared address
-- description: Addresses used by several differently named parties (as shipper or consignee) where
--   at least one of those parties matches a listed entity (MATCH or REVIEW): other names at a
--   listed party's address may be fronts or successors.
-- param: min_names bigint = 2 | only addresses used by at least this many party names
-- reads: entity_matches, shipments

with

party_addresses as (

    select
        shipment_id,
        'shipper' as party_role,
        shipper_name as party_name,
        shipper_country as party_country,
        upper(trim(shipper_address)) as address
    from shipments
    where shipper_address is not null
    union all
    select
        shipment_id,
        'consignee' as party_role,
        consignee_name as party_name,
        consignee_country as party_country,
        upper(trim(consignee_address)) as address
    from shipments
    where consignee_address is not null

),

alerting as (

    select distinct
        shipment_id,
        party_role,
        entity_id
    from entity_matches
    where match_status in ('MATCH', 'REVIEW')

),

linked as (

    select
        party_addresses.party_country,
        party_addresses.address,
        party_addresses.party_name,
        party_addresses.shipment_id,
        alerting.entity_id
    from party_addresses
    left join alerting
        on
            party_addresses.shipment_id = alerting.shipment_id
            and party_addresses.party_role = alerting.party_role

),

addresses as (

    select
        party_country,
        address,
        count(distinct party_name) as party_names,
        count(distinct entity_id) as listed_entities
    from linked
    group by party_country, address
    having count(distinct party_name) >= $min_names and count(distinct entity_id) > 0

)

select
    addresses.party_country,
    addresses.address,
    addresses.party_names,
    addresses.listed_entities,
    linked.party_name,
    count(distinct linked.shipment_id) as shipments,
    string_agg(distinct linked.entity_id, ';' order by linked.entity_id) as matched_entity_ids
from addresses
inner join linked
    on
        addresses.party_country = linked.party_country
        and addresses.address = linked.address
group by
    addresses.party_country,
    addresses.address,
    addresses.party_names,
    addresses.listed_entities,
    linked.party_name
order by
    addresses.listed_entities desc,
    addresses.party_names desc,
    addresses.party_country asc,
    addresses.address asc,
    linked.party_name asc
