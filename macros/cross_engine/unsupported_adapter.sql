{#-
    Engine differences, each behind adapter.dispatch. The default implementation raises a clear
    error: a new engine must say how it does each of these, never fall back silently.
-#}
{% macro unsupported_adapter(name) %}
    {{ exceptions.raise_compiler_error(
        "omphalos: macro '" ~ name ~ "' has no implementation for adapter '" ~ adapter.type()
        ~ "'. Add " ~ adapter.type() ~ "__" ~ name ~ " in macros/cross_engine/" ~ name ~ ".sql."
    ) }}
{% endmacro %}
