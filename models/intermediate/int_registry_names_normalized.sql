-- Every registry name (primary, alias, weak alias), normalized the same way as party names.
-- depends_on: {{ ref('translit_chars') }}
-- depends_on: {{ ref('legal_forms') }}

with

names as (

    select * from {{ ref('stg_registry__names') }}

),

{{ omphalos.normalized_names('names', 'name_id', 'name') }},

final as (

    select
        names.name_id,
        names.entity_id,
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
        normalized.name_skeleton
    from names
    inner join normalized
        on names.name_id = normalized.name_key

)

select * from final
