{#- The text of group n of the match, in a replacement of regexp_replace_all. -#}
{% macro regexp_backref(n) %}
    {{ return(adapter.dispatch('regexp_backref', 'omphalos')(n)) }}
{% endmacro %}
{% macro default__regexp_backref(n) %}{{ return('\\' ~ n) }}{% endmacro %}
{% macro spark__regexp_backref(n) %}{{ return('$' ~ n) }}{% endmacro %}
