-- The kind of each distinct party name, inferred from the name alone (docs/matching.md, "Entity
-- kinds"): organization when it carries a legal form (LLC, GMBH, OOO) or an organization word
-- (seed organization_words: TRADING, INDUSTRIES, BANK, MINISTRY); person when it has two to five
-- words, none of those, and a given name (seed given_name_variants), a patronymic ending (-OVICH,
-- -EVNA, -OGLY) or a "son of" particle (BIN, IBN, BINT, OULD); otherwise unknown (null). A kind the
-- feed declares (shipper_kind, ...) takes precedence, per shipment (entity_matches).

{%- set patronymic_endings = '(ovich|evich|ovna|evna|ichna|ogly|oglu|kyzy|qizi)$' %}

with

party_names as (

    select * from {{ ref('int_party_names_normalized') }}

),

organization_words as (

    select word from {{ ref('organization_words') }}

),

given_names as (

    select distinct name as word from {{ ref('given_name_variants') }}

),

name_tokens as (

    select distinct
        name_key,
        {{ omphalos.unnest_tokens('name_clean') }} as token
    from party_names
    where name_clean <> ''

),

cues as (

    select
        name_tokens.name_key,
        max(case when organization_words.word is not null then 1 else 0 end) as has_organization_word,
        max(case when given_names.word is not null then 1 else 0 end) as has_given_name,
        max(
            case
                when {{ omphalos.regexp_matches('name_tokens.token', patronymic_endings) }} then 1
                when name_tokens.token in ('bin', 'ibn', 'bint', 'ould', 'binti') then 1
                else 0
            end
        ) as has_person_particle
    from name_tokens
    left join organization_words
        on name_tokens.token = organization_words.word
    left join given_names
        on name_tokens.token = given_names.word
    group by 1

),

reasons as (

    select
        party_names.name_key,
        case
            when party_names.legal_form is not null
                then {{ dbt.concat(["'legal form '", 'party_names.legal_form']) }}
            when cues.has_organization_word = 1 then 'organization word'
            when
                party_names.token_count between 2 and 5
                and (cues.has_given_name = 1 or cues.has_person_particle = 1)
                and not {{ omphalos.regexp_matches('party_names.name_core', '[0-9]') }}
                then 'given name or patronymic'
        end as inferred_kind_reason
    from party_names
    left join cues
        on party_names.name_key = cues.name_key

),

inferred as (

    select
        name_key,
        case
            when inferred_kind_reason = 'given name or patronymic' then 'person'
            when inferred_kind_reason is not null then 'organization'
        end as inferred_kind,
        inferred_kind_reason
    from reasons

)

select * from inferred
