-- Fails for any entity whose published exposure counts differ from the ones recomputed from
-- entity_matches and the shipments (each shipment once per entity; matched value over MATCH
-- shipments), or that alerts without an entity_scores row (the audit copy:
-- sql/catalog/audit/exposure_recomputed.sql).

with

entity_shipments as (

    select
        entity_id,
        shipment_id,
        max(case when match_status = 'MATCH' then 1 else 0 end) as is_match
    from {{ ref('entity_matches') }}
    where match_status in ('MATCH', 'REVIEW')
    group by 1, 2

),

recomputed as (

    select
        entity_shipments.entity_id,
        sum(entity_shipments.is_match) as match_shipments,
        sum(1 - entity_shipments.is_match) as review_shipments,
        coalesce(
            sum(case when entity_shipments.is_match = 1 then shipments.value_usd end), 0
        ) as matched_value_usd
    from entity_shipments
    inner join {{ ref('stg_trade__shipments') }} as shipments
        on entity_shipments.shipment_id = shipments.shipment_id
    group by 1

),

published as (

    select
        entity_id,
        match_shipments,
        review_shipments,
        matched_value_usd
    from {{ ref('entity_scores') }}

)

select
    coalesce(published.entity_id, recomputed.entity_id) as entity_id,
    published.match_shipments as published_match_shipments,
    recomputed.match_shipments as recomputed_match_shipments,
    published.matched_value_usd as published_matched_value_usd,
    recomputed.matched_value_usd as recomputed_matched_value_usd
from published
full outer join recomputed
    on published.entity_id = recomputed.entity_id
where
    published.entity_id is null
    or recomputed.entity_id is null
    or published.match_shipments <> recomputed.match_shipments
    or published.review_shipments <> recomputed.review_shipments
    or published.matched_value_usd <> recomputed.matched_value_usd
