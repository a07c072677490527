{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 2: each blocked candidate pair as the ids of its two names
-- (scoring_pairs_numbered, macros/scoring/).

with

candidates as (

    select
        party_name as party_key,
        name_id as name_key
    from {{ ref('int_name_candidates_blocked') }}

),

numbered as (

    {{ omphalos.scoring_pairs_numbered('candidates', ref('int_name_keys_numbered')) }}

)

select * from numbered
