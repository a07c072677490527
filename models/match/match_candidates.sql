{{ config(enabled=var('enable_match', false), materialized='view', schema='match') }}
-- Screening of one name (source match.match_query, one row) against the registry, through the
-- macros a run uses: normalized_names, block_keys (against match_registry_block_keys, the usable
-- registry keys), score_name_pairs with the run's token rarity (int_name_token_weights). Then per
-- listed entity, as entity_matches does for a shipment party:
--   query country among the entity's listed countries       +0.03
--   query country given, entity countries known, no overlap  -0.05
--   listed person, but the query carries a legal form        -0.10
--   weak alias: at most REVIEW when the country corroborates it, otherwise below review
--   dominated: another entity has a name the query equals (name score >= 0.98) and this entity's
--   best name scores at least 0.03 less: at most REVIEW.
-- Kinds: a query of kind vessel meets listed vessels only; a query of kind person or
-- organization never meets a listed vessel or aircraft, and a person/organization difference is
-- stated in the evidence. Without a kind every listed entity can be met.
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
        normalized.name_key as party_key,
        query.query_kind as a_kind,
        normalized.name_clean as a_clean,
        normalized.name_core as a_core,
        normalized.name_sorted as a_sorted,
        normalized.name_compact as a_compact,
        normalized.name_numbers as a_numbers,
        normalized.token_count as a_token_count,
        normalized.legal_form as a_legal_form,
        normalized.name_own as a_own,
        normalized.name_father as a_father
    from normalized
    cross join query

),

b_names as (

    select
        name_id as name_key,
        entity_kind as b_kind,
        name_clean as b_clean,
        name_core as b_core,
        name_sorted as b_sorted,
        name_compact as b_compact,
        name_numbers as b_numbers,
        token_count as b_token_count,
        legal_form as b_legal_form,
        name_own as b_own,
        name_father as b_father
    from registry_names

),

{{ omphalos.score_name_pairs(
    'candidate_keys', 'a_names', 'b_names', 'token_weights',
    min_score=var('candidate_floor') ~ ' - 0.10'
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
        name_scores.name_score,
        case
            when query.query_country is null or entities.countries = '' then 'unknown'
            when ';' || entities.countries || ';' like '%;' || query.query_country || ';%' then 'listed'
            else 'conflict'
        end as country_evidence
    from name_scores
    inner join kind_allowed
        on name_scores.party_key = kind_allowed.party_name and name_scores.name_key = kind_allowed.name_id
    inner join registry_names
        on name_scores.name_key = registry_names.name_id
    inner join entities
        on registry_names.entity_id = entities.entity_id
    cross join query

),

adjusted as (

    select
        *,
        entity_kind = 'person' and query_legal_form is not null as kind_conflict,
        name_score
        + case country_evidence when 'listed' then 0.03 when 'conflict' then -0.05 else 0 end
        - case when entity_kind = 'person' and query_legal_form is not null then 0.10 else 0 end
            as adjusted_score
    from joined

),

capped as (

    select
        *,
        cast(greatest(0, least(
            1,
            case
                when matched_name_type <> 'weak_alias' then adjusted_score
                when country_evidence = 'listed' then least(adjusted_score, match_threshold - 0.0001)
                else least(adjusted_score, review_threshold - 0.0001)
            end
        )) as decimal(9, 4)) as score
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
        query_best_name_score >= 0.98 and name_score <= query_best_name_score - 0.03 as dominated,
        case
            when query_best_name_score >= 0.98 and name_score <= query_best_name_score - 0.03
                then least(score, match_threshold - 0.0001)
            else score
        end as final_score
    from best_names

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
        'name ' || cast(best.name_score as {{ omphalos.string_type() }})
        || ' (token alignment ' || cast(best.alignment as {{ omphalos.string_type() }}) || ')'
        || case when best.compact_equal then '; names equal after normalization' else '' end
        || case
            when not best.compact_equal and best.compact_similarity >= 0.90
                then
                    '; names alike without spaces ('
                    || cast(best.compact_similarity as {{ omphalos.string_type() }}) || ')'
            else ''
        end
        || case when not best.numbers_agree then '; numbers in names disagree (veto)' else '' end
        || case when best.father_swapped then '; own and father''s names swapped (veto)' else '' end
        || case
            when best.compact_equal then ''
            when best.near_brand then '; distinctive word only similar, a near brand'
            when best.single_token and best.compact_similarity < 0.90 then '; single-token name'
            else ''
        end
        || case when best.legal_form_conflict then '; legal forms of different kinds' else '' end
        || '; country ' || best.country_evidence
        || case best.country_evidence when 'listed' then ' (+0.03)' when 'conflict' then ' (-0.05)' else '' end
        || case when best.kind_conflict then '; listed person but the name carries a legal form (-0.10)' else '' end
        || case
            when best.query_kind in ('person', 'organization') and best.entity_kind <> best.query_kind
                then '; listed as ' || best.entity_kind || ', not ' || best.query_kind
            else ''
        end
        || case when best.matched_name_type = 'weak_alias' then '; weak alias (cannot alert alone)' else '' end
        || case
            when best.dominated then '; another listed entity''s name equals the query (at most REVIEW)'
            else ''
        end
        || '; via ' || best.matched_name_type
            as evidence
    from dominance as best
    where best.final_score >= {{ var('candidate_floor') }}

)

select * from final
