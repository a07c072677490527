{{ config(enabled=var('enable_match', false), materialized='view', schema='match') }}
-- Screening of one name (source match.match_query, one row) against the registry, through the
-- macros a run uses: normalized_names, block_keys (against match_registry_block_keys, the usable
-- registry keys), score_name_pairs with the run's token rarity (int_name_token_weights). Then per
-- listed entity, the candidate rules of entity_matches (macros/screening/candidate_rules.sql: country
-- evidence, kinds, weak alias, dominance, and the evidence sentence), with the query as the party:
-- its kind is the one given (--kind), else organization when it carries a legal form, else
-- unknown. A query of kind vessel meets listed vessels only; a query of kind person or
-- organization never meets a listed vessel or aircraft; without a kind every listed entity can be
-- met.
-- status: MATCH at the query's match_threshold or above, REVIEW at review_threshold or above.

with

query as (

    select
        query_name,
        lower(query_kind) as query_kind,
        upper(query_country) as query_country,
        cast(match_threshold as decimal(9, 4)) as match_threshold,
        cast(review_threshold as decimal(9, 4)) as review_threshold
    from {{ source('match', 'match_query') }}

),

query_names as (

    select distinct query_name from query

),

{{ omphalos.normalized_names('query_names', 'query_name', 'query_name') }},

query_keys as (

    {{ omphalos.block_keys('normalized', 'name_key') }}

),

registry_keys as (

    select * from {{ ref('match_registry_block_keys') }}

),

blocked as (

    select
        query_keys.name_key as party_name,
        registry_keys.name_key as name_id,
        count(*) as shared_block_keys,
        {{ omphalos.string_agg_sorted('query_keys.block_key', ' ') }} as block_keys
    from query_keys
    inner join registry_keys
        on query_keys.block_key = registry_keys.block_key
    group by 1, 2

),

entities as (

    select * from {{ ref('stg_registry__entities') }}

),

registry_names as (

    select registry_names_normalized.*
    from {{ ref('int_registry_names_normalized') }} as registry_names_normalized
    where registry_names_normalized.name_id in (select blocked.name_id from blocked)

),

kind_allowed as (

    -- the candidates the query's kind allows (see above)
    select
        blocked.party_name,
        blocked.name_id,
        blocked.block_keys
    from blocked
    inner join registry_names
        on blocked.name_id = registry_names.name_id
    cross join query
    where
        query.query_kind is null
        or (query.query_kind = 'vessel' and registry_names.entity_kind = 'vessel')
        or (
            query.query_kind in ('person', 'organization')
            and registry_names.entity_kind not in ('vessel', 'aircraft')
        )

),

token_weights as (

    select * from {{ ref('int_name_token_weights') }}

),

candidate_keys as (

    select
        party_name as party_key,
        name_id as name_key
    from kind_allowed

),

a_names as (

    select
        normalized.name_key,
        query.query_kind as name_kind,
        normalized.name_clean,
        normalized.name_core,
        normalized.name_sorted,
        normalized.name_compact,
        normalized.name_numbers,
        normalized.token_count,
        normalized.legal_form,
        normalized.name_own,
        normalized.name_father
    from normalized
    cross join query

),

b_names as (

    select
        name_id as name_key,
        entity_kind as name_kind,
        name_clean,
        name_core,
        name_sorted,
        name_compact,
        name_numbers,
        token_count,
        legal_form,
        name_own,
        name_father
    from registry_names

),

{{ omphalos.score_name_pairs(
    'candidate_keys', 'a_names', 'b_names', 'token_weights',
    min_score=var('candidate_floor') - 0.10
) }},

