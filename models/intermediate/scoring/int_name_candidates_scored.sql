{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 10: name similarity of every blocked candidate pair that reaches
-- candidate_floor - 0.10, with the components that explain it (scoring_name_scores,
-- macros/scoring/; docs/matching.md 4).

with

candidates as (

    select * from {{ ref('int_name_candidates_blocked') }}

),

name_scores as (

    {{ omphalos.scoring_name_scores(
        ref('int_name_pair_scores'), ref('int_name_keys_numbered'), ref('int_name_pair_token_matches'),
        ref('int_name_vocabulary'), min_score=var('candidate_floor') - 0.10
    ) }}

)

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
    name_scores.romanized_equal,
    name_scores.relative_contained,
    name_scores.family_name_edited,
    name_scores.initial_word,
    name_scores.name_score
from name_scores
inner join candidates
    on name_scores.party_key = candidates.party_name and name_scores.name_key = candidates.name_id
