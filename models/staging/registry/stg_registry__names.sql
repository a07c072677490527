with

source as (

    select * from {{ source('registry', 'registry_names') }}

),

renamed as (

    select
        cast(name_id as varchar(64)) as name_id,
        cast(entity_id as varchar(64)) as entity_id,
        name,
        lower(name_type) as name_type,
        lower(coalesce(script, 'latin')) as script

    from source

)

select * from renamed
