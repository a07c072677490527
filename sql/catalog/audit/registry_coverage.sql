-- name: registry_coverage
-- title: Registry coverage by list, kind and program
-- description: Listed entities per source list, entity kind and sanctions program, with their
--   names (primary, alias, weak alias), names in a non-Latin script, identifiers, and how many
--   of them the run found in the trade feed (MATCH or REVIEW).
-- reads: entity_scores, registry_entities, registry_identifiers, registry_names

with

entity_programs as (

    select
        registry_entities.entity_id,
        registry_entities.source_list,
        registry_entities.entity_kind,
        trim(program_split.program_name) as sanctions_program
    from registry_entities
    cross join
        unnest(string_split(coalesce(registry_entities.programs, '(none)'), ';'))
            as program_split (program_name)

),

name_counts as (

    select
        entity_id,
        count(*) as all_names,
        count(*) filter (where name_type = 'alias') as aliases,
        count(*) filter (where name_type = 'weak_alias') as weak_aliases,
        count(*) filter (where coalesce(script, 'latin') <> 'latin') as non_latin_names
    from registry_names
    group by entity_id

),

identifiers as (

    select
        entity_id,
        count(*) as identifiers
    from registry_identifiers
    group by entity_id

)

select
    entity_programs.source_list,
    entity_programs.entity_kind,
    entity_programs.sanctions_program,
    count(*) as entities,
    sum(coalesce(name_counts.all_names, 0)) as all_names,
    sum(coalesce(name_counts.aliases, 0)) as aliases,
    sum(coalesce(name_counts.weak_aliases, 0)) as weak_aliases,
    sum(coalesce(name_counts.non_latin_names, 0)) as non_latin_names,
    sum(coalesce(identifiers.identifiers, 0)) as identifiers,
    count(entity_scores.entity_id) as entities_found_in_feed
from entity_programs
left join name_counts
    on entity_programs.entity_id = name_counts.entity_id
left join identifiers
    on entity_programs.entity_id = identifiers.entity_id
left join entity_scores
    on entity_programs.entity_id = entity_scores.entity_id
group by entity_programs.source_list, entity_programs.entity_kind, entity_programs.sanctions_program
order by
    entity_programs.source_list,
    entity_programs.entity_kind,
    entity_programs.sanctions_program
