with

source as (

    select * from {{ source('registry', 'registry_identifiers') }}

),

renamed as (

    select
        cast(identifier_id as varchar(64)) as identifier_id,
        cast(entity_id as varchar(64)) as entity_id,
        upper(id_type) as id_type,
        id_value,
        upper(id_country) as id_country

    from source

)

select * from renamed
