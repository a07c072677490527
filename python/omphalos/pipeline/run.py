"""A sealed screening run: admit inputs, build the dbt project, export, fingerprint, seal.

The run is built in `artifacts/runs/.tmp-<run_id>/` and renamed into place once sealed; its
manifest (and signature) are written only after the rename, so a `.tmp-` directory never holds a
manifest. A run that fails is renamed to `<run_id>.FAILED/` with FAILED.json and no manifest: a
small FAILED.json is written first, when the run starts, so it survives a full disk. dbt (or the
Spark driver) runs in a process group of its own that dies with the run (docs/formats.md, "Run
directory"). A run starts by marking `.tmp-` directories that no live run holds as FAILED.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import fcntl
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from omphalos import __version__
from omphalos.errors import EXIT_FAILED, InputError, OmphalosError
from omphalos.evidence.canonical import write_canonical_json
from omphalos.evidence.keys import load_signing_key
from omphalos.evidence.lineage import LineageLog, utc_now
from omphalos.evidence.manifest import build_manifest, write_manifest
from omphalos.evidence.review import registry_entry_digests
from omphalos.evidence.sign import SignatureError, write_run_signature
from omphalos.pipeline import parse_cache, plan
from omphalos.pipeline.admit import (
    AdmittedInput,
    admit_all,
    check_registry_not_empty,
    check_reject_limits,
)
from omphalos.pipeline.changes import EXPORT_NAME as CHANGES_EXPORT
from omphalos.pipeline.changes import PreviousRun, check_previous_run, compare, project_sha256
from omphalos.pipeline.config import RunConfig, load_config
from omphalos.pipeline.decisions import DecisionsLog, admit_log, read_log, review_tables
from omphalos.pipeline.engines import (
    ENGINES,
    DuckDBEngine,
    Engine,
    PostgresEngine,
    SparkEngine,
)
from omphalos.pipeline.export import (
    RUN_MANIFEST,
    KeyOrderError,
    RowDigest,
    TableContract,
    conform,
    conformed_batches,
    contracts_from_manifest,
    digest_connection,
    logical_fingerprint,
    write_batches,
    write_table,
)
from omphalos.pipeline.limits import duckdb_memory_limit
from omphalos.pipeline.paths import project_root
from omphalos.presentation.catalog import (
    CatalogError,
    execute_catalog_into_run,
    validate_catalog_queries,
)
from omphalos.presentation.data_tests import write_data_tests, write_timings_page
from omphalos.presentation.packets import write_packets
from omphalos.presentation.report import write_report

Progress = Callable[[str], None]


class RunError(OmphalosError, RuntimeError):
    """The run failed after it started; the directory is left marked FAILED."""

    exit_code = EXIT_FAILED


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


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process (all its threads) and of the children it
    waited for (dbt, the Spark driver)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class _Timer:
    """Wall and CPU milliseconds per phase: on a machine shared with other jobs wall time grows
    with their load, CPU time much less (reports/timings.json, procedural)."""

    def __init__(self) -> None:
        self.phases: dict[str, int] = {}
        self.cpu: dict[str, int] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        cpu_start = _cpu_seconds()
        try:
            yield
        finally:
            # a phase entered more than once adds up
            self.phases[name] = self.phases.get(name, 0) + int((time.perf_counter() - start) * 1000)
            self.cpu[name] = self.cpu.get(name, 0) + int((_cpu_seconds() - cpu_start) * 1000)


def _write_rejects(rejects: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = rejects.sort_by(
        [("input", "ascending"), ("row", "ascending"), ("column", "ascending")]
    )
    pacsv.write_csv(
        ordered, path, write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed")
    )


#: The dbt selector (selectors.yml) a sealed run builds.
SEALED_RUN_SELECTOR = "sealed_run"


def _dbt_command(
    cfg: RunConfig, tmp: Path, threads: int, engine: Engine
) -> tuple[list[str], dict[str, str], Path, Path | None]:
    """dbt's argv, environment and working directory, and the saved parse it reuses (None when
    the parse cache is off or the target's profile differs in every run)."""
    dbt_bin = Path(sys.executable).with_name("dbt")
    dbt_vars: dict[str, Any] = {**cfg.dbt_vars(), **engine.dbt_vars()}
    env = dict(os.environ)
    env.update(engine.dbt_env())
    cwd, relative = engine.dbt_workdir()
    env.update(relative)
    env.update({"OMPHALOS_THREADS": str(threads), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    cached: Path | None = None
    if engine.target == "duckdb" and parse_cache.enabled():
        cached = parse_cache.cache_file(engine.target, dbt_vars, env)
    if cached is None:
        parse_flags = ["--no-partial-parse"]
    elif cached.is_file():
        parse_flags = ["--partial-parse", "--partial-parse-file-path", str(cached)]
    else:  # none saved yet: a full parse, which dbt writes into the run's target for the cache
        parse_flags = ["--partial-parse"]
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
        # what a sealed run builds is the project's selector (selectors.yml): no unit tests
        "--selector",
        SEALED_RUN_SELECTOR,
        "--threads",
        str(threads),
        *parse_flags,
        "--no-use-colors",
    ]
    return engine.dbt_argv(argv), env, cwd, cached


def _portable_argv(argv: list[str], tmp: Path) -> list[str]:
    """The dbt argv as recorded: no machine paths."""
    root = str(project_root())
    cache = str(parse_cache.cache_root())
    out = []
    for a in argv:
        a = (
            a.replace(str(tmp), "<run_dir>")
            .replace(root, "<project>")
            .replace(cache, "<parse_cache>")
        )
        out.append(Path(a).name if a.endswith("/dbt") else a)
    return out


class DbtModelCounter:
    """dbt's log lines as progress: models as ``dbt: model n of N <name> [OK in 0.2s]`` in the
    order they finish (dbt numbers every node, tests included, in the order they start), and
    failing nodes as they are. N is the model count dbt announces (``Found 41 models, ...``)."""

    _FOUND = re.compile(r"\bFound (\d+) models?\b")
    _MODEL = re.compile(r"\d+ of \d+ (?:OK created|ERROR creating) .*?\bmodel (\S+) \.*\s*(\[.*\])")

    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0

    def line(self, line: str) -> str | None:
        """The progress message for one line of dbt's output, or None."""
        if self.total is None and (found := self._FOUND.search(line)):
            self.total = int(found.group(1))
            return None
        model = self._MODEL.search(line)
        if model:
            self.done += 1
            of = f" of {self.total}" if self.total is not None else ""
            return f"dbt: model {self.done}{of} {model.group(1)} {model.group(2)}"
        if " ERROR " in line or "FAIL" in line:
            return "dbt: " + line.strip().split("  ", 1)[-1]
        return None


def _run_dbt(
    argv: list[str],
    env: dict[str, str],
    tmp: Path,
    progress: Progress | None,
    cwd: Path | None = None,
    cached_parse: Path | None = None,
) -> dict[str, Any]:
    log_path = tmp / "dbt" / "dbt_stdout.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if cached_parse is not None:
        parse_cache.touch(cached_parse)
    with log_path.open("w", encoding="utf-8") as log:
        proc = start_child(argv, env=env, cwd=cwd or project_root())
        try:
            assert proc.stdout is not None
            models = DbtModelCounter()
            for line in proc.stdout:
                log.write(line)
                shown = models.line(line)
                if progress and shown:
                    progress(shown)
            code = proc.wait()
        finally:
            stop_child(proc)  # no writer is left behind, whatever ended the run
    if code == 0 and cached_parse is not None:
        # the parse dbt used (reused or made anew), for the next run
        parse_cache.save(tmp / "dbt" / "target" / "partial_parse.msgpack", cached_parse)
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


def _replay_plan(
    saved: plan.Plan, engine: DuckDBEngine, tmp: Path, progress: Progress | None
) -> dict[str, Any]:
    """``plan.replay`` on the run's warehouse, its lines in dbt_stdout.log and as progress; a
    failing node fails the run as a failing ``dbt build`` does."""
    log_path = tmp / "dbt" / "dbt_stdout.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    plan.touch(saved)
    models = DbtModelCounter()
    models.total = sum(1 for n in saved.doc["nodes"] if n["kind"] == "model")
    with log_path.open("w", encoding="utf-8") as log:

        def line(text: str) -> None:
            log.write(text + "\n")
            shown = models.line(text)
            if progress and shown:
                progress(shown)

        con = engine.connect()
        try:
            return plan.replay(saved, con, tmp / "dbt" / "target", line, engine.threads)
        except plan.PlanError as exc:
            raise RunError(
                f"dbt build failed (replaying the saved plan {saved.key[:16]}):\n  {exc}"
            ) from exc
        finally:
            con.close()


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> Callable[[], None]:
    """In the child before exec (Linux): SIGKILL when the parent dies, even by SIGKILL."""

    def setup() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - not Linux
            return
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


def start_child(argv: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start dbt (or the Spark driver) in a process group of its own, text output piped, that
    dies with this process: stop_child ends the group on any exit of the run, and on Linux the
    child gets SIGKILL if this process dies without unwinding (SIGKILL)."""
    return subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        process_group=0,
        preexec_fn=_die_with_parent(os.getpid()) if sys.platform == "linux" else None,
    )


def stop_child(proc: subprocess.Popen[str], grace: float = 5.0) -> None:
    """End the child's whole process group (SIGTERM, then SIGKILL after ``grace`` seconds) and
    reap the child. A no-op for a group that already ended."""

    def signal_group(sig: int) -> bool:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    if proc.poll() is None and signal_group(signal.SIGTERM):
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    signal_group(signal.SIGKILL)  # grandchildren the leader left behind, if any
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _export_mart(
    engine: Engine,
    contract: TableContract,
    out_dir: Path,
    digests: duckdb.DuckDBPyConnection | None = None,
) -> tuple[Path, int, str]:
    """Write one mart's files (``write_batches``) in ``out_dir``; returns its Parquet file, its
    rows and its logical fingerprint (``RowDigest``, on ``digests`` when given: one connection for
    every mart of the run). Streamed in key order where the engine can (DuckDB), else fetched
    whole and sorted."""

    def write(batches: Iterable[pa.RecordBatch]) -> tuple[Path, int, str]:
        with RowDigest(contract.schema.names, con=digests) as digest:
            paths, n = write_batches(batches, contract.schema, out_dir, contract.name, digest)
            return paths[0], n, digest.hexdigest()

    reader = engine.stream(contract.layer, contract.name, contract.key)
    if reader is not None:
        try:
            return write(conformed_batches(reader, contract))
        except KeyOrderError:
            pass  # not strictly ascending in one key column: sorted whole below, files rewritten
        finally:
            reader.close()
    fetched = engine.fetch(contract.layer, contract.name, contract.schema, contract.key)
    return write(conform(fetched, contract).to_batches())


def _summary(
    engine: Engine, marts: dict[str, Path], rows: dict[str, int], top: int = 10
) -> dict[str, Any]:
    """The run's headline numbers, from the exported tables and engine row counts (the same on
    every engine)."""

    def count(layer: str, name: str) -> int:
        return engine.count(layer, name) or 0

    con = duckdb.connect()
    try:
        by_status = con.execute(
            "select match_status, count(*) from read_parquet(?) group by 1 order by 1",
            [str(marts["entity_matches"])],
        ).fetchall()
        top_rows = con.execute(
            "select exposure_rank, entity_id, primary_name, match_shipments, "
            "cast(matched_value_usd as varchar), cast(exposure_score as varchar) "
            f"from read_parquet(?) order by exposure_rank limit {int(top)}",
            [str(marts["entity_scores"])],
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
        "review_queue": rows["review_queue"],
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
    previous_run: Path | None = None,
) -> Path:
    """Perform a sealed run. Returns the sealed run directory. Raises InputError for bad input
    (before anything is written), RunError when a started run fails (left as <run_id>.FAILED).

    With ``sign_key`` the sealed manifest is signed (``run_manifest.sig.json``) before the run is
    renamed into place; the key is loaded first, so a bad key (KeyFileError) stops the run before
    anything is written. Warnings (rejected rows) go to ``warn``, by default stderr.

    ``previous_run`` (else the config's ``previous_run:``) is a sealed run to compare with; it
    and the config's ``decisions:`` log are checked before anything is written (InputError)."""
    cfg = load_config(config_path)
    decisions_log = read_log(cfg.decisions, str(cfg.decisions_label)) if cfg.decisions else None
    previous: PreviousRun | None = None
    if previous_run is not None:
        previous = check_previous_run(previous_run, str(previous_run))
    elif cfg.previous_run is not None:
        previous = check_previous_run(cfg.previous_run, str(cfg.previous_run_label))
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
    say = progress or (lambda _m: None)
    run_id = new_run_id(cfg.name)
    tmp = runs_root / f"{TMP_PREFIX}{run_id}"
    final = runs_root / run_id
    try:
        runs_root.mkdir(parents=True, exist_ok=True)
        for note in mark_abandoned(runs_root):
            if progress:
                say(note)
            else:
                print(f"omphalos run: {note}", file=sys.stderr)
        if final.exists() or tmp.exists():  # pragma: no cover - 32 random bits plus a timestamp
            raise RunError(f"run directory already exists: {final}")
        tmp.mkdir()
    except OSError as exc:
        raise RunError(f"cannot create the run directory {tmp}: {_os_error(exc)}") from exc
    started_at = utc_now()
    try:
        lock = _hold(tmp)  # held until the run ends: a live run is never marked abandoned
        _write_failed_record(tmp, _unfinished_record(run_id, started_at))
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)  # nothing of the run was written yet
        raise RunError(f"cannot write into the run directory {tmp}: {_os_error(exc)}") from exc
    timer = _Timer()
    lineage = LineageLog(tmp / "lineage" / "events.jsonl")
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
        if decisions_log is not None:
            admit_log(decisions_log, tmp)
            lineage.append("input_admitted", decisions_log.summary())
        if previous is not None:
            lineage.append(
                "previous_run_verified",
                {"run_id": previous.run_id, "payload_root": previous.payload_root},
            )
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
        # registry entry digests: every entry when comparing with a previous run, else those
        # the decisions name (docs/review.md)
        digests = None
        if previous is not None:
            digests = registry_entry_digests(tmp / "inputs" / "admitted")
        engine = make_engine(target, tmp, run_id, threads, keep_warehouse, shipments)
        engine_closed = False
        scratch = Path(tempfile.mkdtemp(prefix="omphalos-export-"))  # never part of the run
        try:
            with timer.phase("load"):
                say(f"loading admitted inputs into {target}")
                engine.load_raw(records)
                _load_review_tables(engine, decisions_log, tmp / "inputs" / "admitted", digests)
            argv, env, dbt_cwd, cached_parse = _dbt_command(cfg, tmp, threads, engine)
            command = _portable_argv(argv, tmp)
            plan_folder = None
            if isinstance(engine, DuckDBEngine) and cached_parse is not None and plan.enabled():
                plan_folder = plan.plan_dir(cached_parse, env)
            saved_plan = plan.load(plan_folder) if plan_folder is not None else None
            if saved_plan is not None:
                assert isinstance(engine, DuckDBEngine)
                replayed = {
                    "key": saved_plan.key,
                    "sha256": saved_plan.sha256,
                    "built_by_run": str(saved_plan.doc["built_by_run"]),
                }
                command = [str(a) for a in saved_plan.doc["command"]]
                lineage.append(
                    "dbt_plan_replayed",
                    {"plan": replayed, "argv": command, "vars": _str_vars(cfg, engine)},
                )
                say("dbt build: replaying the saved plan of an identical build")
                with timer.phase("dbt_build"):
                    results = _replay_plan(saved_plan, engine, tmp, progress)
            else:
                replayed = None
                lineage.append("dbt_invoked", {"argv": command, "vars": _str_vars(cfg, engine)})
                say("dbt build")
                with timer.phase("dbt_build"):
                    digest_before = parse_cache.project_digest() if plan_folder else None
                    results = _run_dbt(argv, env, tmp, progress, dbt_cwd, cached_parse)
                    # a project file changed while dbt ran: its SQL is not the key's, no plan
                    if (
                        plan_folder is not None
                        and isinstance(engine, DuckDBEngine)
                        and parse_cache.project_digest() == digest_before
                    ):
                        plan.save(  # for the next run of the same build
                            tmp / "dbt" / "target", engine.warehouse, plan_folder, run_id, command
                        )
            for r in sorted(results.get("results", []), key=lambda r: r.get("unique_id", "")):
                uid = r.get("unique_id", "")
                event = "model_built" if uid.startswith(("model.", "seed.")) else "test_run"
                data: dict[str, Any] = {"node": uid, "status": r.get("status")}
                if uid.startswith("model."):
                    data["rows"] = _model_rows(engine, uid.split(".")[-1])
                lineage.append(event, data)

            with timer.phase("export"):
                # the exported marts, their keys and folders as this run's dbt parsed them,
                # each streamed from the engine to its files (a mart is never whole in memory
                # on DuckDB); a mart no config export names is written only for the summary,
                # to a scratch folder outside the run
                built = contracts_from_manifest(tmp / RUN_MANIFEST)
                marts: dict[str, Path] = {}
                rows: dict[str, int] = {}
                logical: dict[str, str] = {}
                tables = []
                with contextlib.closing(digest_connection()) as digest_con:
                    for name, contract in built.items():
                        exported = name in cfg.exports or contract.export_dir != "exports"
                        if exported:
                            say(f"exporting {name}")
                        out_dir = (tmp if exported else scratch) / contract.export_dir
                        marts[name], rows[name], logical[name] = _export_mart(
                            engine, contract, out_dir, digest_con
                        )
                for name in cfg.exports:
                    contract = built[name]
                    tables.append(
                        {
                            "name": name,
                            "key": list(contract.key),
                            "rows": rows[name],
                            "columns": [f.name for f in contract.schema],
                            "logical_sha256": logical[name],
                        }
                    )
                    lineage.append("table_exported", tables[-1])
                changes: dict[str, Any] | None = None
                if previous is not None:
                    say(f"comparing with the previous run {previous.run_id}")
                    change_table, changes = compare(
                        previous,
                        pq.read_table(marts["entity_matches"]),
                        tmp / "inputs" / "admitted",
                        _str_vars(cfg, engine),
                        project_sha256(),
                        digests,
                    )
                    write_table(change_table, tmp / "exports", CHANGES_EXPORT)
                    tables.append(
                        {
                            "name": CHANGES_EXPORT,
                            "key": ["match_id"],
                            "rows": change_table.num_rows,
                            "columns": change_table.column_names,
                            "logical_sha256": logical_fingerprint(change_table, ["match_id"]),
                        }
                    )
                    lineage.append("table_exported", tables[-1])
            summary = _summary(engine, marts, rows)
            if decisions_log is not None:
                summary["prior_decisions"] = _prior_decisions_summary(
                    decisions_log, marts["entity_matches"]
                )
            if changes is not None:
                summary["changes_since_previous"] = changes
            engine_description = engine.describe()
            engine_closed = True
            engine.finish()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
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
            write_data_tests(tmp)  # reports/data_tests.json, read by the report page
            say("writing review packets")
            packet_files = write_packets(tmp)
            say("writing reports/index.html")
            write_report(tmp)
        lineage.append(
            "report_written", {"page": "reports/index.html", "packets": len(packet_files) // 2}
        )
        write_canonical_json(
            tmp / "reports" / "timings.json",
            {
                "schema_version": "omphalos.timings/1",
                "phases_ms": timer.phases,
                "phases_cpu_ms": timer.cpu,
            },
        )
        write_timings_page(tmp)  # reports/timings.html, procedural
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
            "inputs": _input_summaries(cfg, records)
            + ([decisions_log.summary()] if decisions_log is not None else []),
            "dbt": {
                "command": command,
                "vars": _str_vars(cfg, engine),
                "project_sha256": project_sha256(),
                **({"plan": replayed} if replayed is not None else {}),
            },
            "tables": tables,
        }
        (tmp / FAILED_NAME).unlink()  # the run is complete: its FAILED record goes before sealing
        manifest = build_manifest(tmp, meta)
        os.rename(tmp, final)
        tmp = final  # from here on a failure marks the renamed directory
        # The signature, then the manifest, only now: a directory that was never renamed into
        # place never holds a manifest, and a manifest is never there without its signature.
        if signer is not None:
            try:
                write_run_signature(final, signer, manifest=manifest)
            except (SignatureError, OSError) as exc:
                raise RunError(f"signing the sealed manifest failed: {exc}") from exc
        write_manifest(final, manifest)
        return final
    except BaseException as exc:
        _mark_failed(tmp, runs_root / f"{run_id}.FAILED", exc)
        if isinstance(exc, OSError):
            raise RunError(f"the run could not write its files: {_os_error(exc)}") from exc
        raise
    finally:
        os.close(lock)


def _load_review_tables(
    engine: Engine,
    log: DecisionsLog | None,
    admitted: Path,
    digests: dict[str, str] | None,
) -> None:
    """The raw review tables (decisions and registry entry digests), empty without a log;
    written outside the run, so a run without decisions has the same payload as ever."""
    with tempfile.TemporaryDirectory(prefix="omphalos-review-") as scratch:
        for name, path in review_tables(log, admitted, Path(scratch), digests).items():
            engine.load_table(name, path)


def _prior_decisions_summary(log: DecisionsLog, matches: Path) -> dict[str, Any]:
    """How the admitted decisions bore on this run's candidates (``matches``: the run's
    entity_matches Parquet file)."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select prior_decision, prior_decision_status, count(*) from read_parquet(?) "
            "where prior_decision is not null group by all order by 1, 2",
            [str(matches)],
        ).fetchall()
    finally:
        con.close()
    by = {f"{d}:{s}": int(n) for d, s, n in rows}
    return {
        "log": log.label,
        "log_sha256": log.sha256,
        "decisions": len(log.records),
        "candidates_with_prior_decision": sum(by.values()),
        "cleared_not_queued": by.get("false_positive:applies", 0),
        "requeued_list_entry_changed": sum(
            n for k, n in by.items() if k.endswith(":list_entry_changed")
        ),
        "by_decision": by,
    }


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


TMP_PREFIX = ".tmp-"
FAILED_NAME = "FAILED.json"
_RUN_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}")


def _os_error(exc: OSError) -> str:
    """An OS error, located: the file and the reason (never a traceback)."""
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason


def _hold(directory: Path) -> int:
    """An exclusive lock on the directory itself (released when the process ends, however)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def _unfinished_record(run_id: str, started_at: str) -> dict[str, Any]:
    return {
        "schema_version": "omphalos.failed_run/1",
        "run_id": run_id,
        "started_at": started_at,
        "failed_at": None,
        "error_type": "unfinished",
        "error": "the run stopped before it could record why (killed, crashed, or no space left)",
    }


def _write_failed_record(directory: Path, record: dict[str, Any]) -> None:
    write_canonical_json(directory / FAILED_NAME, record)


def _mark_failed(tmp: Path, failed: Path, exc: BaseException) -> None:
    """Mark a run that failed: no manifest, FAILED.json with the error, renamed ``.FAILED``.

    The directory is never deleted: when the detailed record cannot be written (a full or
    read-only disk) the small record written when the run started stays."""
    if not tmp.exists():
        return
    for name in ("run_manifest.json", "run_manifest.sig.json"):
        with suppress(OSError):
            (tmp / name).unlink(missing_ok=True)
    try:
        record = _unfinished_record(tmp.name.removeprefix(TMP_PREFIX), "")
        try:
            previous = json.loads((tmp / FAILED_NAME).read_text(encoding="utf-8"))
            record["started_at"] = previous.get("started_at", "")
        except (OSError, ValueError):
            pass
        error = _os_error(exc) if isinstance(exc, OSError) else str(exc)
        record.update(failed_at=utc_now(), error_type=type(exc).__name__, error=error[:4000])
        _write_failed_record(tmp, record)
    except OSError:
        pass  # the record written at the start stays
    with suppress(OSError):  # else left in place; the next run marks it
        os.rename(tmp, failed)


def mark_abandoned(runs_root: Path) -> list[str]:
    """Mark runs that no live process holds and that never sealed: ``.tmp-<run_id>`` folders
    (killed or crashed while running) and ``<run_id>`` folders without a manifest (killed
    between the rename and the manifest). Each becomes ``<run_id>.FAILED`` with FAILED.json
    (error_type ``abandoned``). Returns one line per folder marked or left."""
    notes: list[str] = []
    try:
        entries = sorted(os.scandir(runs_root), key=lambda e: e.name)
    except OSError:
        return notes
    for entry in entries:
        name = entry.name
        run_id = name.removeprefix(TMP_PREFIX)
        if not _RUN_ID_RE.fullmatch(run_id) or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        if name == run_id and (
            os.path.lexists(path / "run_manifest.json")
            or not os.path.lexists(path / "lineage" / "events.jsonl")
        ):
            continue  # a sealed run (or not a run at all)
        try:
            fd = _hold(path)
        except OSError:
            continue  # a live run holds it
        try:
            record = _unfinished_record(run_id, "")
            try:
                previous = json.loads((path / FAILED_NAME).read_text(encoding="utf-8"))
                record["started_at"] = previous.get("started_at", "")
            except (OSError, ValueError):
                pass
            record.update(
                failed_at=utc_now(),
                error_type="abandoned",
                error="no process finished this run (killed or crashed); marked by a later run",
            )
            target = runs_root / f"{run_id}.FAILED"
            try:
                (path / "run_manifest.json").unlink(missing_ok=True)
                (path / "run_manifest.sig.json").unlink(missing_ok=True)
                _write_failed_record(path, record)
                if os.path.lexists(target):
                    raise FileExistsError(target)
                os.rename(path, target)
                notes.append(f"abandoned run {name} marked as {target.name}")
            except OSError as exc:
                notes.append(f"abandoned run {name} could not be marked: {_os_error(exc)}")
        finally:
            os.close(fd)
    return notes


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
            log = read_log(cfg.decisions, str(cfg.decisions_label)) if cfg.decisions else None
            _load_review_tables(engine, log, Path(admitted_dir), None)
        finally:
            engine.finish()
    return {
        "warehouse": str(warehouse),
        "inputs": [r.summary() for r in records],
        "rejects_by_reason": _rejects_by_reason(rejects),
    }
