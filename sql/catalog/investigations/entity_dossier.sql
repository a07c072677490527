-- name: entity_dossier
-- title: One listed entity's dossier
-- description: Everything the run knows about one listed entity, as section / item / detail rows:
--   listing, names, identifiers, exposure, and its MATCH and REVIEW shipments with evidence.
--   Without entity_id, the most exposed entity of the run.
-- param: entity_id varchar = null | the entity (null: the entity ranked first by exposure)
-- param: max_shipments bigint = 50 | how many matched shipments to list
-- reads: entity_matches, entity_scores, registry_entities, registry_identifiers, registry_names

with

target as (

    select coalesce(
        $entity_id,
        (
            select entity_scores.entity_id from entity_scores
            where entity_scores.exposure_rank = 1
        )
    ) as entity_id

),

listing as (

    select
        1 as section_order,
        'listing' as section,
        1 as item_order,
        registry_entities.entity_id as item,
        concat_ws(
            ' | ',
            registry_entities.primary_name,
            registry_entities.entity_kind,
            registry_entities.source_list,
            'listed ' || cast(registry_entities.list_date as varchar),
            'programs ' || registry_entities.programs,
            'countries ' || registry_entities.countries,
            registry_entities.remarks
        ) as detail
    from registry_entities
    inner join target
        on registry_entities.entity_id = target.entity_id

),

names as (

    select
        2 as section_order,
        'name' as section,
        row_number() over (order by registry_names.name_id) as item_order,
        registry_names.name_id as item,
        concat_ws(
            ' | ', registry_names.name, registry_names.name_type, registry_names.script
        ) as detail
    from registry_names
    inner join target
        on registry_names.entity_id = target.entity_id

),

identifiers as (

    select
        3 as section_order,
        'identifier' as section,
        row_number() over (order by registry_identifiers.identifier_id) as item_order,
        registry_identifiers.identifier_id as item,
        concat_ws(
            ' | ',
            registry_identifiers.id_type,
            registry_identifiers.id_value,
            registry_identifiers.id_country
        ) as detail
    from registry_identifiers
    inner join target
        on registry_identifiers.entity_id = target.entity_id

),

exposure as (

    select
        4 as section_order,
        'exposure' as section,
        1 as item_order,
        'rank ' || cast(entity_scores.exposure_rank as varchar) as item,
        concat_ws(
            ' | ',
            'score ' || cast(entity_scores.exposure_score as varchar),
            cast(entity_scores.match_shipments as varchar) || ' MATCH shipments',
            cast(entity_scores.review_shipments as varchar) || ' REVIEW-only shipments',
            'matched USD ' || cast(entity_scores.matched_value_usd as varchar),
            'controlled share ' || cast(entity_scores.controlled_share as varchar),
            'trend ' || entity_scores.trend,
            'seen ' || cast(entity_scores.first_seen as varchar)
            || ' to ' || cast(entity_scores.last_seen as varchar)
        ) as detail
    from entity_scores
    inner join target
        on entity_scores.entity_id = target.entity_id

),

shipments as (

    select
        5 as section_order,
        'shipment' as section,
        row_number() over (
            order by entity_matches.score desc, entity_matches.match_id asc
        ) as item_order,
        entity_matches.match_id as item,
        concat_ws(
            ' | ',
            entity_matches.match_status || ' ' || cast(entity_matches.score as varchar),
            cast(entity_matches.ship_date as varchar),
            entity_matches.party_role || ': ' || entity_matches.party_name,
            entity_matches.party_country,
            'HS ' || entity_matches.hs_code,
            'USD ' || cast(entity_matches.value_usd as varchar),
            entity_matches.evidence
        ) as detail
    from entity_matches
    inner join target
        on entity_matches.entity_id = target.entity_id
    where entity_matches.match_status in ('MATCH', 'REVIEW')
    qualify item_order <= $max_shipments

),

dossier as (

    select * from listing
    union all
    select * from names
    union all
    select * from identifiers
    union all
    select * from exposure
    union all
    select * from shipments

)

select
    (select target.entity_id from target) as entity_id,
    section,
    item_order,
    item,
    detail
from dossier
order by section_order, item_order
