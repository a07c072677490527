-- The reviewer decision in force for each (party name, entity, matched name) of the decisions log
-- the run admitted (config key decisions:, docs/review.md): the latest one (highest seq), and
-- whether the list entry it was made on is unchanged in this run's registry (the registry entry
-- digest recorded with the decision equal to the digest of the entry as this run admitted it).
-- Empty when the run has no decisions log.

with

decisions as (

    select * from {{ source('review', 'review_decisions') }}

),

entry_digests as (

    select * from {{ source('review', 'registry_entry_digests') }}

),

ranked as (

    select
        decisions.*,
        row_number() over (
            partition by decisions.party_name, decisions.entity_id, decisions.matched_name
            order by decisions.seq desc
        ) as decision_rank
    from decisions

),

final as (

    select
        ranked.party_name,
        ranked.entity_id,
        ranked.matched_name,
        ranked.decision_id,
        ranked.decision,
        ranked.reviewer,
        ranked.decided_at,
        ranked.reason,
        ranked.run_id as decided_in_run_id,
        ranked.registry_entry_sha256 as decided_entry_sha256,
        entry_digests.registry_entry_sha256 as current_entry_sha256,
        case
            when entry_digests.registry_entry_sha256 = ranked.registry_entry_sha256 then 'applies'
            else 'list_entry_changed'
        end as decision_status
    from ranked
    left join entry_digests
        on ranked.entity_id = entry_digests.entity_id
    where ranked.decision_rank = 1

)

select * from final
