"""A saved dbt build plan: the SQL a sealed DuckDB run's ``dbt build`` executed, replayed by later
runs of the same project, vars and settings without starting dbt (issue 18).

dbt's own machinery (start, parse, compiling every node's Jinja at run time, events, artifacts)
took about 7 to 10 s of every sealed run, while the SQL of a 1-row run takes about 1 s
(benchmarks/dbt_overhead.py). The SQL dbt runs is a function of the project files, the vars, the
target's settings and the versions of dbt and its adapter only: the compile-time look-ups of the
project (macros/normalize/seed_literals.sql) read seeds, which are project files, and no model
reads the clock or the environment. So after a successful ``dbt build`` on DuckDB the run saves,
outside any run (beside the saved parse, keyed the same way plus the DuckDB version):

- ``plan.json``: every node in the order dbt finished it (a node finishes after the nodes it
  depends on), each with the exact SQL dbt executed for it (``target/run/``: a model's
  materialization, a test's ``failures, should_warn, should_error`` query), its relation and
  how dbt finished it (renaming the model's ``__dbt_tmp`` relation into place);
- ``seeds.duckdb``: the seed tables as dbt loaded them;
- ``target/``: dbt's artifacts of that build (manifest.json, compiled/, run/ SQL).

A later run with the same key replays the plan on its warehouse (``replay``): the seeds copied,
the same statements executed, up to the profile's threads at once as dbt runs them (each node
after the nodes it depends on, on its own cursor), every data test's status
decided as dbt decides it (severity, ``warn_if``/``error_if`` as compiled into its query), a
failing error-severity test failing the run; it writes dbt's artifacts of the plan and its own
``run_results.json`` into the run, and each model's and test's ``target/run/`` file from the SQL
it executed (a seed's is the build's: the replay copies the tables that build loaded). The run's manifest names the plan (``dbt.plan``). The same SQL
on the same inputs builds the same tables: the payload root is the one ``dbt build`` gives (a
test). Any change of a project file, var, setting or version is another key and a full
``dbt build``, which saves a new plan. OMPHALOS_DBT_PLAN=0 turns replays off (every run runs
``dbt build``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from omphalos.pipeline import parse_cache

PLAN_FORMAT = "omphalos.dbt_plan/2"  # 2: each node lists the plan nodes it depends on
PLAN_FILE = "plan.json"
SEEDS_FILE = "seeds.duckdb"
TARGET_DIR = "target"
KEEP = 8  # plans kept (the most recently used)
# dbt's artifacts of the build that go with a plan into every run replaying it (not its results,
# its saved parse or its pickled graph: the run writes its own results)
_TARGET_FILES = ("manifest.json", "semantic_manifest.json", "graph_summary.json")
_TARGET_DIRS = ("compiled", "run")
_TMP_SUFFIX = "__dbt_tmp"


class PlanError(RuntimeError):
    """A replayed node failed (its SQL raised, or an error-severity data test failed)."""


def enabled() -> bool:
    return os.environ.get("OMPHALOS_DBT_PLAN", "1") != "0" and parse_cache.enabled()


def plan_dir(parse_file: Path, env: dict[str, str] | None = None) -> Path:
    """The plan for the saved parse ``parse_file`` (``parse_cache.cache_file``: the same key of
    project files, vars, target, settings and dbt versions), dbt's own flags in ``env`` (the
    ``DBT_*`` variables of dbt's environment: a build with other flags, such as one excluding
    the tests, is another plan), and the DuckDB and dbt-adapters versions."""
    flags = sorted((k, v) for k, v in (env or {}).items() if k.startswith("DBT_"))
    key = hashlib.sha256(
        json.dumps(
            [
                PLAN_FORMAT,
                parse_file.stem,
                metadata.version("duckdb"),
                parse_cache.dist_version("dbt-adapters"),
                flags,
            ]
        ).encode()
    ).hexdigest()
    return parse_cache.cache_root().parent / "dbt-plan" / key


# dbt flags of a build whose SQL or tests differ from a full build's: no plan is saved from it
_NON_DEFAULT_ARGS = (
    "empty",
    "sample",
    "store_failures",
    "warn_error",
    "exclude_resource_types",
    "resource_types",
)


@dataclass(frozen=True)
class Plan:
    folder: Path
    doc: dict[str, Any]
    sha256: str

    @property
    def key(self) -> str:
        return self.folder.name


def load(folder: Path) -> Plan | None:
    """The plan saved in ``folder``, or None when there is none (or it is not of this format)."""
    path = folder / PLAN_FILE
    try:
        raw = path.read_bytes()
        doc = json.loads(raw)
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != PLAN_FORMAT:
        return None
    if not (folder / SEEDS_FILE).is_file() or not (folder / TARGET_DIR / "manifest.json").is_file():
        return None
    return Plan(folder, doc, hashlib.sha256(raw).hexdigest())


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def save(target: Path, warehouse: Path, folder: Path, run_id: str, command: list[str]) -> bool:
    """Save the plan of the dbt build whose artifacts are in ``target`` (the run's dbt target
    folder) and whose warehouse is ``warehouse``, as ``folder`` (atomically: a plan is whole or
    absent). False, and nothing saved, when the build holds a node the replay cannot reproduce,
    dbt's artifacts are not as expected or the cache cannot be written: the next run then runs
    ``dbt build`` again. A plan that cannot be saved never fails the run that built it."""
    try:
        return _save(target, warehouse, folder, run_id, command)
    except (KeyError, TypeError, AttributeError, ValueError, OSError, duckdb.Error):
        return False


def _save(target: Path, warehouse: Path, folder: Path, run_id: str, command: list[str]) -> bool:
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    nodes: list[dict[str, Any]] = []
    database = warehouse.stem
    args = results.get("args") or {}
    if any(args.get(name) for name in _NON_DEFAULT_ARGS) or (
        args.get("warn_error_options") or {}
    ).get("error"):
        return False  # an empty, sampled, test-less or stricter build is not every run's build
    for result in results.get("results") or []:
        uid = str(result.get("unique_id") or "")
        kind = uid.split(".")[0]
        if kind == "exposure":  # nothing to run: listed in the results, as dbt does
            nodes.append({"unique_id": uid, "kind": kind})
            continue
        if result.get("status") not in ("success", "pass", "warn"):
            return False  # a plan holds successful builds only (a data test may warn)
        if kind == "operation":  # a project hook: its compiled SQL
            nodes.append({"unique_id": uid, "kind": kind, "sql": result.get("compiled_code") or ""})
            continue
        node = manifest["nodes"].get(uid)
        if node is None or node.get("database") != database:
            return False
        if node.get("config", {}).get("post-hook") or node.get("config", {}).get("pre-hook"):
            hooks = node["config"].get("post-hook", []) + node["config"].get("pre-hook", [])
            # the hooks of this project render to nothing on DuckDB (macros/hooks/); any other
            # hook is SQL the plan does not hold: no plan
            sql = [str(h.get("sql") or "").strip() for h in hooks]
            if any(text and "omphalos.analyze_table(this)" not in text for text in sql):
                return False
        entry: dict[str, Any] = {
            "unique_id": uid,
            "kind": kind,
            "name": node["name"],
            "depends_on": sorted((node.get("depends_on") or {}).get("nodes") or []),
        }
        if kind == "test":
            config = node.get("config") or {}
            if config.get("store_failures"):
                return False  # its SQL reads the audit tables dbt writes, which a replay does not
            entry.update(
                severity=str(config.get("severity") or "error").upper(),
                warn_if=str(config.get("warn_if") or "!= 0"),
                error_if=str(config.get("error_if") or "!= 0"),
            )
        if kind == "seed":
            entry["schema"] = node["schema"]
            entry["alias"] = node["alias"]
        elif kind in ("model", "test"):
            if kind == "test" or node.get("config", {}).get("materialized") != "ephemeral":
                run_sql = _run_file(target, node)
                if run_sql is None:
                    return False
                entry["sql"] = run_sql.read_text(encoding="utf-8")
                entry["run_file"] = run_sql.relative_to(target).as_posix()
            if kind == "model":
                materialized = node["config"]["materialized"]
                if materialized not in ("table", "view", "ephemeral"):
                    return False
                entry.update(
                    materialized=materialized,
                    database=node["database"],
                    schema=node["schema"],
                    alias=node["alias"],
                )
        else:
            return False
        nodes.append(entry)
    doc = {
        "format": PLAN_FORMAT,
        "built_by_run": run_id,
        "command": command,
        "args": results.get("args") or {},  # dbt's arguments of the build (selector, vars, ...)
        "versions": {d: metadata.version(d) for d in ("dbt-core", "dbt-duckdb", "duckdb")},
        "nodes": nodes,
    }
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=parent, prefix=".tmp-"))
    except OSError:
        return False
    try:
        _copy_seeds(warehouse, work / SEEDS_FILE, [n for n in nodes if n["kind"] == "seed"])
        (work / TARGET_DIR).mkdir()
        for name in _TARGET_FILES:
            if (target / name).is_file():
                shutil.copy2(target / name, work / TARGET_DIR / name)
        for name in _TARGET_DIRS:
            if (target / name).is_dir():
                shutil.copytree(target / name, work / TARGET_DIR / name)
        (work / PLAN_FILE).write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
        os.rename(work, folder)
    except (OSError, duckdb.Error):
        shutil.rmtree(work, ignore_errors=True)
        return False
    _prune(parent)
    return True


def _run_file(target: Path, node: dict[str, Any]) -> Path | None:
    """The SQL dbt executed for a model or test node (``target/run/``), or None: a model's and a
    singular test's file mirrors its source path; a generic test's is its ``path`` under the
    properties file that declares it."""
    base = target / "run" / node["package_name"] / node["original_file_path"]
    if node["resource_type"] == "test" and base.suffix in (".yml", ".yaml"):
        base = base / Path(node["path"]).name
    return base if base.is_file() else None


def _copy_seeds(warehouse: Path, out: Path, seeds: list[dict[str, Any]]) -> None:
    con = duckdb.connect(str(out))
    try:
        con.execute(f"attach {_literal(str(warehouse))} as built (read_only)")
        for seed in seeds:
            con.execute(f"create schema if not exists {_q(seed['schema'])}")
            rel = f"{_q(seed['schema'])}.{_q(seed['alias'])}"
            con.execute(f"create table {rel} as select * from built.{rel}")
        con.execute("detach built")
    finally:
        con.close()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _prune(parent: Path) -> None:
    saved = [p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
    saved.sort(key=lambda p: (p / PLAN_FILE).stat().st_mtime if (p / PLAN_FILE).exists() else 0)
    for old in saved[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)


def touch(plan: Plan) -> None:
    with suppress(OSError):
        os.utime(plan.folder / PLAN_FILE)


def replay(
    plan: Plan,
    con: duckdb.DuckDBPyConnection,
    run_target: Path,
    log: Callable[[str], None],
    threads: int = 1,
) -> dict[str, Any]:
    """Execute ``plan`` on the warehouse of ``con`` (its inputs loaded), write the plan's dbt
    artifacts and a ``run_results.json`` into ``run_target``; return the results (dbt's shape).
    ``log`` takes one line per node, in dbt's words (``N of M OK created sql table model ...``).
    Raises PlanError when a node fails; the results written so far are in ``run_target``.

    Like ``dbt build --threads N``, up to ``threads`` nodes run at once (each on its own cursor of
    ``con``), a node once every node it depends on has finished, in the plan's order otherwise; a
    project hook (operation) runs alone where dbt ran it. After a failure no node starts; those
    running finish."""
    shutil.copytree(plan.folder / TARGET_DIR, run_target, dirs_exist_ok=True)
    nodes = plan.doc["nodes"]
    for node in nodes:  # the run keeps the SQL it executes, as dbt keeps what it ran
        if node.get("run_file") and node.get("sql") is not None:
            written = run_target / node["run_file"]
            if run_target.resolve() not in written.resolve().parents:
                raise PlanError(f"{node['unique_id']}: run file outside the target folder")
            written.parent.mkdir(parents=True, exist_ok=True)
            written.write_text(node["sql"], encoding="utf-8")
    counted = [n["unique_id"] for n in nodes if n["kind"] not in ("operation", "exposure")]
    numbers = {uid: i for i, uid in enumerate(counted, start=1)}  # dbt's "N of M"
    total = len(counted)
    results: list[dict[str, Any]] = []
    failed: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()
    log(f"replaying the saved dbt plan {plan.key[:16]} (built by run {plan.doc['built_by_run']})")
    con.execute(
        f"attach {_literal(str(plan.folder / SEEDS_FILE))} as omphalos_plan_seeds (read_only)"
    )
    schemas = sorted(
        {(n["database"], n["schema"]) for n in nodes if n["kind"] == "model"}
        | {(None, n["schema"]) for n in nodes if n["kind"] == "seed"},
        key=lambda pair: (pair[0] or "", pair[1]),
    )
    for database, schema in schemas:  # before any node: two at once would conflict
        name = f"{_q(database)}.{_q(schema)}" if database else _q(schema)
        con.execute(f"create schema if not exists {name}")
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []

    def cursor() -> duckdb.DuckDBPyConnection:
        if getattr(local, "con", None) is None:
            local.con = con.cursor()
            with lock:
                cursors.append(local.con)
                local.name = f"Thread-{len(cursors)}"
        return local.con  # type: ignore[no-any-return]

    def run(node: dict[str, Any]) -> None:
        own = cursor() if threads > 1 else con
        kind = node["kind"]
        t0 = time.perf_counter()
        status, failures, message = "success", None, None
        try:
            if kind == "exposure":
                status = "no-op"
            elif kind == "operation":
                own.execute(node["sql"])
            elif kind == "seed":
                rel = f"{_q(node['schema'])}.{_q(node['alias'])}"
                own.execute(f"create table {rel} as select * from omphalos_plan_seeds.{rel}")
                message = "INSERT"
            elif kind == "model":
                if node["materialized"] != "ephemeral":
                    _build_model(own, node)
                message = "OK"
            else:
                status, failures, message = _test_result(
                    node, own.execute(node["sql"]).fetchall()[0]
                )
        except duckdb.Error as exc:
            status, message = "error", str(exc)
        seconds = time.perf_counter() - t0
        with lock:
            results.append(
                {
                    "unique_id": node["unique_id"],
                    "status": status,
                    "execution_time": seconds,
                    "failures": failures,
                    "message": message,
                    "thread_id": getattr(local, "name", "Thread-1"),
                    "timing": [],
                    "adapter_response": {},
                }
            )
            if kind not in ("operation", "exposure"):
                log(_line(numbers[node["unique_id"]], total, node, status, seconds, failures))
            if status in ("error", "fail"):
                failed.append(f"{node['unique_id']}: {status}: {(message or '').strip()[:300]}")

    try:
        segment: list[dict[str, Any]] = []  # the nodes between two project hooks
        for node in nodes:
            if node["kind"] != "operation":
                segment.append(node)
                continue
            _run_parallel(segment, run, threads, failed)
            segment = []
            if failed:
                break
            run(node)  # a hook runs alone, where dbt ran it
            if failed:
                break
        else:
            _run_parallel(segment, run, threads, failed)
    finally:
        for own in cursors:
            own.close()
        con.execute("detach omphalos_plan_seeds")
    _write_results(run_target, results, time.perf_counter() - started, plan)
    if failed:
        raise PlanError(failed[0])
    passed = sum(1 for r in results if r["status"] in ("success", "pass"))
    warned = sum(1 for r in results if r["status"] == "warn")
    noop = sum(1 for r in results if r["status"] == "no-op")
    log(f"Done. PASS={passed} WARN={warned} ERROR=0 SKIP=0 NO-OP={noop} TOTAL={len(results)}")
    return {"results": results}


def _run_parallel(
    segment: list[dict[str, Any]],
    run: Callable[[dict[str, Any]], None],
    threads: int,
    failed: list[str],
) -> None:
    """Run the nodes of ``segment``, up to ``threads`` at once, each once the nodes of the segment
    it depends on have finished (in the segment's order among those ready); none starts after a
    failure. One thread: in the segment's order, on the caller's thread."""
    if threads <= 1:
        for node in segment:
            run(node)
            if failed:
                return
        return
    waiting = {n["unique_id"]: n for n in segment}
    order = {n["unique_id"]: i for i, n in enumerate(segment)}
    pending = {
        uid: {d for d in n.get("depends_on") or [] if d in waiting} for uid, n in waiting.items()
    }
    with ThreadPoolExecutor(threads, thread_name_prefix="omphalos-plan") as pool:
        running: dict[Future[None], str] = {}
        while True:
            if not failed:
                ready = sorted((u for u in waiting if not pending[u]), key=order.__getitem__)
                for uid in ready[: threads - len(running)]:
                    running[pool.submit(run, waiting.pop(uid))] = uid
            if not running:
                if waiting and not failed:  # cannot be: dbt finished every node of the plan
                    raise PlanError(f"{sorted(waiting)[0]}: its dependencies never finished")
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                uid = running.pop(future)
                future.result()
                for deps in pending.values():
                    deps.discard(uid)


def _test_result(node: dict[str, Any], row: tuple[Any, ...]) -> tuple[str, int, str | None]:
    """dbt's decision for a data test (dbt/task/test.py, build_test_run_result) from its query's
    (failures, should_warn, should_error): fail when its severity is ERROR and should_error, else
    warn when should_warn, else pass (with 0 failures)."""
    found = int(row[0])
    counted = f"{found} result" + ("" if found == 1 else "s")
    if node.get("severity", "ERROR") == "ERROR" and row[2]:
        return "fail", found, f"Got {counted}, configured to fail if {node.get('error_if', '!= 0')}"
    if row[1]:
        return "warn", found, f"Got {counted}, configured to warn if {node.get('warn_if', '!= 0')}"
    return "pass", 0, None


def _build_model(con: duckdb.DuckDBPyConnection, node: dict[str, Any]) -> None:
    """dbt-duckdb's table and view materializations on a warehouse without the relation: the
    statements it ran (creating ``<alias>__dbt_tmp``), then the rename into place (its schema
    created before, by replay)."""
    con.execute("begin")
    try:
        con.execute(node["sql"])
        what = "view" if node["materialized"] == "view" else "table"
        tmp = f"{_q(node['database'])}.{_q(node['schema'])}.{_q(node['alias'] + _TMP_SUFFIX)}"
        con.execute(f"alter {what} {tmp} rename to {_q(node['alias'])}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _line(
    number: int, total: int, node: dict[str, Any], status: str, seconds: float, failures: int | None
) -> str:
    """A node's line as dbt prints it (DbtModelCounter reads the model lines for progress)."""
    kind = node["kind"]
    if kind == "model":
        what = f"sql {node['materialized']} model {node['schema']}.{node['alias']}"
        verb = "OK created" if status == "success" else "ERROR creating"
        return f"{number} of {total} {verb} {what} [{'OK' if status == 'success' else 'ERROR'} in {seconds:.2f}s]"
    if kind == "seed":
        return f"{number} of {total} OK loaded seed file {node['schema']}.{node['alias']} [INSERT in {seconds:.2f}s]"
    word = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "error": "ERROR"}[status]
    shown = word if failures in (None, 0) else f"{word} {failures}"
    return f"{number} of {total} {word} {node['name']} [{shown} in {seconds:.2f}s]"


def _write_results(
    run_target: Path, results: list[dict[str, Any]], elapsed: float, plan: Plan
) -> None:
    doc = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "dbt_version": plan.doc["versions"]["dbt-core"],
            "omphalos_plan": {
                "key": plan.key,
                "sha256": plan.sha256,
                "built_by_run": plan.doc["built_by_run"],
            },
        },
        "results": results,
        "elapsed_time": elapsed,
        "args": {**(plan.doc.get("args") or {}), "replayed_plan": plan.key},
    }
    run_target.mkdir(parents=True, exist_ok=True)
    (run_target / "run_results.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
