-- name: exposure_by_program
-- title: Matched trade by sanctions program
-- description: For each sanctions program, the listed entities with MATCH shipments, their
--   matched and controlled value, and the most exposed entity. An entity listed under several
--   programs counts under each of them.
-- reads: entity_scores

with

entity_programs as (

    select
        entity_scores.entity_id,
        entity_scores.primary_name,
        entity_scores.match_shipments,
        entity_scores.matched_value_usd,
        entity_scores.controlled_value_usd,
        entity_scores.exposure_rank,
        trim(program_split.program_name) as sanctions_program
    from entity_scores
    cross join
        unnest(string_split(coalesce(entity_scores.programs, ''), ';')) as program_split (program_name)
    where entity_scores.match_shipments > 0

),

ranked as (

    select
        *,
        row_number() over (partition by sanctions_program order by exposure_rank) as rank_in_program
    from entity_programs
    where sanctions_program <> ''

)

select
    sanctions_program,
    count(*) as entities,
    sum(match_shipments) as match_shipments,
    sum(matched_value_usd) as matched_value_usd,
    sum(controlled_value_usd) as controlled_value_usd,
    max(case when rank_in_program = 1 then entity_id end) as top_entity_id,
    max(case when rank_in_program = 1 then primary_name end) as top_entity_name
from ranked
group by sanctions_program
order by matched_value_usd desc, sanctions_program asc
