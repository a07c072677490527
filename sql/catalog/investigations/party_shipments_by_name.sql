-- name: party_shipments_by_name
-- title: A party's shipments, found by name pattern
-- description: Every shipment in which a shipper, consignee or notify party name matches a
--   pattern (SQL ILIKE: % any text, _ one character), with its route, goods, value and the best
--   screening outcome for that party.
-- param: name_pattern varchar = %ELECTRONICS% | ILIKE pattern on the party name as written
-- param: max_rows bigint = 200 | how many rows to return
-- reads: entity_matches, shipments

with

parties as (

    select
        shipment_id,
        'shipper' as party_role,
        shipper_name as party_name,
        shipper_country as party_country
    from shipments
    union all
    select
        shipment_id,
        'consignee' as party_role,
        consignee_name as party_name,
        consignee_country as party_country
    from shipments
    union all
    select
        shipment_id,
        'notify_party' as party_role,
        notify_party_name as party_name,
        notify_party_country as party_country
    from shipments
    where notify_party_name is not null

),

best_match as (

    select
        shipment_id,
        party_role,
        entity_id,
        entity_primary_name,
        match_status,
        score
    from entity_matches
    qualify
        row_number() over (
            partition by shipment_id, party_role
            order by score desc, entity_id asc
        ) = 1

)

select
    parties.shipment_id,
    shipments.ship_date,
    parties.party_role,
    parties.party_name,
    parties.party_country,
    shipments.origin_country,
    shipments.transit_country,
    shipments.destination_country,
    shipments.hs_code,
    shipments.goods_description,
    shipments.value_usd,
    coalesce(best_match.match_status, 'NOT_A_CANDIDATE') as screening_outcome,
    best_match.score as best_score,
    best_match.entity_id,
    best_match.entity_primary_name
from parties
inner join shipments
    on parties.shipment_id = shipments.shipment_id
left join best_match
    on
        parties.shipment_id = best_match.shipment_id
        and parties.party_role = best_match.party_role
where parties.party_name ilike $name_pattern
order by shipments.ship_date, parties.shipment_id, parties.party_role
limit $max_rows
