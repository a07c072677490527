-- name: exposure_recomputed
-- title: Entity exposure recomputed from the matches
-- description: Recomputes each scored entity's MATCH shipments, REVIEW-only shipments and matched
--   value from entity_matches and the admitted shipments, and sets them next to entity_scores. A
--   reviewer's check that the published exposure follows from the published matches.
-- param: only_differences boolean = false | return only entities whose figures differ
-- reads: entity_matches, entity_scores, shipments

with

entity_shipments as (

    select
        entity_id,
        shipment_id,
        max(case when match_status = 'MATCH' then 1 else 0 end) as is_match
    from entity_matches
    where match_status in ('MATCH', 'REVIEW')
    group by entity_id, shipment_id

),

recomputed as (

    select
        entity_shipments.entity_id,
        sum(entity_shipments.is_match) as match_shipments,
        sum(1 - entity_shipments.is_match) as review_shipments,
        coalesce(
            sum(case when entity_shipments.is_match = 1 then shipments.value_usd end), 0
        ) as matched_value_usd
    from entity_shipments
    inner join shipments
        on entity_shipments.shipment_id = shipments.shipment_id
    group by entity_shipments.entity_id

),

compared as (

    select
        entity_scores.entity_id,
        entity_scores.primary_name,
        entity_scores.exposure_rank,
        entity_scores.match_shipments as published_match_shipments,
        recomputed.match_shipments as recomputed_match_shipments,
        entity_scores.review_shipments as published_review_shipments,
        recomputed.review_shipments as recomputed_review_shipments,
        entity_scores.matched_value_usd as published_matched_value_usd,
        recomputed.matched_value_usd as recomputed_matched_value_usd,
        coalesce(
            entity_scores.match_shipments = recomputed.match_shipments
            and entity_scores.review_shipments = recomputed.review_shipments
            and entity_scores.matched_value_usd = recomputed.matched_value_usd,
            false
        ) as consistent
    from entity_scores
    full outer join recomputed
        on entity_scores.entity_id = recomputed.entity_id

)

select *
from compared
where not $only_differences or not consistent
order by exposure_rank nulls last, entity_id
