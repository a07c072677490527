{#-
    A model's pre_hook for the name-scoring stages (models/intermediate/scoring/). PostgreSQL:
    hash joins only, for this model's transaction (set local). Its estimate for an anti-join on
    (name, token) is 1 row whatever the data, and it then picks a nested loop over a sequential
    scan: at 100k shipments int_name_pair_token_matches took 54 s that way, 0.2 s with hash joins
    (docs/matching.md 4.4). Every stage joins whole tables, where a nested loop never wins.
    Other engines: none (an empty hook is not run).
-#}
{% macro scoring_join_hints() %}
    {{ return(adapter.dispatch('scoring_join_hints', 'omphalos')()) }}
{% endmacro %}

{% macro default__scoring_join_hints() %}{% endmacro %}

{% macro postgres__scoring_join_hints() %}set local enable_nestloop = off{% endmacro %}
