{#- sha256 hex digest of a text expression. -#}
{% macro sha256_hex(expr) %}
    {{ return(adapter.dispatch('sha256_hex', 'omphalos')(expr)) }}
{% endmacro %}

{% macro default__sha256_hex(expr) %}{{ omphalos.unsupported_adapter('sha256_hex') }}{% endmacro %}

{% macro duckdb__sha256_hex(expr) %}sha256({{ expr }}){% endmacro %}

{% macro postgres__sha256_hex(expr) %}encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex'){% endmacro %}

{% macro spark__sha256_hex(expr) %}sha2({{ expr }}, 256){% endmacro %}
