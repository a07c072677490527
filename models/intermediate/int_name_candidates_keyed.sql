-- The blocking keys each kept candidate pair shares (evidence of why the pair was compared): the
-- party name's keys that are also usable keys of the registry name (see
-- int_name_candidates_blocked). Listed after scoring, for the few pairs kept, not for every
-- candidate.

with

scored as (

    select
        party_name,
        name_id
    from {{ ref('int_name_candidates_scored') }}

),

party_names as (

    select party_names_normalized.*
    from {{ ref('int_party_names_normalized') }} as party_names_normalized
    where party_names_normalized.name_key in (select scored.party_name from scored)

),

registry_names as (

    select * from {{ ref('int_registry_names_normalized') }}

),

party_keys as (

    {{ omphalos.block_keys('party_names', 'name_key') }}

),

usable_registry_keys as (

    {{ omphalos.usable_registry_block_keys('registry_names', 'name_id') }}

),

scored_keys as {{ omphalos.materialized_cte_always() }} (

    -- each kept pair with its party name's keys first (70k pairs at 1M shipments); left to
    -- itself the engine matched every party key to every registry key before the pairs
    select
        scored.party_name,
        scored.name_id,
        party_keys.block_key
    from scored
    inner join party_keys
        on scored.party_name = party_keys.name_key

),

listed as (

    select
        scored_keys.party_name,
        scored_keys.name_id,
        {{ omphalos.string_agg_sorted('scored_keys.block_key', ' ') }} as block_keys
    from scored_keys
    inner join usable_registry_keys
        on
            scored_keys.name_id = usable_registry_keys.name_key
            and scored_keys.block_key = usable_registry_keys.block_key
    group by 1, 2

)

select * from listed
