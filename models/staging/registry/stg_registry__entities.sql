with

source as (

    select * from {{ source('registry', 'registry_entities') }}

),

renamed as (

    select
        cast(entity_id as varchar(64)) as entity_id,
        source_list,
        cast(list_date as date) as list_date,
        lower(entity_kind) as entity_kind,
        primary_name,
        upper(coalesce(countries, '')) as countries,
        coalesce(programs, '') as programs,
        remarks

    from source

)

select * from renamed
