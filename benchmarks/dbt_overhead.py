"""What dbt's machinery costs in a sealed DuckDB run, beside the SQL it runs (issue 18).

`python benchmarks/dbt_overhead.py RUN_DIR` (and `make bench`, for the runs it times): the run's
dbt phase (reports/timings.json) split into dbt's start and parse (the phase less the build's own
elapsed time in run_results.json) and its nodes (seeds, models, data tests: the sum of their
times, and the build's elapsed time on its threads); then the same compiled SQL replayed
directly in DuckDB, one statement per node in the order dbt finished them, into a scratch
warehouse that holds a copy of the run's loaded inputs and seeds (the run is opened read only and
is not changed): each model's compiled select materialized as dbt did (table or view), each data
test's failing rows counted. The replay checks itself against the run: every table it builds has
the rows of the run's table, every test finds the failures dbt found. What the build took beyond
the replay is what dbt adds to every run beyond its SQL.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from profile_models import duckdb_run  # benchmarks/profile_models.py, beside this file


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def split_dbt_phase(run_dir: Path) -> dict[str, Any]:
    """The dbt phase of a run as its own records time it: the phase (timings.json), the build's
    elapsed time (run_results.json), the difference (dbt's start, parse and the writing of its
    artifacts), and per kind of node the number and the sum of their times."""
    timings = _load(run_dir / "reports" / "timings.json")
    results = _load(run_dir / "dbt" / "target" / "run_results.json")
    phase = float(timings["phases_ms"]["dbt_build"]) / 1000
    elapsed = float(results["elapsed_time"])
    kinds: dict[str, dict[str, float]] = {}
    for r in results["results"]:
        kind = r["unique_id"].split(".")[0]
        entry = kinds.setdefault(kind, {"nodes": 0, "seconds": 0.0})
        entry["nodes"] += 1
        entry["seconds"] += float(r.get("execution_time") or 0.0)
    return {
        "dbt_phase_s": round(phase, 2),
        "build_elapsed_s": round(elapsed, 2),
        "start_parse_and_artifacts_s": round(phase - elapsed, 2),
        "nodes": {k: {"nodes": int(v["nodes"]), "seconds": round(v["seconds"], 2)}
                  for k, v in sorted(kinds.items())},
    }  # fmt: skip


def replay(run_dir: Path, work: Path) -> dict[str, Any]:
    """Replay the run's compiled SQL (see the module's docstring) in ``work``; the seconds of
    the models and of the data tests, and the copy of the inputs and seeds it started from.
    Raises RuntimeError when a replayed table or test disagrees with the run."""
    _, engine, source = duckdb_run(run_dir)
    dbt_manifest = _load(run_dir / "dbt" / "target" / "manifest.json")
    nodes = dbt_manifest["nodes"]
    results = _load(run_dir / "dbt" / "target" / "run_results.json")["results"]
    copied = sorted(
        {n["schema"] for n in nodes.values() if n["resource_type"] == "seed"}
        | {s["schema"] for s in dbt_manifest["sources"].values()}
    )
    # the compiled SQL names the database after the warehouse file: the copy has the same name
    work.mkdir(parents=True, exist_ok=True)
    warehouse = work / "warehouse.duckdb"
    con = duckdb.connect(
        str(warehouse),
        config={
            "threads": int(engine.get("threads") or 2),
            "memory_limit": str(engine.get("memory_limit") or "2GB"),
            "preserve_insertion_order": False,
            "temp_directory": str(work / "spill"),
        },
    )
    try:
        started = time.perf_counter()
        con.execute(f"attach '{source}' as run_warehouse (read_only)")
        for schema in copied:
            con.execute(f"create schema {_ident(schema)}")
            tables = con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = 'run_warehouse' and schema_name = ?",
                [schema],
            ).fetchall()
            for (table,) in tables:
                rel = f"{_ident(schema)}.{_ident(table)}"
                con.execute(f"create table {rel} as select * from run_warehouse.{rel}")
        copy_s = time.perf_counter() - started
        seconds = {"model": 0.0, "test": 0.0}
        counts = {"model": 0, "test": 0}
        built: list[tuple[str, str]] = []
        for r in results:
            node = nodes.get(r["unique_id"])
            if node is None or node["resource_type"] not in seconds:
                continue
            sql = node["compiled_code"]
            kind = node["resource_type"]
            started = time.perf_counter()
            if kind == "model":
                materialized = node["config"]["materialized"]
                if materialized == "ephemeral":
                    continue  # inlined into its readers' compiled SQL
                rel = f"{_ident(node['schema'])}.{_ident(node['alias'])}"
                con.execute(f"create schema if not exists {_ident(node['schema'])}")
                what = "view" if materialized == "view" else "table"
                con.execute(f"create {what} {rel} as {sql}")
                if what == "table":
                    built.append((rel, node["name"]))
            else:
                failures = int(con.execute(f"select count(*) from ({sql}) as t").fetchall()[0][0])
                if failures != int(r.get("failures") or 0):
                    raise RuntimeError(
                        f"{node['name']}: {failures} failing rows replayed, "
                        f"{r.get('failures')} in the run"
                    )
            seconds[kind] += time.perf_counter() - started
            counts[kind] += 1
        started = time.perf_counter()
        con.execute("checkpoint")
        checkpoint_s = time.perf_counter() - started
        for rel, name in built:
            mine = con.execute(f"select count(*) from {rel}").fetchall()[0][0]
            theirs = con.execute(f"select count(*) from run_warehouse.{rel}").fetchall()[0][0]
            if mine != theirs:
                raise RuntimeError(f"{name}: {mine} rows replayed, {theirs} in the run")
    finally:
        con.close()
    return {
        "copy_inputs_and_seeds_s": round(copy_s, 2),
        "models": counts["model"],
        "models_s": round(seconds["model"], 2),
        "data_tests": counts["test"],
        "data_tests_s": round(seconds["test"], 2),
        "checkpoint_s": round(checkpoint_s, 2),
        "sql_s": round(seconds["model"] + seconds["test"] + checkpoint_s, 2),
    }


def measure(run_dir: Path) -> dict[str, Any]:
    """``split_dbt_phase`` and ``replay`` (in a scratch folder, removed afterwards) of one run,
    with what dbt adds beyond its SQL: the dbt phase less the replayed SQL and seed load."""
    split = split_dbt_phase(run_dir)
    work = Path(tempfile.mkdtemp(prefix="omphalos-replay-"))
    try:
        replayed = replay(run_dir, work / "warehouse")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seeds_s = float(split["nodes"].get("seed", {}).get("seconds", 0.0))
    return {
        **split,
        "replay": replayed,
        "dbt_beyond_sql_s": round(split["dbt_phase_s"] - replayed["sql_s"] - seeds_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a sealed DuckDB run that kept its warehouse")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    run_dir = args.run_dir.resolve()
    if not (run_dir / "run_manifest.json").is_file():
        parser.error(f"{run_dir}: not a sealed run (no run_manifest.json)")
    result = measure(run_dir)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    nodes = result["nodes"]
    rep = result["replay"]
    print(
        f"dbt phase {result['dbt_phase_s']} s: start, parse and artifacts "
        f"{result['start_parse_and_artifacts_s']} s, build {result['build_elapsed_s']} s "
        + ", ".join(f"({k} {v['nodes']} nodes, {v['seconds']} s)" for k, v in nodes.items())
    )
    print(
        f"the same SQL replayed: {rep['models']} models {rep['models_s']} s, "
        f"{rep['data_tests']} data tests {rep['data_tests_s']} s, checkpoint "
        f"{rep['checkpoint_s']} s; dbt beyond its SQL and seeds: {result['dbt_beyond_sql_s']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
