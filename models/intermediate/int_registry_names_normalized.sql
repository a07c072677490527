-- Every registry name (primary, alias, weak alias), normalized the same way as party names.
-- depends_on: {{ ref('translit_chars') }}
-- depends_on: {{ ref('legal_forms') }}

with

names as (

    select * from {{ ref('stg_registry__names') }}

),

entities as (

    select * from {{ ref('stg_registry__entities') }}

),

{{ omphalos.normalized_names('names', 'name_id', 'name') }},

final as (

    select
        names.name_id,
        names.entity_id,
        entities.entity_kind,
        names.name_type,
        names.script,
        normalized.name_raw,
        normalized.name_clean,
        normalized.legal_form,
        normalized.name_core,
        normalized.name_sorted,
        normalized.name_compact,
        normalized.token_count,
        normalized.name_numbers,
        normalized.name_skeleton,
        normalized.name_own,
        normalized.name_father
    from names
    inner join normalized
        on names.name_id = normalized.name_key
    left join entities
        on names.entity_id = entities.entity_id

)

select * from final
