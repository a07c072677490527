-- The IMO numbers of listed vessels, valid ones only (imo_digits checks the check digit): an IMO
-- number equal to the one a shipment gives for its vessel is decisive evidence (entity_matches).

with

identifiers as (

    select * from {{ ref('stg_registry__identifiers') }}

),

entities as (

    select * from {{ ref('stg_registry__entities') }}

),

imos as (

    select distinct
        identifiers.entity_id,
        {{ omphalos.imo_digits('identifiers.id_value') }} as imo
    from identifiers
    inner join entities
        on identifiers.entity_id = entities.entity_id
    where identifiers.id_type = 'IMO' and entities.entity_kind = 'vessel'

)

select * from imos
where imo is not null
