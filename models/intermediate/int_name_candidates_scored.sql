-- Name similarity of every blocked candidate pair that can reach the candidate floor, with the
-- components that explain it (score_name_pairs in macros/matching.sql; token rarity from
-- int_name_token_weights).

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

candidate_keys as (

    select
        party_name as party_key,
        name_id as name_key
    from candidates

),

a_names as (

    select
        name_key as party_key,
        name_clean as a_clean,
        name_core as a_core,
        name_sorted as a_sorted,
        name_compact as a_compact,
        name_numbers as a_numbers,
        token_count as a_token_count,
        legal_form as a_legal_form,
        name_own as a_own,
        name_father as a_father
    from party_names

),

b_names as (

    select
        name_id as name_key,
        entity_kind as b_kind,
        name_clean as b_clean,
        name_core as b_core,
        name_sorted as b_sorted,
        name_compact as b_compact,
        name_numbers as b_numbers,
        token_count as b_token_count,
        legal_form as b_legal_form,
        name_own as b_own,
        name_father as b_father
    from registry_names

),

{{ omphalos.score_name_pairs(
    'candidate_keys', 'a_names', 'b_names', 'token_weights',
    min_score=var('candidate_floor') ~ ' - 0.10'
) }}

select
    name_scores.party_key as party_name,
    name_scores.name_key as name_id,
    candidates.shared_block_keys,
    name_scores.a_sorted as party_name_sorted,
    name_scores.b_sorted as registry_name_sorted,
    name_scores.a_legal_form as party_legal_form,
    name_scores.b_legal_form as registry_legal_form,
    name_scores.jw_sorted,
    name_scores.align_ab,
    name_scores.align_ba,
    name_scores.missing_ab,
    name_scores.missing_ba,
    name_scores.alignment,
    name_scores.matched_tokens,
    name_scores.compact_equal,
    name_scores.compact_similarity,
    name_scores.numbers_agree,
    name_scores.father_swapped,
    name_scores.single_token,
    name_scores.near_brand,
    name_scores.legal_form_conflict,
    name_scores.name_score
from name_scores
inner join candidates
    on name_scores.party_key = candidates.party_name and name_scores.name_key = candidates.name_id
