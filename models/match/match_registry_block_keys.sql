{{ config(enabled=var('enable_match', false), materialized='table', schema='match') }}
-- The registry side of blocking, computed once for `omphalos match` (see match_candidates).

with

registry_names as (

    select * from {{ ref('int_registry_names_normalized') }}

),

usable_keys as (

    {{ omphalos.usable_registry_block_keys('registry_names', 'name_id') }}

)

select * from usable_keys
