{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 7: the candidate pairs that can reach candidate_floor - 0.10, the only ones
-- scored in full (scoring_pairs_bounded, macros/scoring/).

with

bounded as (

    {{ omphalos.scoring_pairs_bounded(
        ref('int_name_pairs_numbered'), ref('int_name_tokens_listed'), ref('int_name_pair_token_matches'),
        ref('int_name_pairs_romanized'),
        min_score=var('candidate_floor') - 0.10
    ) }}

)

select * from bounded
