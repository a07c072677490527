-- name: scores_near_thresholds
-- title: Candidate score distribution near the thresholds
-- description: Candidates counted in score bins of width bin_width, for the bins within band of
--   the run's match and review thresholds, with the status each bin received. A crowd just below
--   a threshold is where missed matches hide; a crowd just above is where false alerts come from.
-- param: band decimal = 0.05 | how far above and below each threshold to look
-- param: bin_width decimal = 0.01 | width of a score bin
-- reads: entity_matches, run_config

with

thresholds as (

    select
        'match' as threshold,
        match_threshold as threshold_value
    from run_config
    union all
    select
        'review' as threshold,
        review_threshold as threshold_value
    from run_config

),

binned as (

    select
        thresholds.threshold,
        thresholds.threshold_value,
        entity_matches.match_status,
        cast(
            floor(
                (entity_matches.score - thresholds.threshold_value)
                / cast($bin_width as decimal(9, 4))
            ) * cast($bin_width as decimal(9, 4)) as decimal(9, 4)
        ) as offset_from_threshold
    from entity_matches
    inner join thresholds
        on
            entity_matches.score >= thresholds.threshold_value - cast($band as decimal(9, 4))
            and entity_matches.score < thresholds.threshold_value + cast($band as decimal(9, 4))

)

select
    threshold,
    threshold_value,
    offset_from_threshold,
    threshold_value + offset_from_threshold as bin_start,
    count(*) as candidates,
    count(*) filter (where match_status = 'MATCH') as match_candidates,
    count(*) filter (where match_status = 'REVIEW') as review_candidates,
    count(*) filter (where match_status = 'NO_MATCH') as no_match_candidates
from binned
group by threshold, threshold_value, offset_from_threshold
order by threshold, offset_from_threshold
