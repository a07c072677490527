-- The run report's counts by status: candidates, entities and shipments per MATCH, REVIEW and
-- NO_MATCH (every status present, zero when none).

with

matches as (

    select * from {{ ref('entity_matches') }}

),

statuses as (

    select
        'MATCH' as match_status,
        1 as status_order
    union all
    select
        'REVIEW' as match_status,
        2 as status_order
    union all
    select
        'NO_MATCH' as match_status,
        3 as status_order

),

counted as (

    select
        statuses.match_status,
        statuses.status_order,
        count(matches.match_id) as candidates,
        count(distinct matches.entity_id) as entities,
        count(distinct matches.shipment_id) as shipments
    from statuses
    left join matches
        on statuses.match_status = matches.match_status
    group by 1, 2

)

select
    cast(status_order as integer) as status_order,
    match_status,
    cast(candidates as bigint) as candidates,
    cast(entities as bigint) as entities,
    cast(shipments as bigint) as shipments
from counted
