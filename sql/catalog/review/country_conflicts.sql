-- name: country_conflicts
-- title: Strong name matches whose country contradicts the listing
-- description: MATCH and REVIEW candidates whose party country is not among the entity's listed
--   countries (country_evidence = conflict). Either a false positive to clear, or a listed party
--   operating from a new country (a front or a relocation): both need a reviewer's note.
-- param: min_score decimal = 0.80 | only candidates scoring at least this
-- param: max_rows bigint = 200 | how many rows to return
-- reads: entity_matches

select
    match_id,
    match_status,
    score,
    party_name,
    party_country,
    entity_id,
    entity_primary_name,
    entity_countries,
    matched_name,
    matched_name_type,
    shipment_id,
    ship_date,
    value_usd,
    evidence
from entity_matches
where
    country_evidence = 'conflict'
    and match_status in ('MATCH', 'REVIEW')
    and score >= cast($min_score as decimal(9, 4))
order by score desc, match_id asc
limit $max_rows
