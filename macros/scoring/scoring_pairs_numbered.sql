{#-
    Stage 2 (int_name_pairs_numbered): each candidate pair (party_key, name_key) of `candidates` as
    the ids of its two names (a_id, b_id), and whether a compact-name rule of the name score can
    apply to it (see scoring_pair_scores): such a pair is scored whatever its tokens.
-#}
{% macro scoring_pairs_numbered(candidates, names) %}
    select
        a_names.name_id as a_id,
        b_names.name_id as b_id,
        coalesce(a_names.name_compact <> '' and (
            a_names.name_compact = b_names.name_compact
            or replace(a_names.name_clean, ' ', '') = replace(b_names.name_clean, ' ', '')
            or (
                least(a_names.token_count, b_names.token_count) = 1
                and a_names.token_count <> b_names.token_count
            )
        ), false) as compact_rules_apply
    from {{ candidates }} as candidates
    inner join {{ names }} as a_names
        on a_names.side = 'a' and candidates.party_key = a_names.name_key
    inner join {{ names }} as b_names
        on b_names.side = 'b' and candidates.name_key = b_names.name_key
{% endmacro %}
