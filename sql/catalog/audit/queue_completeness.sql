-- name: queue_completeness
-- title: Every alert is in the review queue, once
-- description: Reconciles entity_matches with review_queue: per status, the candidates in each
--   table, those missing from the queue, those in the queue but not alerting, and queue rows whose
--   status or score differs from the candidate's. All differences must be zero. Candidates a
--   reviewer cleared as false positives in an earlier run, on an unchanged list entry, are not
--   queued (docs/review.md): they are counted apart, not as missing.
-- reads: entity_matches, review_queue

with

alerts as (

    select
        match_id,
        match_status,
        score,
        coalesce(
            prior_decision = 'false_positive' and prior_decision_status = 'applies', false
        ) as cleared
    from entity_matches
    where match_status in ('MATCH', 'REVIEW')

),

joined as (

    select
        coalesce(alerts.match_status, review_queue.match_status) as match_status,
        alerts.match_id is not null and not alerts.cleared as in_matches,
        coalesce(alerts.cleared, false) as cleared,
        review_queue.match_id is not null as in_queue,
        alerts.match_id is not null
        and review_queue.match_id is not null
        and (
            alerts.match_status <> review_queue.match_status
            or alerts.score <> review_queue.score
        ) as differs
    from alerts
    full outer join review_queue
        on alerts.match_id = review_queue.match_id

)

select
    match_status,
    count(*) filter (where in_matches) as alerts_in_matches,
    count(*) filter (where in_queue) as rows_in_queue,
    count(*) filter (where cleared) as cleared_by_prior_decision,
    count(*) filter (where in_matches and not in_queue) as missing_from_queue,
    count(*) filter (where in_queue and not in_matches) as not_alerting,
    count(*) filter (where differs) as status_or_score_differs
from joined
group by match_status
order by match_status
