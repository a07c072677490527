"""The demo run on DuckDB, PostgreSQL and Spark: one payload, certified equivalent.

The demo config (config/runs/demo.yaml: its thresholds, exports and catalog queries) on inputs
from the demo generator with the demo's seed (7), at 5,000 shipments x 1,000 entities by default
(`make demo-data` writes 20,000 x 2,000; OMPHALOS_ENGINES_DEMO_SHIPMENTS / _ENTITIES set the size,
e.g. 20000 / 2000 for the full demo). The name scores are integers until the last step
(docs/matching.md 4.5), so the three engines must give the same bits, not only close numbers.

PostgreSQL and Spark are required with CI=true; elsewhere each engine that is unavailable is
skipped with a message (as in test_postgres.py and test_spark.py).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from omphalos.evidence.certify import certify
from omphalos.pipeline.engines import pg_conninfo, spark_available
from omphalos.pipeline.paths import project_root
from omphalos.pipeline.run import execute_run
from omphalos.tools.generate import generate

SHIPMENTS = int(os.environ.get("OMPHALOS_ENGINES_DEMO_SHIPMENTS", "5000"))
ENTITIES = int(os.environ.get("OMPHALOS_ENGINES_DEMO_ENTITIES", "1000"))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires it: {reason}", pytrace=False)
    pytest.skip(reason)


def _require_postgres() -> None:
    import psycopg

    try:
        psycopg.connect(pg_conninfo(), autocommit=True).close()
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL unreachable (make postgres, or OMPHALOS_PG_*): {exc}")


def _require_spark() -> None:
    if not spark_available():
        _unavailable("pyspark/dbt-spark not installed: `make setup-spark` enables the Spark run")


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """config/runs/demo.yaml with its inputs generated into a temporary folder."""
    folder = tmp_path_factory.mktemp("engines_demo")
    generate(folder, shipments=SHIPMENTS, entities=ENTITIES, seed=7)
    text = (project_root() / "config" / "runs" / "demo.yaml").read_text(encoding="utf-8")
    text, replaced = re.subn(r"\.\./\.\./data/demo/", "", text)
    assert replaced == 4, "the demo config's four inputs under ../../data/demo/"
    config = folder / "demo.yaml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def duckdb_run(demo_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return execute_run(demo_config, runs_root=tmp_path_factory.mktemp("runs_duckdb"))


def _payload_root(run: Path) -> str:
    manifest = json.loads((run / "run_manifest.json").read_text(encoding="utf-8"))
    return str(manifest["merkle"]["payload_root"])


@pytest.mark.parametrize("target", ["postgres", "spark"])
def test_demo_certifies_equivalent_to_duckdb(
    target: str, demo_config: Path, duckdb_run: Path, tmp_path: Path
) -> None:
    (_require_postgres if target == "postgres" else _require_spark)()
    run = execute_run(demo_config, runs_root=tmp_path, target=target)
    manifest = json.loads((run / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"]["target"] == target
    outcome = certify(duckdb_run, run)
    assert outcome.report["verdict"] == "equivalent", outcome.report["summary"]
    assert _payload_root(run) == _payload_root(duckdb_run)
    # the demo has matches to agree on: the comparison is not of empty tables
    summary = json.loads((run / "reports" / "summary.json").read_text(encoding="utf-8"))
    assert summary["matches_by_status"]["MATCH"] > 0
