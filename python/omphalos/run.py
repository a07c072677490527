"""A sealed screening run: admit inputs, build the dbt project, export, fingerprint, seal.

The run is built in `artifacts/runs/.tmp-<run_id>/` and renamed into place only once sealed. A run
that fails is renamed to `<run_id>.FAILED/` with FAILED.json and no manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from omphalos import __version__
from omphalos.admit import (
    AdmittedInput,
    InputError,
    admit_all,
    check_registry_not_empty,
    check_reject_limits,
)
from omphalos.canonical import write_canonical_json
from omphalos.catalog import CatalogError, execute_catalog_into_run, validate_catalog_queries
from omphalos.config import RunConfig, load_config
from omphalos.engines import (
    ENGINES,
    DuckDBEngine,
    Engine,
    PostgresEngine,
    SparkEngine,
)
from omphalos.export import conform, contracts, logical_fingerprint, write_table
from omphalos.keys import load_signing_key
from omphalos.limits import duckdb_memory_limit
from omphalos.lineage import LineageLog, utc_now
from omphalos.manifest import build_manifest, write_manifest
from omphalos.packets import write_packets
from omphalos.paths import project_root
from omphalos.report import write_report
from omphalos.sign import SignatureError, write_run_signature

Progress = Callable[[str], None]


class RunError(RuntimeError):
    """The run failed after it started; the directory is left marked FAILED."""


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("dbt-core", "dbt-duckdb", "dbt-postgres", "duckdb", "pyarrow", "sqlglot"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def new_run_id(config_name: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{config_name}-{stamp}-{secrets.token_hex(4)}"


class _Timer:
    def __init__(self) -> None:
        self.phases: dict[str, int] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            # a phase entered more than once (fingerprint, once per table) adds up
            self.phases[name] = self.phases.get(name, 0) + int((time.perf_counter() - start) * 1000)


def _write_rejects(rejects: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = rejects.sort_by(
        [("input", "ascending"), ("row", "ascending"), ("column", "ascending")]
    )
    pacsv.write_csv(
        ordered, path, write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed")
    )


def _dbt_command(
    cfg: RunConfig, tmp: Path, threads: int, engine: Engine
) -> tuple[list[str], dict[str, str]]:
    dbt_bin = Path(sys.executable).with_name("dbt")
    dbt_vars: dict[str, Any] = {**cfg.dbt_vars(), **engine.dbt_vars()}
    argv = [
        str(dbt_bin) if dbt_bin.exists() else "dbt",
        "build",
        "--project-dir",
        str(project_root()),
        "--profiles-dir",
        str(project_root() / "profiles"),
        "--target",
        engine.target,
        "--target-path",
        str(tmp / "dbt" / "target"),
        "--log-path",
        str(tmp / "dbt" / "logs"),
        "--vars",
        json.dumps(dbt_vars, sort_keys=True),
        # unit tests check the SQL logic on fixed fixtures, not the run's data: they run in
        # `make test` and `make dbt-build`, not in every sealed run (dbt Labs' advice for builds)
        "--exclude-resource-type",
        "unit_test",
        "--threads",
        str(threads),
        "--no-partial-parse",
        "--no-use-colors",
    ]
    env = dict(os.environ)
    env.update(engine.dbt_env())
    env.update({"OMPHALOS_THREADS": str(threads), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    return engine.dbt_argv(argv), env


def _portable_argv(argv: list[str], tmp: Path) -> list[str]:
    """The dbt argv as recorded: no machine paths."""
    root = str(project_root())
    out = []
    for a in argv:
        a = a.replace(str(tmp), "<run_dir>").replace(root, "<project>")
        out.append(Path(a).name if a.endswith("/dbt") else a)
    return out


def _run_dbt(
    argv: list[str], env: dict[str, str], tmp: Path, progress: Progress | None
) -> dict[str, Any]:
    log_path = tmp / "dbt" / "dbt_stdout.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=project_root(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if progress and (" OK created " in line or " ERROR " in line or "FAIL" in line):
                progress("dbt: " + line.strip().split("  ", 1)[-1])
        code = proc.wait()
    results_path = tmp / "dbt" / "target" / "run_results.json"
    results: dict[str, Any] = {}
    if results_path.exists():
        results = json.loads(results_path.read_text(encoding="utf-8"))
    if code != 0:
        failed = [
            f"{r.get('unique_id')}: {r.get('status')}: {(r.get('message') or '').strip()[:300]}"
            for r in results.get("results", [])
            if r.get("status") not in ("success", "pass")
        ]
        tail = log_path.read_text(encoding="utf-8").splitlines()[-15:]
        raise RunError(
            "dbt build failed (exit " + str(code) + "):\n  " + "\n  ".join(failed or tail)
        )
    return results


def _summary(engine: Engine, marts: dict[str, pa.Table], top: int = 10) -> dict[str, Any]:
    """The run's headline numbers, from the exported tables and engine row counts (the same on
    every engine)."""

    def count(layer: str, name: str) -> int:
        return engine.count(layer, name) or 0

    con = duckdb.connect()
    try:
        con.register("entity_matches", marts["entity_matches"])
        con.register("entity_scores", marts["entity_scores"])
        by_status = con.execute(
            "select match_status, count(*) from entity_matches group by 1 order by 1"
        ).fetchall()
        top_rows = con.execute(
            "select exposure_rank, entity_id, primary_name, match_shipments, "
            "cast(matched_value_usd as varchar), cast(exposure_score as varchar) "
            f"from entity_scores order by exposure_rank limit {int(top)}"
        ).fetchall()
    finally:
        con.close()
    return {
        "shipments": count("staging", "stg_trade__shipments"),
        "parties": count("intermediate", "int_shipment_parties_unpivoted"),
        "distinct_party_names": count("intermediate", "int_party_names_normalized"),
        "registry_entities": count("staging", "stg_registry__entities"),
        "registry_names": count("staging", "stg_registry__names"),
        "candidate_pairs": count("intermediate", "int_name_candidates_blocked"),
        "matches_by_status": {str(k): int(v) for k, v in by_status},
        "review_queue": marts["review_queue"].num_rows,
        "top_exposed_entities": [
            {
                "rank": int(r[0]),
                "entity_id": r[1],
                "name": r[2],
                "match_shipments": int(r[3]),
                "matched_value_usd": r[4],
                "exposure_score": r[5],
            }
            for r in top_rows
        ],
    }


MART_LAYERS = {"entity_matches": "marts", "entity_scores": "marts", "review_queue": "marts"}


def make_engine(
    target: str,
    tmp: Path,
    run_id: str,
    threads: int,
    keep_warehouse: bool,
    shipments: int | None = None,
) -> Engine:
    if target == "duckdb":
        return DuckDBEngine(
            tmp / "warehouse" / "warehouse.duckdb", threads, duckdb_memory_limit(shipments)
        )
    if target == "postgres":
        return PostgresEngine(run_id, threads, keep=keep_warehouse)
    if target == "spark":
        return SparkEngine(tmp, run_id, threads)
    raise InputError(f"unknown target {target!r}; known: {', '.join(ENGINES)}")


def execute_run(
    config_path: Path,
    *,
    runs_root: Path | None = None,
    threads: int = 2,
    progress: Progress | None = None,
    sign_key: Path | None = None,
    target: str = "duckdb",
    keep_warehouse: bool = False,
    warn: Progress | None = None,
) -> Path:
    """Perform a sealed run. Returns the sealed run directory. Raises InputError for bad input
    (before anything is written), RunError when a started run fails (left as <run_id>.FAILED).

    With ``sign_key`` the sealed manifest is signed (``run_manifest.sig.json``) before the run is
    renamed into place; the key is loaded first, so a bad key (KeyFileError) stops the run before
    anything is written. Warnings (rejected rows) go to ``warn``, by default stderr."""
    cfg = load_config(config_path)
    try:
        validate_catalog_queries(cfg.catalog_queries)
    except CatalogError as exc:
        raise InputError(str(exc)) from exc
    if target not in ENGINES:
        raise InputError(f"unknown target {target!r}; known: {', '.join(ENGINES)}")
    if target == "duckdb":
        duckdb_memory_limit()  # a bad OMPHALOS_DUCKDB_MEMORY_LIMIT stops the run before it starts
    signer = load_signing_key(sign_key) if sign_key is not None else None
    runs_root = (runs_root or project_root() / "artifacts" / "runs").resolve()
    runs_root.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id(cfg.name)
    tmp = runs_root / f".tmp-{run_id}"
    final = runs_root / run_id
    if final.exists() or tmp.exists():  # pragma: no cover - 32 random bits plus a timestamp
        raise RunError(f"run directory already exists: {final}")
    tmp.mkdir()
    started_at = utc_now()
    timer = _Timer()
    lineage = LineageLog(tmp / "lineage" / "events.jsonl")
    say = progress or (lambda _m: None)
    try:
        lineage.append(
            "run_started",
            {
                "run_id": run_id,
                "config": cfg.name,
                "config_sha256": cfg.sha256,
                "tool_version": __version__,
            },
        )
        (tmp / "config").mkdir()
        (tmp / "config" / "run_config.yaml").write_bytes(cfg.raw_bytes)

        with timer.phase("admit"):
            records, rejects = admit_all(
                cfg.inputs, cfg.input_labels, tmp / "inputs" / "admitted", progress=say
            )
            _write_rejects(rejects, tmp / "inputs" / "rejects.csv")
        for rec in records:
            lineage.append("input_admitted", rec.summary())
        write_canonical_json(
            tmp / "reports" / "admission.json",
            {
                "schema_version": "omphalos.admission_report/1",
                "inputs": [r.summary() for r in records],
                "rejects_by_reason": _rejects_by_reason(rejects),
            },
        )
        rejected = {r.name: r.rows_rejected for r in records if r.rows_rejected}
        if rejected:
            (warn or _warn)(
                f"warning: {sum(rejected.values())} input row(s) rejected ("
                + ", ".join(f"{k}: {v}" for k, v in rejected.items())
                + "); see inputs/rejects.csv in the run"
            )
        # refusals after admission leave the run FAILED with its rejects and admission report
        check_registry_not_empty(records)
        check_reject_limits(records, cfg.max_rejected_rows, cfg.max_rejected_share)

        shipments = sum(r.rows_admitted for r in records if r.name == "shipments")
        engine = make_engine(target, tmp, run_id, threads, keep_warehouse, shipments)
        engine_closed = False
        try:
            with timer.phase("load"):
                say(f"loading admitted inputs into {target}")
                engine.load_raw(records)
            argv, env = _dbt_command(cfg, tmp, threads, engine)
            lineage.append(
                "dbt_invoked", {"argv": _portable_argv(argv, tmp), "vars": _str_vars(cfg, engine)}
            )
            say("dbt build")
            with timer.phase("dbt_build"):
                results = _run_dbt(argv, env, tmp, progress)
            for r in sorted(results.get("results", []), key=lambda r: r.get("unique_id", "")):
                uid = r.get("unique_id", "")
                event = "model_built" if uid.startswith(("model.", "seed.")) else "test_run"
                data: dict[str, Any] = {"node": uid, "status": r.get("status")}
                if uid.startswith("model."):
                    data["rows"] = _model_rows(engine, uid.split(".")[-1])
                lineage.append(event, data)

            with timer.phase("export"):
                marts: dict[str, pa.Table] = {}
                for name, layer in MART_LAYERS.items():
                    contract = contracts()[name]
                    marts[name] = conform(engine.fetch(layer, name, contract.schema), contract)
                tables = []
                for name in cfg.exports:
                    say(f"exporting {name}")
                    contract = contracts()[name]
                    table = marts[name]
                    write_table(table, tmp / "exports", name)
                    with timer.phase("fingerprint"):  # part of export, timed on its own too
                        logical = logical_fingerprint(table, contract.key)
                    tables.append(
                        {
                            "name": name,
                            "key": list(contract.key),
                            "rows": table.num_rows,
                            "columns": [f.name for f in contract.schema],
                            "logical_sha256": logical,
                        }
                    )
                    lineage.append("table_exported", tables[-1])
            summary = _summary(engine, marts)
            engine_description = engine.describe()
            engine_closed = True
            engine.finish()
        finally:
            if not engine_closed:
                engine.finish()
        write_canonical_json(
            tmp / "reports" / "summary.json",
            {
                "schema_version": "omphalos.run_summary/1",
                "config": cfg.name,
                **summary,
                **_rejects_summary(records),
            },
        )
        with timer.phase("catalog"):
            for query_record in execute_catalog_into_run(tmp, cfg.catalog_queries, threads=threads):
                lineage.append(
                    "catalog_query_executed",
                    {
                        "name": query_record["query"]["name"],
                        "rows": query_record["result"]["rows"],
                        "logical_sha256": query_record["result"]["logical_sha256"],
                    },
                )
        with timer.phase("report"):
            say("writing review packets")
            packet_files = write_packets(tmp)
            say("writing reports/index.html")
            write_report(tmp)
        lineage.append(
            "report_written", {"page": "reports/index.html", "packets": len(packet_files) // 2}
        )
        write_canonical_json(
            tmp / "reports" / "timings.json",
            {"schema_version": "omphalos.timings/1", "phases_ms": timer.phases},
        )
        lineage.append("sealing", {"run_id": run_id})
        meta = {
            "run_id": run_id,
            "started_at": started_at,
            "tool": {"name": "omphalos", "version": __version__},
            "dependencies": _versions(),
            "engine": engine_description,
            "config": {
                "name": cfg.name,
                "path": "config/run_config.yaml",
                "sha256": cfg.sha256,
                "as_of_date": cfg.as_of_date,
            },
            "inputs": _input_summaries(cfg, records),
            "dbt": {"command": _portable_argv(argv, tmp), "vars": _str_vars(cfg, engine)},
            "tables": tables,
        }
        manifest = build_manifest(tmp, meta)
        write_manifest(tmp, manifest)
        if signer is not None:
            try:
                write_run_signature(tmp, signer)
            except (SignatureError, OSError) as exc:
                raise RunError(f"signing the sealed manifest failed: {exc}") from exc
        os.rename(tmp, final)
        return final
    except BaseException as exc:
        _mark_failed(tmp, runs_root / f"{run_id}.FAILED", exc)
        raise


def _warn(message: str) -> None:
    print(f"omphalos run: {message}", file=sys.stderr, flush=True)


def _rejects_summary(records: list[AdmittedInput]) -> dict[str, Any]:
    """The summary's statement of rejected rows; absent when no row was rejected (so a clean
    run's summary is unchanged)."""
    rejected = {r.name: r.rows_rejected for r in records if r.rows_rejected}
    if not rejected:
        return {}
    return {
        "rows_rejected": {"total": sum(rejected.values()), "by_input": rejected},
        "rejects_file": "inputs/rejects.csv",
    }


