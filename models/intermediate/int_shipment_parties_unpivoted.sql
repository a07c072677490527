-- One row per named party of a shipment (shipper, consignee, notify party).

with

shipments as (

    select * from {{ ref('stg_trade__shipments') }}

),

unpivoted as (

    select
        shipment_id,
        'shipper' as party_role,
        shipper_name as party_name,
        shipper_address as party_address,
        shipper_country as party_country
    from shipments

    union all

    select
        shipment_id,
        'consignee' as party_role,
        consignee_name as party_name,
        consignee_address as party_address,
        consignee_country as party_country
    from shipments

    union all

    select
        shipment_id,
        'notify_party' as party_role,
        notify_party_name as party_name,
        null as party_address,
        notify_party_country as party_country
    from shipments
    where notify_party_name is not null

)

select * from unpivoted
