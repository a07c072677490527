-- Each admitted shipment with the one classification of its goods the marts share:
-- is_controlled_goods, whether its HS chapter is in the reference list of controlled (dual-use
-- relevant) chapters (seed controlled_hs_chapters), and the control basis the list gives. The
-- marts read it here instead of joining the seed each (entity_scores: controlled share;
-- review_queue: priority and controlled_goods; rpt_alert_flows: controlled flows). A view: it is
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
    shipments.*,
    controlled.hs_chapter is not null as is_controlled_goods,
    controlled.control_basis
from shipments
left join controlled
    on shipments.hs_chapter = controlled.hs_chapter
