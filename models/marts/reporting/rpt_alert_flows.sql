-- The run report's flows: the value and count of shipments with an alert (a MATCH, or only
-- REVIEW candidates) by origin country, destination country and HS chapter; the top
-- report_top_flows keys of each dimension by alerted value (ties by key), with whether any of
-- those shipments carried controlled goods.

with

alerts as (

    select
        shipment_id,
        max(case when match_status = 'MATCH' then 1 else 0 end) as has_match
    from {{ ref('entity_matches') }}
    where match_status in ('MATCH', 'REVIEW')
    group by 1

),

flagged as (

    select
        shipments.shipment_id,
        shipments.origin_country,
        shipments.destination_country,
        shipments.hs_chapter,
        shipments.value_usd,
        alerts.has_match,
        case when shipments.is_controlled_goods then 1 else 0 end as is_controlled
    from alerts
    inner join {{ ref('int_shipments_classified') }} as shipments
        on alerts.shipment_id = shipments.shipment_id

),

by_key as (

    {%- set dimensions = [
        ('origin', 'origin_country'),
        ('destination', 'destination_country'),
        ('chapter', 'hs_chapter'),
    ] %}
    {%- for dimension, column in dimensions %}
        select
            '{{ dimension }}' as dimension,
            {{ column }} as flow_key,
            sum(case when has_match = 1 then value_usd else 0 end) as match_value_usd,
            sum(case when has_match = 0 then value_usd else 0 end) as review_value_usd,
            sum(has_match) as match_shipments,
            sum(1 - has_match) as review_shipments,
            max(is_controlled) = 1 as controlled_goods,
            sum(value_usd) as alerted_value_usd
        from flagged
        where {{ column }} is not null
        group by 1, 2
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by dimension order by alerted_value_usd desc, flow_key asc
        ) as flow_rank
    from by_key

)

select
    dimension,
    cast(flow_rank as bigint) as flow_rank,
    flow_key,
    cast(match_value_usd as decimal(18, 2)) as match_value_usd,
    cast(review_value_usd as decimal(18, 2)) as review_value_usd,
    cast(match_shipments as bigint) as match_shipments,
    cast(review_shipments as bigint) as review_shipments,
    controlled_goods
from ranked
where flow_rank <= {{ var('report_top_flows') }}
