-- Fails when the review queue and entity_matches disagree: every MATCH and REVIEW candidate is
-- queued exactly once with the same status and score, except one a reviewer cleared as a false
-- positive whose list entry has not changed since (docs/review.md), and nothing else is queued
-- (the audit copy for reviewers: sql/catalog/audit/queue_completeness.sql).

with

alerts as (

    select
        match_id,
        match_status,
        score
    from {{ ref('entity_matches') }}
    where
        match_status in ('MATCH', 'REVIEW')
        and not coalesce(prior_decision = 'false_positive' and prior_decision_status = 'applies', false)

),

queue as (

    select
        match_id,
        match_status,
        score
    from {{ ref('review_queue') }}

),

joined as (

    select
        coalesce(alerts.match_id, queue.match_id) as match_id,
        alerts.match_status as status_in_matches,
        queue.match_status as status_in_queue,
        alerts.score as score_in_matches,
        queue.score as score_in_queue
    from alerts
    full outer join queue
        on alerts.match_id = queue.match_id

)

select *
from joined
where
    status_in_matches is null
    or status_in_queue is null
    or status_in_matches <> status_in_queue
    or score_in_matches <> score_in_queue
