-- Candidate (party name, registry name) pairs: they share at least one usable blocking key.
-- A key shared by more than max_block_key_names registry names is too common to block on, so the
-- candidate set grows with the data, not with feed x registry. Which keys a pair shares is listed
-- for the pairs kept after scoring only (int_name_candidates_keyed).

with

party_names as (

    select * from {{ ref('int_party_names_normalized') }}

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

candidates as (

    select
        party_keys.name_key as party_name,
        usable_registry_keys.name_key as name_id,
        count(*) as shared_block_keys
    from party_keys
    inner join usable_registry_keys
        on party_keys.block_key = usable_registry_keys.block_key
    group by 1, 2

)

select * from candidates
