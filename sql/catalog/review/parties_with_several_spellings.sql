-- name: parties_with_several_spellings
-- title: Listed entities matched under several spellings
-- description: Listed entities that the feed names in several different ways (MATCH or REVIEW),
--   with every spelling, how often it occurs, and its best score. Many spellings of one listed
--   party suggest deliberate variation to evade screening.
-- param: min_spellings bigint = 3 | only entities with at least this many distinct spellings
-- reads: entity_matches

with

spellings as (

    select
        entity_id,
        party_name,
        count(distinct shipment_id) as shipments,
        max(score) as best_score,
        min(match_status) as best_status
    from entity_matches
    where match_status in ('MATCH', 'REVIEW')
    group by entity_id, party_name

),

entity_names as (

    select distinct
        entity_id,
        entity_primary_name
    from entity_matches

),

per_entity as (

    select
        entity_id,
        count(*) as spellings
    from spellings
    group by entity_id
    having count(*) >= $min_spellings

)

select
    per_entity.entity_id,
    entity_names.entity_primary_name,
    per_entity.spellings,
    spellings.party_name,
    spellings.shipments,
    spellings.best_score,
    spellings.best_status
from per_entity
inner join spellings
    on per_entity.entity_id = spellings.entity_id
inner join entity_names
    on per_entity.entity_id = entity_names.entity_id
order by
    per_entity.spellings desc,
    per_entity.entity_id asc,
    spellings.best_score desc,
    spellings.party_name asc
