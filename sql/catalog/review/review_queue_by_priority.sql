-- name: review_queue_by_priority
-- title: Review queue by priority, with the match evidence
-- description: The review queue in the order a reviewer should take it, with both names, their
--   normalized forms, matched tokens, country evidence and the plain-language evidence sentence.
--   Filter by status and a minimum priority.
-- param: status varchar = null | MATCH or REVIEW (null: both)
-- param: min_priority decimal = 0 | only candidates with at least this priority score
-- param: max_rows bigint = 100 | how many rows to return
-- reads: review_queue

select
    queue_position,
    match_status,
    priority_score,
    score,
    shipment_id,
    party_role,
    party_name,
    party_country,
    entity_id,
    entity_primary_name,
    matched_name,
    matched_name_type,
    party_name_sorted,
    registry_name_sorted,
    matched_tokens,
    country_evidence,
    controlled_goods,
    hs_code,
    value_usd,
    ship_date,
    programs,
    evidence
from review_queue
where
    ($status is null or match_status = $status)
    and priority_score >= cast($min_priority as decimal(9, 4))
order by queue_position
limit $max_rows
