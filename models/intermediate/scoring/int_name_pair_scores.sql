{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 9: the name rules and the name score of each pair scored in full, in integer
-- units (scoring_pair_scores, macros/scoring/).

with

scores as (

    {{ omphalos.scoring_pair_scores(
        ref('int_name_pair_coverage'), ref('int_name_keys_numbered'), ref('int_name_pairs_romanized')
    ) }}

)

select * from scores
