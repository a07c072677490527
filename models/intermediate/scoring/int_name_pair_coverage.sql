{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 8: each side's coverage and missing share, per pair scored in full
-- (scoring_pair_coverage, macros/scoring/).

with

coverage as (

    {{ omphalos.scoring_pair_coverage(
        ref('int_name_pairs_bounded'), ref('int_name_tokens_listed'), ref('int_name_pair_token_matches')
    ) }}

)

select * from coverage
