-- name: weak_alias_candidates
-- title: Candidates resting on a weak alias
-- description: Candidates whose best registry name is a weak alias (a weak a.k.a., which must
--   never alert alone), by status: any MATCH here deserves a second look at the alias rule.
-- reads: entity_matches

select
    match_status,
    count(*) as candidates,
    count(distinct entity_id) as entities,
    count(distinct party_name) as party_names,
    min(score) as min_score,
    max(score) as max_score,
    min(match_id) as example_match_id
from entity_matches
where matched_name_type = 'weak_alias'
group by match_status
order by match_status
