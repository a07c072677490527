{#-
    usable_registry_block_keys(relation, key_column): rows (name_key, block_key) of the registry
    names' blocking keys that at most max_block_key_names registry names share: a key shared by
    more is too common to block on.
-#}
{% macro usable_registry_block_keys(relation, key_column) %}
    select
        name_key,
        block_key
    from (
        select
            registry_keys.name_key,
            registry_keys.block_key,
            count(*) over (partition by registry_keys.block_key) as registry_names_with_key
        from ({{ omphalos.block_keys(relation, key_column) }}) as registry_keys
    ) as counted
    where registry_names_with_key <= {{ var('max_block_key_names') }}
{% endmacro %}
