-- name: entity_counterparties
-- title: One listed entity's trading counterparties
-- description: For one listed entity (default: the most exposed), the parties on the other side
--   of its MATCH and REVIEW shipments: who ships to it and whom it ships to, with shipments,
--   value, goods chapters and dates, and whether the counterparty is itself alerting.
-- param: entity_id varchar = null | the entity (null: the entity ranked first by exposure)
-- reads: entity_matches, entity_scores, shipments

with

target as (

    select coalesce(
        $entity_id,
        (
            select entity_scores.entity_id from entity_scores
            where entity_scores.exposure_rank = 1
        )
    ) as entity_id

),

entity_roles as (

    select distinct
        entity_matches.shipment_id,
        entity_matches.party_role
    from entity_matches
    inner join target
        on entity_matches.entity_id = target.entity_id
    where entity_matches.match_status in ('MATCH', 'REVIEW')

),

counterparties as (

    select
        case
            when entity_roles.party_role = 'shipper' then 'ships_to'
            else 'receives_from'
        end as direction,
        case
            when entity_roles.party_role = 'shipper' then shipments.consignee_name
            else shipments.shipper_name
        end as counterparty_name,
        case
            when entity_roles.party_role = 'shipper' then shipments.consignee_country
            else shipments.shipper_country
        end as counterparty_country,
        case
            when entity_roles.party_role = 'shipper' then 'consignee'
            else 'shipper'
        end as counterparty_role,
        shipments.shipment_id,
        shipments.hs_code,
        shipments.value_usd,
        shipments.ship_date
    from entity_roles
    inner join shipments
        on entity_roles.shipment_id = shipments.shipment_id

),

alerting as (

    select distinct
        shipment_id,
        party_role
    from entity_matches
    where match_status in ('MATCH', 'REVIEW')

)

select
    (select target.entity_id from target) as entity_id,
    counterparties.direction,
    counterparties.counterparty_name,
    counterparties.counterparty_country,
    count(distinct counterparties.shipment_id) as shipments,
    sum(counterparties.value_usd) as value_usd,
    string_agg(
        distinct left(counterparties.hs_code, 2), ';' order by left(counterparties.hs_code, 2)
    ) as hs_chapters,
    min(counterparties.ship_date) as first_ship_date,
    max(counterparties.ship_date) as last_ship_date,
    count(alerting.shipment_id) > 0 as counterparty_alerting
from counterparties
left join alerting
    on
        counterparties.shipment_id = alerting.shipment_id
        and counterparties.counterparty_role = alerting.party_role
group by
    counterparties.direction,
    counterparties.counterparty_name,
    counterparties.counterparty_country
order by
    value_usd desc,
    counterparties.direction asc,
    counterparties.counterparty_name asc,
    counterparties.counterparty_country asc
