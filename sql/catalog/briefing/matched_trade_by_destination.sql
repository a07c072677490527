-- name: matched_trade_by_destination
-- title: Matched trade by destination country
-- description: For each destination country, the shipments with at least one MATCH party, their
--   value, the share of controlled goods (is_controlled_goods, as the run classified the
--   shipment), and the number of distinct listed entities. Period bounds default to the whole
--   run up to its as_of_date.
-- param: period_start date = null | first ship date included (null: no lower bound)
-- param: period_end date = null | last ship date included (null: the run's as_of_date)
-- reads: entity_matches, run_config, shipments

with

bounds as (

    select
        cast($period_start as date) as period_start,
        coalesce(cast($period_end as date), as_of_date) as period_end
    from run_config

),

matched_shipments as (

    select
        shipment_id,
        bool_or(is_controlled_goods) as is_controlled,
        count(distinct entity_id) as listed_entities
    from entity_matches
    where match_status = 'MATCH'
    group by shipment_id

),

in_period as (

    select
        shipments.shipment_id,
        shipments.destination_country,
        shipments.value_usd,
        matched_shipments.listed_entities,
        matched_shipments.is_controlled
    from shipments
    inner join matched_shipments
        on shipments.shipment_id = matched_shipments.shipment_id
    cross join bounds
    where
        (bounds.period_start is null or shipments.ship_date >= bounds.period_start)
        and shipments.ship_date <= bounds.period_end

)

select
    destination_country,
    count(*) as shipments,
    sum(value_usd) as value_usd,
    sum(case when is_controlled then value_usd else 0 end) as controlled_value_usd,
    cast(
        sum(case when is_controlled then value_usd else 0 end) / nullif(sum(value_usd), 0)
        as decimal(9, 4)
    ) as controlled_share,
    sum(listed_entities) as entity_links
from in_period
group by destination_country
order by value_usd desc, destination_country asc
