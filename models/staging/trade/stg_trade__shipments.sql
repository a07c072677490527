with

source as (

    select * from {{ source('trade', 'shipments') }}

),

renamed as (

    select
        cast(shipment_id as varchar(64)) as shipment_id,
        cast(ship_date as date) as ship_date,
        shipper_name,
        shipper_address,
        upper(shipper_country) as shipper_country,
        consignee_name,
        consignee_address,
        upper(consignee_country) as consignee_country,
        notify_party_name,
        upper(notify_party_country) as notify_party_country,
        upper(origin_country) as origin_country,
        upper(transit_country) as transit_country,
        upper(destination_country) as destination_country,
        cast(hs_code as varchar(6)) as hs_code,
        substr(hs_code, 1, 2) as hs_chapter,
        goods_description,
        cast(value_usd as decimal(18, 2)) as value_usd,
        lower(shipper_kind) as shipper_kind,
        lower(consignee_kind) as consignee_kind,
        lower(notify_party_kind) as notify_party_kind,
        vessel_name,
        {{ omphalos.imo_digits('vessel_imo') }} as vessel_imo

    from source

)

select * from renamed
