{#- Regex alternation of legal forms (longest first), optionally only the unambiguous ones. -#}
{% macro legal_form_alternation(unambiguous_only=false) %}
    {%- set rows = omphalos.seed_rows('legal_forms', ['form', 'ambiguous'], 'length(form) desc, form') -%}
    {%- set forms = [] -%}
    {%- for r in rows -%}
        {%- if not (unambiguous_only and r[1]) -%}{%- do forms.append(r[0]) -%}{%- endif -%}
    {%- endfor -%}
    {{- return('(' ~ (forms | join('|') if forms else 'a^') ~ ')') -}}
{% endmacro %}

{#- CASE expression mapping a legal form (as matched) to its generic class. -#}
{% macro legal_form_generic(expr) %}
    {%- set rows = omphalos.seed_rows('legal_forms', ['form', 'generic'], 'form') -%}
    case {{ expr }}
    {%- for r in rows %}
        when {{ omphalos.sql_literal(r[0]) }} then {{ omphalos.sql_literal(r[1]) }}
    {%- endfor %}
    end
{% endmacro %}

{#-
    The words of legal forms (seed legal_forms) that a name may still carry after normalization
    (forms are only stripped at its ends): every one-word form (OOO, LLC, AG, COMPANY) and every
    word of 4+ letters of a longer form (JOINT, STOCK, LIABILITY, AKTSIONERNOE), except a few that
    are ordinary words in names too. Returned as a Python list (compile time).
-#}
{% macro legal_form_words() %}
    {%- set ordinary = ['open', 'closed', 'free', 'zone', 'public', 'private', 'offshore', 'sanayi', 'ticaret'] -%}
    {%- set rows = omphalos.seed_rows('legal_forms', ['form'], 'form') -%}
    {%- set words = [] -%}
    {%- for r in rows -%}
        {%- set parts = r[0].split(' ') -%}
        {%- for w in parts -%}
            {%- if w and w not in words and w not in ordinary and (parts | length == 1 or w | length >= 4) -%}
                {%- do words.append(w) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(words | sort) }}
{% endmacro %}
