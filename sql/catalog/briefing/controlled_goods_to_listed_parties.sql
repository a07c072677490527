-- name: controlled_goods_to_listed_parties
-- title: Controlled-goods shipments to listed parties
-- description: Shipments of controlled goods (is_controlled_goods: the HS chapter is in the
--   project's controlled_hs_chapters seed, as the run classified it) whose consignee or notify
--   party matches a listed entity (MATCH, and REVIEW when include_review is true). One row per
--   shipment and listed entity, highest value first.
-- param: include_review boolean = false | also list REVIEW candidates
-- param: max_rows bigint = 200 | how many rows to return
-- reads: entity_matches

with

receiving_matches as (

    select
        shipment_id,
        entity_id,
        min(match_status) as match_status,
        max(score) as best_score,
        string_agg(distinct party_role, ';' order by party_role) as matched_roles,
        string_agg(distinct party_name, ' | ' order by party_name) as party_names,
        max(entity_primary_name) as entity_primary_name,
        max(programs) as programs,
        max(hs_code) as hs_code,
        max(value_usd) as value_usd,
        max(ship_date) as ship_date
    from entity_matches
    where
        is_controlled_goods
        and party_role in ('consignee', 'notify_party')
        and (
            match_status = 'MATCH'
            or (match_status = 'REVIEW' and $include_review)
        )
    group by shipment_id, entity_id

)

select
    receiving_matches.shipment_id,
    receiving_matches.ship_date,
    receiving_matches.hs_code,
    receiving_matches.value_usd,
    receiving_matches.matched_roles,
    receiving_matches.party_names,
    receiving_matches.entity_id,
    receiving_matches.entity_primary_name,
    receiving_matches.programs,
    receiving_matches.match_status,
    receiving_matches.best_score
from receiving_matches
order by
    receiving_matches.value_usd desc,
    receiving_matches.shipment_id asc,
    receiving_matches.entity_id asc
limit $max_rows
