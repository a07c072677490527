{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 4: the tokens of every name of both sides, keyed by integers
-- (scoring_tokens_listed, macros/scoring/).

with

tokens as (

    {{ omphalos.scoring_tokens_listed(ref('int_name_keys_numbered'), ref('int_name_vocabulary')) }}

)

select * from tokens
