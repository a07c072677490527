"""Apache Spark target: the same screening, evidence and answers as DuckDB.

Needs the optional `spark` extra (pyspark, dbt-spark: `pip install -e ".[spark]"` or
`make setup-spark`) and Java 17. With CI=true they are required; elsewhere the tests skip with a
message when pyspark is not installed.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from omphalos.evidence.certify import certify
from omphalos.pipeline.engines import spark_available
from omphalos.pipeline.paths import project_root
from omphalos.pipeline.run import execute_run

if not spark_available():
    if os.environ.get("CI") == "true":
        pytest.fail(
            "CI=true requires the spark extra (pyspark, dbt-spark), which is not installed",
            pytrace=False,
        )
    pytest.skip(
        "pyspark/dbt-spark not installed: `make setup-spark` (pip install -e '.[spark]') "
        "enables the Spark tests",
        allow_module_level=True,
    )


def _macro_expression(name: str, a: str, b: str) -> str:
    """The SQL of a two-argument spark__ macro of macros/cross_engine/, applied to a and b."""
    base = name.removeprefix("spark__")
    src = (project_root() / "macros" / "cross_engine" / f"{base}.sql").read_text(encoding="utf-8")
    match = re.search(
        r"\{% macro " + re.escape(name) + r"\(a, b\) -%\}\n(.*?)\{%- endmacro %\}", src, re.S
    )
    assert match, name
    return match.group(1).replace("{{ a }}", a).replace("{{ b }}", b)


@pytest.fixture(scope="module")
def spark() -> Any:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("omphalos-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_similarity_expressions_agree_with_duckdb(spark: Any) -> None:
    """Jaro-Winkler and Damerau-Levenshtein, written for Spark as SQL higher-order functions,
    against DuckDB's built-ins on random strings (as the PostgreSQL functions are tested)."""
    rnd = random.Random(5)
    words = ["orion", "oriyon", "petro", "machinery", "mashinery", "ivanov", "samsung", "samsun"]
    pairs = [(a, b) for a in words for b in words]
    pairs += [("martha", "marhta"), ("tolid", "toild"), ("ca", "abc"), ("", "abc"), ("", "")]
    for _ in range(1500):
        a = "".join(rnd.choice("abcde") for _ in range(rnd.randint(0, 9)))
        b = "".join(rnd.choice("abcde") for _ in range(rnd.randint(0, 9)))
        pairs.append((a, b))
    spark.createDataFrame(pairs, "a string, b string").createOrReplaceTempView("omphalos_pairs")
    jw = _macro_expression("spark__jaro_winkler", "a", "b")
    dl = _macro_expression("spark__damerau_levenshtein", "a", "b")
    rows = spark.sql(f"select a, b, {jw} as jw, {dl} as dl from omphalos_pairs").collect()
    assert len(rows) == len(pairs)
    con = duckdb.connect()
    worst = 0.0
    for row in rows:
        expected_jw, expected_dl = con.execute(
            "select jaro_winkler_similarity(?, ?), damerau_levenshtein(?, ?)",
            [row.a, row.b, row.a, row.b],
        ).fetchall()[0]
        assert row.dl == expected_dl, (row.a, row.b, row.dl, expected_dl)
        worst = max(worst, abs(expected_jw - row.jw))
        # scores are kept to 4 decimals: they must agree there, and within float rounding
        assert round(expected_jw, 4) == round(row.jw, 4), (row.a, row.b, row.jw, expected_jw)
    assert worst < 1e-12


@pytest.fixture(scope="module")
def standalone_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark standalone master and two workers (1 core, 1 GB each) on 127.0.0.1, started from
    the pyspark installation (omphalos.engines.SparkCluster, as `make bench` starts it);
    everything started here is stopped afterwards."""
    from omphalos.pipeline.engines import EngineError, SparkCluster

    cluster = SparkCluster(tmp_path_factory.mktemp("spark-cluster"), workers=2, memory="1g")
    try:
        cluster.start()
    except EngineError as exc:
        pytest.fail(str(exc))
    try:
        yield cluster.master
    finally:
        cluster.stop()


@pytest.mark.slow
def test_spark_cluster_run_certifies_equivalent_to_duckdb(
    standalone_cluster: str,
    small_inputs: Path,
    sealed_run: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMPHALOS_SPARK_MASTER", standalone_cluster)
    monkeypatch.setenv("OMPHALOS_SPARK_DRIVER_HOST", "127.0.0.1")
    spark_run = execute_run(small_inputs / "test.yaml", runs_root=tmp_path, target="spark")
    manifest = json.loads((spark_run / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"]["target"] == "spark"
    assert manifest["engine"]["master"] == "cluster"
    duck = json.loads((sealed_run / "run_manifest.json").read_text(encoding="utf-8"))
    assert {t["name"]: t["logical_sha256"] for t in manifest["tables"]} == {
        t["name"]: t["logical_sha256"] for t in duck["tables"]
    }
    assert manifest["merkle"]["payload_root"] == duck["merkle"]["payload_root"]
    outcome = certify(sealed_run, spark_run)
    assert outcome.report["verdict"] == "equivalent", outcome.report["summary"]
