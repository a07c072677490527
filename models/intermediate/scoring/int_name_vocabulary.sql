{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 3: every token in play once, numbered, with its class and weight in integer units
-- (scoring_vocabulary, macros/scoring/; weights from int_name_token_weights).

with

vocabulary as (

    {{ omphalos.scoring_vocabulary(ref('int_name_keys_numbered'), ref('int_name_token_weights')) }}

)

select * from vocabulary
