-- name: top_exposed_entities
-- title: Top exposed listed entities of the run
-- description: The listed entities with the most matched trade, in exposure rank order: matched
--   and reviewed shipments, matched value, controlled-goods share, trend and exposure score.
--   Start a period briefing here.
-- param: max_rows bigint = 25 | how many entities to return
-- param: min_match_shipments bigint = 1 | only entities with at least this many MATCH shipments
-- reads: entity_scores

select
    exposure_rank,
    entity_id,
    primary_name,
    entity_kind,
    programs,
    countries,
    match_shipments,
    review_shipments,
    matched_value_usd,
    controlled_value_usd,
    controlled_share,
    recent_value_usd,
    prior_value_usd,
    trend,
    exposure_score,
    first_seen,
    last_seen
from entity_scores
where match_shipments >= $min_match_shipments
order by exposure_rank
limit $max_rows
