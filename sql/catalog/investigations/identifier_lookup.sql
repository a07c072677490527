-- name: identifier_lookup
-- title: Find listed entities by identifier
-- description: Listed entities carrying an identifier (IMO number, passport, tax or registration
--   number, ...) whose value matches a pattern (ILIKE; spaces and dashes ignored), with the
--   entity's exposure in this run, if any.
-- param: id_pattern varchar = % | ILIKE pattern on the identifier value (default: all)
-- param: id_type varchar = null | only this identifier type, e.g. IMO (null: any)
-- param: max_rows bigint = 100 | how many rows to return
-- reads: entity_scores, registry_entities, registry_identifiers

select
    registry_identifiers.id_type,
    registry_identifiers.id_value,
    registry_identifiers.id_country,
    registry_entities.entity_id,
    registry_entities.primary_name,
    registry_entities.entity_kind,
    registry_entities.programs,
    entity_scores.exposure_rank,
    coalesce(entity_scores.match_shipments, 0) as match_shipments,
    coalesce(entity_scores.matched_value_usd, 0) as matched_value_usd
from registry_identifiers
inner join registry_entities
    on registry_identifiers.entity_id = registry_entities.entity_id
left join entity_scores
    on registry_entities.entity_id = entity_scores.entity_id
where
    replace(replace(registry_identifiers.id_value, ' ', ''), '-', '')
    ilike replace(replace($id_pattern, ' ', ''), '-', '')
    and ($id_type is null or registry_identifiers.id_type = $id_type)
order by
    entity_scores.exposure_rank asc nulls last,
    registry_identifiers.id_type asc,
    registry_identifiers.id_value asc,
    registry_identifiers.identifier_id asc
limit $max_rows