def _input_summaries(cfg: RunConfig, records: list[AdmittedInput]) -> list[dict[str, Any]]:
    """Per input: digests and counts; a registry imported by `omphalos registry import` also
    records its source lists (files, sha256, list dates)."""
    from omphalos.registry.model import registry_source_for

    out = []
    for rec in records:
        summary = rec.summary()
        if rec.name == "registry_entities":
            source = registry_source_for(cfg.inputs[rec.name])
            if source is not None:
                summary["registry_source"] = source
        out.append(summary)
    return out


def _str_vars(cfg: RunConfig, engine: Engine) -> dict[str, str]:
    merged: dict[str, Any] = {**cfg.dbt_vars(), **engine.dbt_vars()}
    return {k: str(v) for k, v in sorted(merged.items())}


def _model_rows(engine: Engine, name: str) -> int | None:
    for layer in ("staging", "intermediate", "marts"):
        n = engine.count(layer, name)
        if n is not None:
            return n
    return None


def _rejects_by_reason(rejects: Any) -> list[dict[str, Any]]:
    con = duckdb.connect()
    try:
        con.register("r", rejects)
        rows = con.execute(
            'select input, "column", reason, count(*) from r group by all order by 1, 2, 3'
        ).fetchall()
    finally:
        con.close()
    return [{"input": a, "column": b, "reason": c, "rows": int(d)} for a, b, c, d in rows]


