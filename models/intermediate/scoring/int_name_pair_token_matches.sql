{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 6: the token matches of every candidate pair (scoring_pair_token_matches,
-- macros/scoring/).

with

matches as (

    {{ omphalos.scoring_pair_token_matches(
        ref('int_name_pairs_numbered'), ref('int_name_tokens_listed'), ref('int_name_token_pairs_compared')
    ) }}

)

select * from matches
