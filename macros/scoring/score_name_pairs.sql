{#-
    score_name_pairs(candidates, a_names, b_names, token_weights, min_score=none): the name-scoring
    stages chained as CTEs (each computed once: materialized_cte), ending in `name_scores`
    (scoring_name_scores' columns): one row per candidate pair whose name_score is at least
    min_score (a number; every pair when none). The arguments are relation or CTE names:
        candidates     distinct (party_key, name_key) pairs;
        a_names        one row per party name (name_key), b_names one per registry name, with the
                       columns scoring_names_numbered reads;
        token_weights  a relation as token_weights() returns it (every token of both sides).
    The screening models run the same stage macros, each as its own table
    (models/intermediate/scoring/, the same names as the CTEs here); the eval model runs this.
-#}
{% macro score_name_pairs(candidates, a_names, b_names, token_weights, min_score=none) %}
    {%- set m = omphalos.materialized_cte() -%}
    int_name_keys_numbered as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_names_numbered(a_names, b_names) }}
    ),

    int_name_pairs_numbered as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_pairs_numbered(candidates, 'int_name_keys_numbered') }}
    ),

    int_name_pairs_romanized as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_pairs_romanized('int_name_pairs_numbered', 'int_name_keys_numbered') }}
    ),

    int_name_vocabulary as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_vocabulary('int_name_keys_numbered', token_weights) }}
    ),

    int_name_tokens_listed as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_tokens_listed('int_name_keys_numbered', 'int_name_vocabulary') }}
    ),

    int_name_token_pairs_compared as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_token_pairs_compared(
            'int_name_pairs_numbered', 'int_name_tokens_listed', 'int_name_vocabulary'
        ) }}
    ),

    int_name_pair_token_matches as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_pair_token_matches(
            'int_name_pairs_numbered', 'int_name_tokens_listed', 'int_name_token_pairs_compared'
        ) }}
    ),

    int_name_pairs_bounded as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_pairs_bounded(
            'int_name_pairs_numbered', 'int_name_tokens_listed', 'int_name_pair_token_matches',
            'int_name_pairs_romanized', min_score
        ) }}
    ),

    int_name_pair_coverage as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_pair_coverage(
            'int_name_pairs_bounded', 'int_name_tokens_listed', 'int_name_pair_token_matches'
        ) }}
    ),

    int_name_pair_scores as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_pair_scores(
            'int_name_pair_coverage', 'int_name_keys_numbered', 'int_name_pairs_romanized'
        ) }}
    ),

    name_scores as {% if m %}{{ m }} {% endif %}(
        {{ omphalos.scoring_name_scores(
            'int_name_pair_scores', 'int_name_keys_numbered', 'int_name_pair_token_matches',
            'int_name_vocabulary', min_score
        ) }}
    )
{% endmacro %}
