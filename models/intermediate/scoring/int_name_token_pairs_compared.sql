{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 5: each distinct pair of different tokens meeting in a candidate pair, compared
-- once; only those with a similarity above 0 (scoring_token_pairs_compared, macros/scoring/).

with

compared as (

    {{ omphalos.scoring_token_pairs_compared(
        ref('int_name_pairs_numbered'), ref('int_name_tokens_listed'), ref('int_name_vocabulary')
    ) }}

)

select * from compared
