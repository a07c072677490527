-- Each admitted shipment with the one classification of its goods the marts share:
-- is_controlled_goods, whether its HS chapter is in the reference list of controlled (dual-use
-- relevant) chapters (seed controlled_hs_chapters), and the control basis the list gives. The
-- marts read it here instead of joining the seed each (entity_matches: carried to its export,
-- which the analyst catalog queries read; entity_scores: controlled share; review_queue: priority
-- and controlled_goods; rpt_alert_flows: controlled flows). A view: it is
-- one lookup per shipment, cheaper to repeat inside each mart's plan than to materialize.

{{ config(materialized='view') }}

with

shipments as (

    select * from {{ ref('stg_trade__shipments') }}

),

controlled as (

    select
        cast(hs_chapter as {{ omphalos.string_type() }}) as hs_chapter,
        control_basis
    from {{ ref('controlled_hs_chapters') }}

)

select
    shipments.shipment_id,
    shipments.ship_date,
    shipments.shipper_name,
    shipments.shipper_address,
    shipments.shipper_country,
    shipments.consignee_name,
    shipments.consignee_address,
    shipments.consignee_country,
    shipments.notify_party_name,
    shipments.notify_party_country,
    shipments.origin_country,
    shipments.transit_country,
    shipments.destination_country,
    shipments.hs_code,
    shipments.hs_chapter,
    shipments.goods_description,
    shipments.value_usd,
    shipments.shipper_kind,
    shipments.consignee_kind,
    shipments.notify_party_kind,
    shipments.vessel_name,
    shipments.vessel_imo,
    controlled.hs_chapter is not null as is_controlled_goods,
    controlled.control_basis
from shipments
left join controlled
    on shipments.hs_chapter = controlled.hs_chapter
