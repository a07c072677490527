{{ config(enabled=var('enable_eval', false)) }}
-- depends_on: {{ ref('translit_chars') }}
-- depends_on: {{ ref('legal_forms') }}
-- depends_on: {{ ref('name_particles') }}
-- depends_on: {{ ref('given_name_variants') }}
-- Token rarity comes from the reference table name_token_frequencies alone, never from the other
-- pairs of the file: the same pair scores the same in any file.

with

pairs as (

    select
        cast(pair_id as bigint) as pair_id,
        lower(schema) as name_schema,
        name1,
        name2,
        is_match
    from {{ source('eval', 'name_pairs') }}

),

all_names as (

    select name1 as name from pairs
    union
    select name2 as name from pairs

),

{{ omphalos.normalized_names('all_names', 'name', 'name') }},

reference as (

    select
        token,
        reference_count,
        family_count
    from {{ ref('name_token_frequencies') }}

),

token_weights as (

    -- rarity from the fixed reference table alone: a pair's score is a function of the pair, the
    -- same in any file (no registry here; a token the reference does not know is rare)
    {{ omphalos.token_weights('normalized', reference='reference', count_names=false) }}

),

candidate_keys as (

    select
        pair_id as party_key,
        pair_id as name_key
    from pairs

),

a_names as (

    select
        pairs.pair_id as name_key,
        cast(null as {{ omphalos.string_type() }}) as name_kind,
        a.name_clean,
        a.name_core,
        a.name_sorted,
        a.name_compact,
        a.name_numbers,
        a.token_count,
        a.legal_form,
        a.name_own,
        a.name_father
    from pairs
    inner join normalized as a
        on pairs.name1 = a.name_key

),

b_names as (

    select
        pairs.pair_id as name_key,
        case when pairs.name_schema = 'person' then 'person' else 'organization' end as name_kind,
        b.name_clean,
        b.name_core,
        b.name_sorted,
        b.name_compact,
        b.name_numbers,
        b.token_count,
        b.legal_form,
        b.name_own,
        b.name_father
    from pairs
    inner join normalized as b
        on pairs.name2 = b.name_key

),

{{ omphalos.score_name_pairs('candidate_keys', 'a_names', 'b_names', 'token_weights') }}

select
    pairs.pair_id,
    pairs.name_schema,
    pairs.name1,
    pairs.name2,
    pairs.is_match,
    name_scores.a_sorted as name1_normalized,
    name_scores.b_sorted as name2_normalized,
    name_scores.a_legal_form as name1_legal_form,
    name_scores.b_legal_form as name2_legal_form,
    name_scores.jw_sorted,
    name_scores.align_ab,
    name_scores.align_ba,
    name_scores.alignment,
    name_scores.missing_ab,
    name_scores.missing_ba,
    name_scores.compact_equal,
    name_scores.compact_similarity,
    name_scores.numbers_agree,
    name_scores.single_token,
    name_scores.near_brand,
    name_scores.father_swapped,
    name_scores.legal_form_conflict,
    name_scores.word_replaced,
    name_scores.far_word,
    name_scores.slip_only,
    name_scores.romanized_equal,
    name_scores.relative_contained,
    name_scores.family_name_edited,
    name_scores.initial_word,
    name_scores.name_score
from pairs
left join name_scores
    on pairs.pair_id = name_scores.party_key
