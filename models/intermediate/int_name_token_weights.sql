-- Rarity of every token of the registry's names and of the party names (see token_weights in
-- macros/scoring/token_weights.sql). Counts come from the registry names and the fixed reference table
-- name_token_frequencies (how common a word is in people's names), never from the feed: a pair's
-- score then depends only on the two names, the registry version and the rules, not on the other
-- rows of the feed. A party token the registry does not hold has the reference count alone (a
-- rare word unless the reference knows it: it can only add weight to the party side).
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

reference as (

    select
        token,
        reference_count,
        family_count
    from {{ ref('name_token_frequencies') }}

),

registry_weights as (

    {{ omphalos.token_weights('registry_names', reference='reference') }}

),

party_only_names as (

    -- party names that are no registry name: their tokens that the registry does not hold count
    -- as held by one name (the party's own), whatever other party names hold them
    select name_core from party_names
    except
    select name_core from registry_names

),

party_weights as (

    {{ omphalos.token_weights('party_only_names', reference='reference', count_names=false) }}

),

weights as (

    select * from registry_weights

    union all

    select party_weights.*
    from party_weights
    left join registry_weights
        on party_weights.token = registry_weights.token
    where registry_weights.token is null

)

select * from weights
