-- Candidate (party name, registry name) pairs: they share at least one usable blocking key.
-- A key shared by more than max_block_key_names registry names is too common to block on, so the
-- candidate set grows with the data, not with feed x registry. Which keys a pair shares is listed
-- for the pairs kept after scoring only (int_name_candidates_keyed).

with

-- each name numbered for the work (party_number, registry_number): the keys and the pairs that
-- share them are grouped on integers, and the names joined back to the pairs found (at 10M
-- shipments grouping 80M shared-key rows on the two names took 14 s, on the numbers 4.5 s)
party_names as (

    select
        *,
        row_number() over (order by name_key) as party_number
    from {{ ref('int_party_names_normalized') }}

),

registry_names as (

    select
        *,
        row_number() over (order by name_id) as registry_number
    from {{ ref('int_registry_names_normalized') }}

),

party_keys as (

    {{ omphalos.block_keys('party_names', 'party_number') }}

),

usable_registry_keys as (

    {{ omphalos.usable_registry_block_keys('registry_names', 'registry_number') }}

),

numbered_candidates as (

    select
        party_keys.name_key as party_number,
        usable_registry_keys.name_key as registry_number,
        count(*) as shared_block_keys
    from party_keys
    inner join usable_registry_keys
        on party_keys.block_key = usable_registry_keys.block_key
    group by 1, 2

),

candidates as (

    select
        party_names.name_key as party_name,
        registry_names.name_id,
        numbered_candidates.shared_block_keys
    from numbered_candidates
    inner join party_names
        on numbered_candidates.party_number = party_names.party_number
    inner join registry_names
        on numbered_candidates.registry_number = registry_names.registry_number

)

select * from candidates
