-- Exposure per registry entity with at least one MATCH or REVIEW.
--
-- Each shipment counts once per entity, whatever the number of roles it matched in.
-- exposure_score = 0.5 * min(1, log10(1 + matched value) / 7)
--                + 0.3 * controlled-goods share of matched value
--                + 0.2 * min(1, matched shipments / 20)
-- trend compares matched value in the trend window before as_of_date with the window before it.

{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" %}
{%- set recent_window_start = omphalos.add_days(as_of_date, -var('trend_window_days')) %}
{%- set prior_window_start = omphalos.add_days(as_of_date, -2 * var('trend_window_days')) %}

with

matches as (

    select * from {{ ref('entity_matches') }}
    where match_status in ('MATCH', 'REVIEW')

),

shipments as (

    select * from {{ ref('int_shipments_classified') }}

),

entity_shipments as (

    select
        entity_id,
        shipment_id,
        max(case when match_status = 'MATCH' then 1 else 0 end) as is_match
    from matches
    group by 1, 2

),

enriched as (

    select
        entity_shipments.entity_id,
        entity_shipments.shipment_id,
        entity_shipments.is_match,
        shipments.ship_date,
        shipments.value_usd,
        shipments.origin_country,
        shipments.destination_country,
        shipments.is_controlled_goods as is_controlled
    from entity_shipments
    inner join shipments
        on entity_shipments.shipment_id = shipments.shipment_id

),

aggregated as (

    select
        entity_id,
        cast(sum(is_match) as bigint) as match_shipments,
        cast(sum(1 - is_match) as bigint) as review_shipments,
        cast(coalesce(sum(case when is_match = 1 then value_usd end), 0) as decimal(18, 2)) as matched_value_usd,
        cast(coalesce(sum(case when is_match = 1 and is_controlled then value_usd end), 0) as decimal(18, 2))
            as controlled_value_usd,
        cast(count(distinct origin_country) as bigint) as origin_countries,
        cast(count(distinct destination_country) as bigint) as destination_countries,
        min(ship_date) as first_seen,
        max(ship_date) as last_seen,
        cast(coalesce(sum(case
            when
                is_match = 1
                and ship_date > {{ recent_window_start }}
                and ship_date <= {{ as_of_date }}
                then value_usd
        end), 0) as decimal(18, 2)) as recent_value_usd,
        cast(coalesce(sum(case
            when
                is_match = 1
                and ship_date > {{ prior_window_start }}
                and ship_date <= {{ recent_window_start }}
                then value_usd
        end), 0) as decimal(18, 2)) as prior_value_usd
    from enriched
    group by 1

),

scored as (

    select
        *,
        case
            when matched_value_usd = 0 then cast(0 as decimal(9, 4))
            else {{ omphalos.round4(
                "cast(controlled_value_usd as " ~ omphalos.double_type() ~ ") / cast(matched_value_usd as " ~ omphalos.double_type() ~ ")"
            ) }}
        end as controlled_share,
        case
            when recent_value_usd = 0 and prior_value_usd = 0 then 'none'
            when prior_value_usd = 0 then 'new'
            when recent_value_usd >= prior_value_usd * 1.25 then 'rising'
            when recent_value_usd <= prior_value_usd * 0.75 then 'falling'
            else 'stable'
        end as trend
    from aggregated

),

with_exposure as (

    select
        *,
        {{ omphalos.round4(
            "0.5 * least(1, log10(1 + cast(matched_value_usd as " ~ omphalos.double_type() ~ ")) / 7)
            + 0.3 * cast(controlled_share as " ~ omphalos.double_type() ~ ")
            + 0.2 * least(1, cast(match_shipments as " ~ omphalos.double_type() ~ ") / 20)"
        ) }} as exposure_score
    from scored

),

final as (

    select
        entities.entity_id,
        entities.primary_name,
        entities.entity_kind,
        entities.source_list,
        entities.programs,
        entities.countries,
        with_exposure.match_shipments,
        with_exposure.review_shipments,
        with_exposure.matched_value_usd,
        with_exposure.controlled_value_usd,
        with_exposure.controlled_share,
        with_exposure.origin_countries,
        with_exposure.destination_countries,
        with_exposure.first_seen,
        with_exposure.last_seen,
        with_exposure.recent_value_usd,
        with_exposure.prior_value_usd,
        with_exposure.trend,
        with_exposure.exposure_score,
        cast(row_number() over (
            order by
                with_exposure.exposure_score desc,
                with_exposure.matched_value_usd desc,
                entities.entity_id asc
        ) as bigint) as exposure_rank
    from with_exposure
    inner join {{ ref('stg_registry__entities') }} as entities
        on with_exposure.entity_id = entities.entity_id

)

select * from final
