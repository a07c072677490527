"""PostgreSQL target: the same screening, evidence and answers as DuckDB.

Runs against the real server (OMPHALOS_PG_* settings, default 127.0.0.1:5432). With CI=true the
server is required; elsewhere the tests skip with a message when it cannot be reached.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import duckdb
import pytest

from omphalos.evidence.certify import certify
from omphalos.pipeline.engines import pg_conninfo
from omphalos.pipeline.paths import project_root
from omphalos.pipeline.run import execute_run


def _connect():  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(pg_conninfo(), autocommit=True)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL, which is unreachable: {exc}")
        pytest.skip(
            "PostgreSQL unreachable: start it (make postgres) or set OMPHALOS_PG_HOST/PORT/USER/"
            f"DATABASE to enable these tests ({exc})"
        )


@pytest.fixture(scope="module")
def pg():  # type: ignore[no-untyped-def]
    conn = _connect()
    yield conn
    conn.close()


def _udf_sql(schema: str) -> str:
    src = (project_root() / "macros" / "hooks" / "create_udfs.sql").read_text(encoding="utf-8")
    body = src.split("{% macro postgres__create_udfs() %}")[1].split("{% endmacro %}")[0]
    return body.replace("{{ target.schema }}", schema)


def test_jaro_winkler_udf_agrees_with_duckdb(pg) -> None:  # type: ignore[no-untyped-def]
    pg.execute(_udf_sql("omphalos_jwtest"))
    try:
        rnd = random.Random(5)
        words = [
            "orion",
            "oriyon",
            "petro",
            "machinery",
            "mashinery",
            "ivanov",
            "samsung",
            "samsun",
        ]
        pairs = [(a, b) for a in words for b in words]
        for _ in range(1500):
            a = "".join(rnd.choice("abcde") for _ in range(rnd.randint(0, 9)))
            b = "".join(rnd.choice("abcde") for _ in range(rnd.randint(0, 9)))
            pairs.append((a, b))
        con = duckdb.connect()
        cur = pg.cursor()
        worst = 0.0
        for a, b in pairs:
            expected = con.execute("select jaro_winkler_similarity(?, ?)", [a, b]).fetchall()[0][0]
            cur.execute("select omphalos_jwtest_udf.jaro_winkler(%s, %s)", (a, b))
            got = cur.fetchone()[0]
            worst = max(worst, abs(expected - got))
            # scores are kept to 4 decimals: they must agree there, and within float rounding
            assert round(expected, 4) == round(got, 4), (a, b, expected, got)
        assert worst < 1e-12
    finally:
        pg.execute("drop schema if exists omphalos_jwtest_udf cascade")


def test_postgres_run_certifies_equivalent_to_duckdb(
    pg,
    small_inputs: Path,
    sealed_run: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    pg_run = execute_run(small_inputs / "test.yaml", runs_root=tmp_path, target="postgres")
    manifest = json.loads((pg_run / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"]["target"] == "postgres"
    assert not manifest["engine"]["schemas_kept"]
    left = pg.execute(
        "select count(*) from pg_namespace where nspname = any(%s)",
        (manifest["engine"]["schemas"],),
    ).fetchone()[0]
    assert left == 0, "the run's schemas were not dropped"
    duck = json.loads((sealed_run / "run_manifest.json").read_text(encoding="utf-8"))
    assert {t["name"]: t["logical_sha256"] for t in manifest["tables"]} == {
        t["name"]: t["logical_sha256"] for t in duck["tables"]
    }
    assert manifest["merkle"]["payload_root"] == duck["merkle"]["payload_root"]
    outcome = certify(sealed_run, pg_run)
    assert outcome.report["verdict"] == "equivalent", outcome.report["summary"]
