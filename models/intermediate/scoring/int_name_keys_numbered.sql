{{ config(pre_hook=omphalos.scoring_join_hints()) }}
-- Scoring stage 1: every party name (side a) and registry name (side b) once, numbered within its
-- side (scoring_names_numbered, macros/scoring/).

with

party_names as (

    select
        name_key,
        cast(null as {{ omphalos.string_type() }}) as name_kind,
        name_clean,
        name_core,
        name_sorted,
        name_compact,
        name_numbers,
        token_count,
        legal_form,
        name_own,
        name_father
    from {{ ref('int_party_names_normalized') }}

),

registry_names as (

    select
        name_id as name_key,
        entity_kind as name_kind,
        name_clean,
        name_core,
        name_sorted,
        name_compact,
        name_numbers,
        token_count,
        legal_form,
        name_own,
        name_father
    from {{ ref('int_registry_names_normalized') }}

),

numbered as (

    {{ omphalos.scoring_names_numbered('party_names', 'registry_names') }}

)

select * from numbered
