-- name: rising_exposure
-- title: Entities whose matched trade is new or rising
-- description: Listed entities whose MATCH value in the latest trend window is new or higher
--   than in the window before, with the change in value. Useful to see what moved this period.
-- param: min_recent_value decimal = 0 | only entities with at least this recent matched value
-- reads: entity_scores

select
    entity_id,
    primary_name,
    programs,
    trend,
    recent_value_usd,
    prior_value_usd,
    recent_value_usd - prior_value_usd as change_usd,
    match_shipments,
    exposure_rank
from entity_scores
where
    trend in ('new', 'rising')
    and recent_value_usd >= cast($min_recent_value as decimal(18, 2))
order by change_usd desc, entity_id asc
