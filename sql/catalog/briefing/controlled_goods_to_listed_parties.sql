-- name: controlled_goods_to_listed_parties
-- title: Controlled-chapter shipments to listed parties
-- description: Shipments whose HS chapter is in the controlled list and whose consignee or
--   notify party matches a listed entity (MATCH, and REVIEW when include_review is true). One row
--   per shipment and listed entity, highest value first.
-- param: hs_chapters varchar = 28;29;84;85;88;89;90;93 | ;-separated 2-digit HS chapters
--   treated as controlled (default: the project's controlled_hs_chapters seed)
-- param: include_review boolean = false | also list REVIEW candidates
-- param: max_rows bigint = 200 | how many rows to return
-- reads: entity_matches

with

chapters as (

    select trim(chapter.chapter) as hs_chapter
    from unnest(string_split($hs_chapters, ';')) as chapter (chapter)

),

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
        party_role in ('consignee', 'notify_party')
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
    chapters.hs_chapter,
    receiving_matches.value_usd,
    receiving_matches.matched_roles,
    receiving_matches.party_names,
    receiving_matches.entity_id,
    receiving_matches.entity_primary_name,
    receiving_matches.programs,
    receiving_matches.match_status,
    receiving_matches.best_score
from receiving_matches
inner join chapters
    on left(receiving_matches.hs_code, 2) = chapters.hs_chapter
order by
    receiving_matches.value_usd desc,
    receiving_matches.shipment_id asc,
    receiving_matches.entity_id asc
limit $max_rows