def _mark_failed(tmp: Path, failed: Path, exc: BaseException) -> None:
    if not tmp.exists():
        return
    manifest = tmp / "run_manifest.json"
    if manifest.exists():
        manifest.unlink()
    try:
        write_canonical_json(
            tmp / "FAILED.json",
            {
                "schema_version": "omphalos.failed_run/1",
                "failed_at": utc_now(),
                "error_type": type(exc).__name__,
                "error": str(exc)[:4000],
            },
        )
        os.rename(tmp, failed)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def latest_run(runs_root: Path) -> Path | None:
    runs = sorted(
        p for p in runs_root.iterdir() if p.is_dir() and (p / "run_manifest.json").exists()
    )
    return max(runs, key=lambda p: p.stat().st_mtime) if runs else None


def load_warehouse(
    config_path: Path, warehouse: Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Admit a config's inputs into a standalone warehouse for analysts who run `dbt build`
    themselves (no sealed run). Returns the admission summary; rejects are counted, not written."""
    cfg = load_config(config_path)
    with tempfile.TemporaryDirectory(prefix="omphalos-load-") as admitted_dir:
        records, rejects = admit_all(
            cfg.inputs, cfg.input_labels, Path(admitted_dir), progress=progress
        )
        check_registry_not_empty(records)
        check_reject_limits(records, cfg.max_rejected_rows, cfg.max_rejected_share)
        engine = DuckDBEngine(warehouse, threads=2)
        try:
            engine.load_raw(records)
        finally:
            engine.finish()
    return {
        "warehouse": str(warehouse),
        "inputs": [r.summary() for r in records],
        "rejects_by_reason": _rejects_by_reason(rejects),
    }
