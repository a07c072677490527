{#- The tokens of seed name_particles (THE, OF, AL, BIN, DR, SHEIKH, ...), as a Python list. -#}
{% macro name_particles() %}
    {%- set rows = omphalos.seed_rows('name_particles', ['token'], 'token') -%}
    {%- set tokens = [] -%}
    {%- for r in rows -%}{%- do tokens.append(r[0]) -%}{%- endfor -%}
    {{ return(tokens) }}
{% endmacro %}
