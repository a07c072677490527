{#- Number of space-separated tokens of a non-empty string. -#}
{% macro token_count(expr) %}
    (length({{ expr }}) - length(replace({{ expr }}, ' ', '')) + 1)
{% endmacro %}
