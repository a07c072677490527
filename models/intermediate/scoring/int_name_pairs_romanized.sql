{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 2b: the candidate pairs whose names are one Chinese or Korean name romanized by
-- different systems, syllable by syllable (scoring_pairs_romanized, macros/scoring/).

with

romanized as (

    {{ omphalos.scoring_pairs_romanized(ref('int_name_pairs_numbered'), ref('int_name_keys_numbered')) }}

)

select * from romanized