joined as (

    select
        query.query_name,
        query.query_kind,
        query.query_country,
        query.match_threshold,
        query.review_threshold,
        entities.entity_id,
        entities.entity_kind,
        entities.primary_name as entity_primary_name,
        entities.source_list,
        entities.programs,
        entities.countries as entity_countries,
        registry_names.name_id as matched_name_id,
        registry_names.name_raw as matched_name,
        registry_names.name_type as matched_name_type,
        name_scores.a_sorted as query_name_sorted,
        name_scores.b_sorted as registry_name_sorted,
        name_scores.a_legal_form as query_legal_form,
        name_scores.b_legal_form as registry_legal_form,
        name_scores.matched_tokens,
        kind_allowed.block_keys,
        name_scores.alignment,
        name_scores.compact_equal,
        name_scores.compact_similarity,
        name_scores.numbers_agree,
        name_scores.father_swapped,
        name_scores.single_token,
        name_scores.near_brand,
        name_scores.legal_form_conflict,
        name_scores.romanized_equal,
        name_scores.relative_contained,
        name_scores.family_name_edited,
        name_scores.initial_word,
        name_scores.name_score,
        query.query_country as party_country,
        coalesce(query.query_kind, case when name_scores.a_legal_form is not null then 'organization' end)
            as party_kind,
        case
            when query.query_kind is not null then 'declared'
            when name_scores.a_legal_form is not null
                then {{ dbt.concat(["'inferred: legal form '", 'name_scores.a_legal_form']) }}
            else 'unknown'
        end as party_kind_source,
        cast(null as {{ omphalos.string_type() }}) as party_imo,
        'unknown' as imo_evidence,
        {{ omphalos.candidate_country_evidence('query.query_country', 'entities.countries') }} as country_evidence
    from name_scores
    inner join kind_allowed
        on name_scores.party_key = kind_allowed.party_name and name_scores.name_key = kind_allowed.name_id
    inner join registry_names
        on name_scores.name_key = registry_names.name_id
    inner join entities
        on registry_names.entity_id = entities.entity_id
    cross join query

),

with_kinds as (

    select
        *,
        {{ omphalos.candidate_kind_conflict('party_kind', 'entity_kind', unknown_is_trade_party=false) }}
            as kind_conflict,
        {{ omphalos.candidate_kind_mismatch('party_kind', 'entity_kind') }} as kind_mismatch
    from joined

),

adjusted as (

    select
        *,
        {{ omphalos.candidate_adjusted_score() }} as adjusted_score
    from with_kinds

),

capped as (

    select
        *,
        {{ omphalos.candidate_capped_score('adjusted_score', 'match_threshold', 'review_threshold') }} as score
    from adjusted

),

best_name_per_entity as (

    select
        *,
        row_number() over (
            partition by entity_id
            order by score desc, name_score desc, matched_name_id asc
        ) as name_rank
    from capped

),

best_names as (

    select
        *,
        max(name_score) over () as query_best_name_score
    from best_name_per_entity
    where name_rank = 1

),

dominance as (

    select
        *,
        {{ omphalos.candidate_dominated('query_best_name_score') }} as dominated,
        case
            when {{ omphalos.candidate_dominated('query_best_name_score') }}
                then least(score, match_threshold - 0.0001)
            else score
        end as final_score
    from best_names

),

rules as (

    select
        *,
        {{ omphalos.candidate_rule_columns() }},
        dominated as rule_dominated_cap
    from dominance

),

final as (

    select
        row_number() over (order by best.final_score desc, best.name_score desc, best.entity_id asc)
            as candidate_rank,
        best.query_name_sorted,
        best.query_legal_form,
        best.entity_id,
        best.entity_kind,
        best.entity_primary_name,
        best.source_list,
        best.programs,
        best.entity_countries,
        best.matched_name_id,
        best.matched_name,
        best.matched_name_type,
        best.registry_name_sorted,
        best.registry_legal_form,
        best.matched_tokens,
        best.block_keys,
        best.alignment,
        best.name_score,
        best.country_evidence,
        cast(best.final_score as decimal(9, 4)) as score,
        case
            when best.final_score >= best.match_threshold then 'MATCH'
            when best.final_score >= best.review_threshold then 'REVIEW'
            else 'NO_MATCH'
        end as match_status,
        {{ omphalos.candidate_evidence('best.') }}
            as evidence
    from rules as best
    where best.final_score >= {{ var('candidate_floor') }}

)

select * from final
