-- Each distinct party name once, normalized. Matching works on these, then joins back.
-- depends_on: {{ ref('translit_chars') }}
-- depends_on: {{ ref('legal_forms') }}

with

party_names as (

    select distinct party_name
    from {{ ref('int_shipment_parties_unpivoted') }}

),

{{ omphalos.normalized_names('party_names', 'party_name', 'party_name') }}

select * from normalized
