{#-
    Functions an engine lacks, installed by the project itself at the start of every dbt
    invocation (on-run-start in dbt_project.yml). DuckDB has everything built in.
-#}

{% macro create_udfs() %}
    {{ return(adapter.dispatch('create_udfs', 'omphalos')()) }}
{% endmacro %}

{% macro default__create_udfs() %}
    {{ omphalos.unsupported_adapter('create_udfs') }}
{% endmacro %}

{% macro duckdb__create_udfs() %}
    select 1 as no_udfs_needed
{% endmacro %}

{#- Spark: Jaro-Winkler and Damerau-Levenshtein are SQL expressions (macros/cross_engine/). -#}
{% macro spark__create_udfs() %}
    select 1 as no_udfs_needed
{% endmacro %}

{#-
    Jaro-Winkler for PostgreSQL, the same algorithm and the same floating-point operations as
    DuckDB's jaro_winkler_similarity (RapidFuzz): match window max(len)/2 - 1, greedy matching in
    the order of the first string, half the transpositions rounded down, Winkler boost (prefix of
    at most 4, weight 0.1) only when the Jaro similarity exceeds 0.7, and 0 for an empty string.
    Compared against DuckDB on random strings in tests/python/test_postgres.py.
-#}
{% macro postgres__create_udfs() %}
    create extension if not exists fuzzystrmatch;
    create schema if not exists {{ target.schema }}_udf;
    create or replace function {{ target.schema }}_udf.jaro_winkler(a text, b text)
    returns double precision
    language plpgsql immutable strict parallel safe
    as $omphalos_jw$
    declare
        la integer := length(a);
        lb integer := length(b);
        bound integer;
        lo integer;
        hi integer;
        a_flags boolean[];
        b_flags boolean[];
        m integer := 0;
        t integer := 0;
        k integer := 1;
        prefix integer := 0;
        sim double precision;
        ca text;
    begin
        if la = 0 or lb = 0 then
            return 0::double precision;
        end if;
        bound := greatest(la, lb) / 2 - 1;
        if bound < 0 then
            bound := 0;
        end if;
        a_flags := array_fill(false, array[la]);
        b_flags := array_fill(false, array[lb]);
        for i in 1..la loop
            ca := substr(a, i, 1);
            lo := greatest(1, i - bound);
            hi := least(lb, i + bound);
            for j in lo..hi loop
                if not b_flags[j] and ca = substr(b, j, 1) then
                    a_flags[i] := true;
                    b_flags[j] := true;
                    m := m + 1;
                    exit;
                end if;
            end loop;
        end loop;
        if m = 0 then
            return 0::double precision;
        end if;
        for i in 1..la loop
            if a_flags[i] then
                while not b_flags[k] loop
                    k := k + 1;
                end loop;
                if substr(a, i, 1) <> substr(b, k, 1) then
                    t := t + 1;
                end if;
                k := k + 1;
            end if;
        end loop;
        t := t / 2;
        sim := (m::double precision / la::double precision
            + m::double precision / lb::double precision
            + (m::double precision - t::double precision) / m::double precision) / 3.0::double precision;
        if sim > 0.7::double precision then
            while prefix < least(4, la, lb) and substr(a, prefix + 1, 1) = substr(b, prefix + 1, 1) loop
                prefix := prefix + 1;
            end loop;
            sim := sim + prefix::double precision * 0.1::double precision * (1.0::double precision - sim);
        end if;
        return sim;
    end;
    $omphalos_jw$;

    -- Unrestricted Damerau-Levenshtein distance (adjacent transpositions, substrings may be edited
    -- more than once), as DuckDB's damerau_levenshtein: the Lowrance-Wagner algorithm.
    create or replace function {{ target.schema }}_udf.damerau_levenshtein(a text, b text)
    returns integer
    language plpgsql immutable strict parallel safe
    as $omphalos_dl$
    declare
        la integer := length(a);
        lb integer := length(b);
        maxdist integer := length(a) + length(b);
        d integer[];
        da jsonb := '{}'::jsonb;
        db integer;
        k integer;
        l integer;
        cost integer;
        ca text;
        cb text;
    begin
        d := array_fill(0, array[la + 2, lb + 2], array[-1, -1]);
        d[-1][-1] := maxdist;
        for i in 0..la loop
            d[i][-1] := maxdist;
            d[i][0] := i;
        end loop;
        for j in 0..lb loop
            d[-1][j] := maxdist;
            d[0][j] := j;
        end loop;
        for i in 1..la loop
            ca := substr(a, i, 1);
            db := 0;
            for j in 1..lb loop
                cb := substr(b, j, 1);
                k := coalesce((da ->> cb)::integer, 0);
                l := db;
                if ca = cb then
                    cost := 0;
                    db := j;
                else
                    cost := 1;
                end if;
                d[i][j] := least(
                    d[i - 1][j - 1] + cost,
                    d[i][j - 1] + 1,
                    d[i - 1][j] + 1,
                    d[k - 1][l - 1] + (i - k - 1) + 1 + (j - l - 1)
                );
            end loop;
            da := da || jsonb_build_object(ca, i);
        end loop;
        return d[la][lb];
    end;
    $omphalos_dl$;
{% endmacro %}
