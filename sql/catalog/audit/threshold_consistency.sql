-- name: threshold_consistency
-- title: Thresholds as configured, and as applied
-- description: Lineage of the run's thresholds: each threshold from the sealed run configuration,
--   next to the lowest and highest score of the status it governs and the number of candidates
--   whose status contradicts it (must be zero). The candidate floor is checked against every
--   exported candidate.
-- reads: entity_matches, run_config

with

per_status as (

    select
        match_status,
        count(*) as candidates,
        min(score) as min_score,
        max(score) as max_score
    from entity_matches
    group by match_status

),

violations as (

    select
        count(*) filter (
            where
            (
                entity_matches.match_status = 'MATCH'
                and entity_matches.score < run_config.match_threshold
            )
            or (
                entity_matches.match_status <> 'MATCH'
                and entity_matches.score >= run_config.match_threshold
            )
        ) as match_violations,
        count(*) filter (
            where
            (
                entity_matches.match_status = 'REVIEW'
                and entity_matches.score < run_config.review_threshold
            )
            or (
                entity_matches.match_status = 'NO_MATCH'
                and entity_matches.score >= run_config.review_threshold
            )
        ) as review_violations,
        count(*) filter (
            where entity_matches.score < run_config.candidate_floor
        ) as floor_violations
    from entity_matches
    cross join run_config

),

checks as (

    select
        1 as threshold_order,
        'match' as threshold,
        run_config.match_threshold as configured_value,
        'MATCH' as governs,
        violations.match_violations as violations
    from run_config
    cross join violations
    union all
    select
        2 as threshold_order,
        'review' as threshold,
        run_config.review_threshold as configured_value,
        'REVIEW' as governs,
        violations.review_violations as violations
    from run_config
    cross join violations
    union all
    select
        3 as threshold_order,
        'candidate_floor' as threshold,
        run_config.candidate_floor as configured_value,
        'NO_MATCH' as governs,
        violations.floor_violations as violations
    from run_config
    cross join violations

)

select
    checks.threshold,
    checks.configured_value,
    checks.governs,
    coalesce(per_status.candidates, 0) as candidates,
    per_status.min_score,
    per_status.max_score,
    checks.violations,
    checks.violations = 0 as consistent,
    run_config.config_name,
    run_config.config_sha256,
    run_config.as_of_date
from checks
cross join run_config
left join per_status
    on checks.governs = per_status.match_status
order by checks.threshold_order
