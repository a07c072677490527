{#-
    Seeds on Spark. dbt-spark's own spark__load_csv_rows passes values as bindings that its
    session cursor formats as '<value>': an empty cell becomes the string 'None' and a quote is not
    escaped. This version writes each value as an escaped Spark literal, and an empty cell as null
    (as dbt-duckdb and dbt-postgres load it).
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {% set batch_size = get_batch_size() %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(batch_size) %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    {%- set value = row[loop.index0] -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- else -%}
                        cast('{{ (value | string) | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
                    {%- endif -%}
                    {%- if not loop.last %},{% endif %}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
        {% endset %}
        {% do adapter.add_query(sql, abridge_sql_log=True) %}
        {% if loop.index0 == 0 %}
            {% do statements.append(sql) %}
        {% endif %}
    {% endfor %}
    {{ return(statements[0]) }}
{% endmacro %}

{#-
    Model contracts on Spark: the declared column types (models/*/_*.yml) say `varchar`, which
    Spark only accepts with a length; to Spark an unbounded varchar is `string`. Otherwise as
    dbt's default__get_empty_schema_sql.
-#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set col_err = [] -%}
    select
    {% for i in columns %}
      {%- set col = columns[i] -%}
      {%- if col['data_type'] is not defined -%}
        {%- do col_err.append(col['name']) -%}
      {%- endif -%}
      {%- set data_type = col.get('data_type') or '' -%}
      {%- if data_type.strip().lower() in ('varchar', 'text') -%}{%- set data_type = 'string' -%}{%- endif -%}
      {% set col_name = adapter.quote(col['name']) if col.get('quote') else col['name'] %}
      {{ cast('null', data_type) }} as {{ col_name }}{{ ", " if not loop.last }}
    {%- endfor -%}
    {%- if (col_err | length) > 0 -%}
      {{ exceptions.column_type_missing(column_names=col_err) }}
    {%- endif -%}
{% endmacro %}

{#-
    dbt-spark persists contract constraints (ALTER COLUMN ... SET NOT NULL) unless file_format is
    set to something other than delta; the project's tables are Parquet (Spark's default data
    source), which cannot hold constraints. So constraints are persisted only on Delta tables; on
    the others the contract still checks names and types, and the not_null data tests of the
    marts check the rows.
-#}
{% macro spark__persist_constraints(relation, model) %}
  {%- set contract_config = config.get('contract') -%}
  {% if contract_config.enforced and config.get('file_format') == 'delta' %}
    {% do alter_table_add_constraints(relation, model.constraints) %}
    {% do alter_column_set_constraints(relation, model.columns) %}
  {% endif %}
{% endmacro %}
