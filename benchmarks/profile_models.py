"""DuckDB's JSON profile of each dbt model of a sealed DuckDB run, and its costliest operators.

`make profile RUN=artifacts/runs/<run_id>` (or `python benchmarks/profile_models.py RUN_DIR`): for
each model the run built (the slowest first, as its dbt run_results timed them), run the model's
compiled SQL again on the run's warehouse (opened read only; the result goes to a temporary table,
so the run is not changed) with DuckDB's JSON profiling on, keep the profile
(`<out>/<model>.json`) and print the operators that took the most time. A run that did not keep
its warehouse cannot be profiled. The figures are one more execution on the same data, under the
same thread count and memory limit as the run's engine (its manifest records them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent


def _operators(node: dict[str, Any], out: list[dict[str, Any]]) -> None:
    """Every operator of a DuckDB JSON profile tree, with its own time (not its children's). The
    field names of DuckDB 2 (type, timing, intermediate_rows) or of DuckDB 1 (operator_type,
    operator_timing, operator_cardinality)."""
    name = node.get("type") or node.get("operator_type") or node.get("operator_name")
    if name:
        extra = node.get("extra_info") or {}
        out.append(
            {
                "operator": str(name).strip(),
                "seconds": float(node.get("timing", node.get("operator_timing", 0.0)) or 0.0),
                "rows": int(
                    node.get("intermediate_rows", node.get("operator_cardinality", 0)) or 0
                ),
                "detail": {
                    k: v
                    for k, v in extra.items()
                    if k in ("Join Type", "Conditions", "Aggregates", "Groups", "Table", "Function")
                },
            }
        )
    for child in node.get("children", []):
        _operators(child, out)


def _slowest_models(run_dir: Path) -> list[tuple[str, float]]:
    results = json.loads((run_dir / "dbt" / "target" / "run_results.json").read_text("utf-8"))
    models = [
        (r["unique_id"], float(r.get("execution_time") or 0.0))
        for r in results["results"]
        if r["unique_id"].startswith("model.")
    ]
    return sorted(models, key=lambda m: (-m[1], m[0]))


def duckdb_run(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """A sealed DuckDB run that kept its warehouse: its manifest, its engine record and the
    warehouse file; SystemExit naming what is missing otherwise."""
    manifest = json.loads((run_dir / "run_manifest.json").read_text("utf-8"))
    engine = manifest.get("engine") or {}
    if engine.get("target") != "duckdb":
        raise SystemExit(f"{run_dir}: not a DuckDB run (engine {engine.get('target')!r})")
    warehouse = run_dir / "warehouse" / "warehouse.duckdb"
    if not warehouse.is_file():
        raise SystemExit(f"{run_dir}: the run kept no warehouse (warehouse/warehouse.duckdb)")
    return manifest, engine, warehouse


def profile(
    run_dir: Path, out: Path, top: int, operators: int, models: list[str] | None = None
) -> dict[str, Any]:
    manifest, engine, warehouse = duckdb_run(run_dir)
    nodes = json.loads((run_dir / "dbt" / "target" / "manifest.json").read_text("utf-8"))["nodes"]
    chosen = _slowest_models(run_dir)
    chosen = [m for m in chosen if m[0].split(".")[-1] in models] if models else chosen[:top]
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(warehouse),
        read_only=True,
        config={
            "threads": int(engine.get("threads") or 2),
            "memory_limit": str(engine.get("memory_limit") or "2GB"),
        },
    )
    report: list[dict[str, Any]] = []
    try:
        for uid, dbt_seconds in chosen:
            node = nodes[uid]
            compiled = (
                run_dir / "dbt" / "target" / "compiled" / "omphalos" / node["original_file_path"]
            )
            sql = compiled.read_text("utf-8")
            path = out / f"{node['name']}.json"
            print(f"profiling {node['name']}", file=sys.stderr)
            con.execute("set enable_profiling = 'json'")
            con.execute(f"set profiling_output = '{path}'")
            started = time.perf_counter()
            con.execute(f"create or replace temp table omphalos_profiled as {sql}")
            seconds = time.perf_counter() - started
            con.execute("set enable_profiling = 'no_output'")
            con.execute("drop table omphalos_profiled")
            doc = json.loads(path.read_text("utf-8"))
            ops: list[dict[str, Any]] = []
            roots = doc.get("operator")
            for root in roots if isinstance(roots, list) else [doc]:
                _operators(root, ops)
            ops.sort(key=lambda o: -o["seconds"])
            report.append(
                {
                    "model": node["name"],
                    "dbt_seconds": round(dbt_seconds, 2),
                    "profiled_seconds": round(seconds, 2),
                    "cpu_seconds": round(float((doc.get("query") or {}).get("cpu_time", 0.0)), 2),
                    "peak_buffer_mb": int(
                        (doc.get("system") or {}).get("peak_buffer_memory", 0) // 1_000_000
                    ),
                    "profile": str(path),
                    "top_operators": [
                        {**o, "seconds": round(o["seconds"], 3)} for o in ops[:operators]
                    ],
                }
            )
    finally:
        con.close()
    return {"run_id": manifest.get("run_id"), "engine": engine, "models": report}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a sealed DuckDB run that kept its warehouse")
    parser.add_argument("--top", type=int, default=8, help="the N slowest models (default 8)")
    parser.add_argument("--models", default="", help="comma-separated model names instead")
    parser.add_argument("--operators", type=int, default=5, help="operators listed per model")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder of the JSON profiles (default benchmarks/results/profiles/<run_id>)",
    )
    args = parser.parse_args(argv)
    run_dir = args.run_dir.resolve()
    if not (run_dir / "run_manifest.json").is_file():
        parser.error(f"{run_dir}: not a sealed run (no run_manifest.json)")
    out = args.out or ROOT / "benchmarks" / "results" / "profiles" / run_dir.name
    models = [m for m in args.models.split(",") if m] or None
    result = profile(run_dir, out, args.top, args.operators, models)
    (out / "summary.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for m in result["models"]:
        print(
            f"{m['model']}: dbt {m['dbt_seconds']} s, profiled {m['profiled_seconds']} s "
            f"(CPU {m['cpu_seconds']} s, peak buffer {m['peak_buffer_mb']} MB)"
        )
        for o in m["top_operators"]:
            detail = "; ".join(f"{k}: {v}" for k, v in o["detail"].items())[:100]
            print(f"    {o['seconds']:8.3f} s  {o['rows']:>12,} rows  {o['operator']}  {detail}")
    print(f"profiles in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
