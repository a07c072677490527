-- name: review_load_by_entity
-- title: Review workload by listed entity
-- description: Open queue items per listed entity: how many MATCH and REVIEW candidates, over how
--   many shipments and spellings, their value, and the best queue position. Lets a team split
--   the queue by entity so one reviewer sees all of an entity's candidates.
-- param: max_rows bigint = 50 | how many entities to return
-- reads: review_queue

select
    entity_id,
    max(entity_primary_name) as entity_primary_name,
    max(programs) as programs,
    count(*) as queue_items,
    count(*) filter (where match_status = 'MATCH') as match_items,
    count(*) filter (where match_status = 'REVIEW') as review_items,
    count(distinct shipment_id) as shipments,
    count(distinct party_name) as spellings,
    sum(value_usd) as value_usd,
    min(queue_position) as first_queue_position,
    max(priority_score) as top_priority_score
from review_queue
group by entity_id
order by first_queue_position
limit $max_rows
