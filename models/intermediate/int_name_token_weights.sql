-- Rarity of every token of every name in play: the registry names and the distinct party names
-- of this run. A token found in many names (TRADING, ALLOYS, MOHAMMAD) weighs little in the name
-- score, a rare one (a brand, a family name) much (see token_weights in macros/matching.sql).
-- depends_on: {{ ref('legal_forms') }}
-- depends_on: {{ ref('name_particles') }}
-- depends_on: {{ ref('given_name_variants') }}

with

party_names as (

    select name_core from {{ ref('int_party_names_normalized') }}

),

registry_names as (

    select name_core from {{ ref('int_registry_names_normalized') }}

),

names_in_play as (

    select name_core from party_names
    union
    select name_core from registry_names

),

weights as (

    {{ omphalos.token_weights('names_in_play') }}

)

select * from weights
