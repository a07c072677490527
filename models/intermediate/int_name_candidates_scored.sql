-- Name similarity of every blocked candidate pair, with the components that explain it.

with

candidates as (

    select * from {{ ref('int_name_candidates_blocked') }}

),

party_names as (

    select * from {{ ref('int_party_names_normalized') }}

),

registry_names as (

    select * from {{ ref('int_registry_names_normalized') }}

),

pairs as (

    select
        candidates.party_name as party_key,
        candidates.name_id as name_key,
        candidates.shared_block_keys,
        candidates.block_keys,
        party_names.name_core as a_core,
        party_names.name_sorted as a_sorted,
        party_names.name_compact as a_compact,
        party_names.name_numbers as a_numbers,
        party_names.token_count as a_token_count,
        party_names.legal_form as a_legal_form,
        registry_names.name_core as b_core,
        registry_names.name_sorted as b_sorted,
        registry_names.name_compact as b_compact,
        registry_names.name_numbers as b_numbers,
        registry_names.token_count as b_token_count,
        registry_names.legal_form as b_legal_form
    from candidates
    inner join party_names
        on candidates.party_name = party_names.name_key
    inner join registry_names
        on candidates.name_id = registry_names.name_id

),

{{ omphalos.score_name_pairs('pairs') }}

select
    party_key as party_name,
    name_key as name_id,
    shared_block_keys,
    block_keys,
    a_sorted as party_name_sorted,
    b_sorted as registry_name_sorted,
    a_legal_form as party_legal_form,
    b_legal_form as registry_legal_form,
    jw_sorted,
    align_ab,
    align_ba,
    alignment,
    matched_tokens,
    compact_equal,
    numbers_agree,
    single_token,
    name_score
from name_scores
where name_score >= {{ var('candidate_floor') }} - 0.10
