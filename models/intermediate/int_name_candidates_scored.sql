-- Name similarity of every blocked candidate pair, with the components that explain it
-- (score_name_pairs in macros/matching.sql; token rarity from int_name_token_weights).

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

token_weights as (

    select * from {{ ref('int_name_token_weights') }}

),

pairs as (

    select
        candidates.party_name as party_key,
        candidates.name_id as name_key,
        candidates.shared_block_keys,
        candidates.block_keys,
        registry_names.entity_kind as b_kind,
        party_names.name_clean as a_clean,
        party_names.name_core as a_core,
        party_names.name_sorted as a_sorted,
        party_names.name_compact as a_compact,
        party_names.name_numbers as a_numbers,
        party_names.token_count as a_token_count,
        party_names.legal_form as a_legal_form,
        party_names.name_own as a_own,
        party_names.name_father as a_father,
        registry_names.name_clean as b_clean,
        registry_names.name_core as b_core,
        registry_names.name_sorted as b_sorted,
        registry_names.name_compact as b_compact,
        registry_names.name_numbers as b_numbers,
        registry_names.token_count as b_token_count,
        registry_names.name_own as b_own,
        registry_names.name_father as b_father,
        registry_names.legal_form as b_legal_form
    from candidates
    inner join party_names
        on candidates.party_name = party_names.name_key
    inner join registry_names
        on candidates.name_id = registry_names.name_id

),

{{ omphalos.score_name_pairs('pairs', 'token_weights', min_score=var('candidate_floor') ~ ' - 0.10') }}

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
    missing_ab,
    missing_ba,
    alignment,
    matched_tokens,
    compact_equal,
    compact_similarity,
    numbers_agree,
    father_swapped,
    single_token,
    near_brand,
    legal_form_conflict,
    name_score
from name_scores
