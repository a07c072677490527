-- name: matches_since_previous_run
-- title: New, cleared and changed alerts since a previous run
-- description: Compares this run's MATCH and REVIEW candidates with a previous run's (given with
--   --previous-run-dir): candidates that are new, no longer alerting, or whose status changed,
--   with both scores. Run it after each list or feed update.
-- param: include_unchanged boolean = false | also list candidates with the same status in both
-- reads: entity_matches, previous_entity_matches

with

current_alerts as (

    select
        match_id,
        shipment_id,
        party_role,
        party_name,
        entity_id,
        entity_primary_name,
        match_status,
        score
    from entity_matches
    where match_status in ('MATCH', 'REVIEW')

),

previous_alerts as (

    select
        match_id,
        shipment_id,
        party_role,
        party_name,
        entity_id,
        entity_primary_name,
        match_status,
        score
    from previous_entity_matches
    where match_status in ('MATCH', 'REVIEW')

),

compared as (

    select
        coalesce(current_alerts.match_id, previous_alerts.match_id) as match_id,
        coalesce(current_alerts.shipment_id, previous_alerts.shipment_id) as shipment_id,
        coalesce(current_alerts.party_role, previous_alerts.party_role) as party_role,
        coalesce(current_alerts.party_name, previous_alerts.party_name) as party_name,
        coalesce(current_alerts.entity_id, previous_alerts.entity_id) as entity_id,
        coalesce(
            current_alerts.entity_primary_name, previous_alerts.entity_primary_name
        ) as entity_primary_name,
        previous_alerts.match_status as previous_status,
        current_alerts.match_status as current_status,
        previous_alerts.score as previous_score,
        current_alerts.score as current_score,
        case
            when previous_alerts.match_id is null then 'new'
            when current_alerts.match_id is null then 'no_longer_alerting'
            when current_alerts.match_status <> previous_alerts.match_status then 'status_changed'
            else 'unchanged'
        end as change_kind
    from current_alerts
    full outer join previous_alerts
        on current_alerts.match_id = previous_alerts.match_id

)

select *
from compared
where change_kind <> 'unchanged' or $include_unchanged
order by
    case change_kind
        when 'new' then 1
        when 'status_changed' then 2
        when 'no_longer_alerting' then 3
        else 4
    end,
    current_score desc nulls last,
    match_id asc
