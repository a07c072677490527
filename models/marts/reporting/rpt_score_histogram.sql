-- The run report's score histogram: candidates per score bin of 0.01 (bin 85 holds scores from
-- 0.85 up to 0.86; a score of 1 is bin 100) and status.

with

matches as (

    select * from {{ ref('entity_matches') }}

)

select
    cast(floor(score * 100) as integer) as score_bin,
    match_status,
    cast(count(*) as bigint) as candidates
from matches
group by 1, 2
