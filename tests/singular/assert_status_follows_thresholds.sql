-- Fails for any candidate whose status does not follow the run's thresholds (MATCH at
-- match_threshold or above, REVIEW at review_threshold or above, NO_MATCH below) or whose score is
-- below candidate_floor (the audit copy: sql/catalog/audit/threshold_consistency.sql).

select
    match_id,
    score,
    match_status
from {{ ref('entity_matches') }}
where
    score < {{ var('candidate_floor') }}
    or (match_status = 'MATCH' and score < {{ var('match_threshold') }})
    or (match_status <> 'MATCH' and score >= {{ var('match_threshold') }})
    or (match_status = 'REVIEW' and score < {{ var('review_threshold') }})
    or (match_status = 'NO_MATCH' and score >= {{ var('review_threshold') }})
