"""The dbt data tests of a run and its timings (docs/report.md).

dbt writes ``dbt/target/run_results.json`` (every node: status, failures, message, timings) and
``dbt/target/manifest.json`` (what each test is: its kind, the model or source and column it
tests) into the run; both are procedural, since they carry timestamps and durations. From them:

* ``reports/data_tests.json`` (payload, ``omphalos.data_tests/1``): each data test with its kind,
  what it tests, severity, status, failures and message, and counts by status; nothing that
  differs between two runs of the same inputs, so the run report can show it;
* ``reports/timings.html`` (procedural): wall time per phase (``reports/timings.json``) and dbt's
  time per model, seed and test, slowest first; linked from the report.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omphalos.evidence.canonical import loads_strict, write_canonical_json
from omphalos.presentation.charts import Bar, Segment, hbar_chart
from omphalos.presentation.templating import asset, html_env

__all__ = [
    "DATA_TESTS_PATH",
    "DATA_TESTS_SCHEMA",
    "TIMINGS_PAGE",
    "collect_data_tests",
    "read_data_tests",
    "write_data_tests",
    "write_timings_page",
]

DATA_TESTS_PATH = "reports/data_tests.json"
DATA_TESTS_SCHEMA = "omphalos.data_tests/1"
TIMINGS_PAGE = "reports/timings.html"
RUN_RESULTS = "dbt/target/run_results.json"
DBT_MANIFEST = "dbt/target/manifest.json"
TIMINGS_JSON = "reports/timings.json"

#: Worst first: the order of the report's table.
STATUS_ORDER = ("error", "fail", "warn", "skipped", "pass")
#: Slowest dbt nodes charted on the timings page (all are in its table).
SLOWEST_CHARTED = 20


def _read(path: Path, *, strict: bool = True) -> dict[str, Any] | None:
    """A JSON object from a file, or None. ``strict``: evidence JSON (no floats, no duplicate
    keys); dbt's own files carry float durations and are read as plain JSON."""
    if not path.is_file():
        return None
    try:
        data = path.read_bytes()
        obj = loads_strict(data) if strict else json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def _tested(node: Mapping[str, Any]) -> list[dict[str, str]]:
    """The models, sources or seeds a test reads (its attached node first when dbt names one)."""
    attached = node.get("attached_node")
    uids = [attached] if isinstance(attached, str) and attached else []
    depends = node.get("depends_on")
    if isinstance(depends, Mapping):
        uids += [u for u in depends.get("nodes") or [] if isinstance(u, str) and u not in uids]
    out = []
    for uid in uids:
        resource, _, rest = uid.partition(".")
        name = rest.partition(".")[2]  # drop the project name
        if resource in ("model", "source", "seed", "snapshot") and name:
            out.append({"resource": resource, "name": name})
    return out


def collect_data_tests(run_dir: Path) -> list[dict[str, Any]] | None:
    """Every data test of the run's dbt build, worst status first, then by unique id; None when
    the run has no ``run_results.json``."""
    results = _read(Path(run_dir) / RUN_RESULTS, strict=False)
    if results is None:
        return None
    manifest = _read(Path(run_dir) / DBT_MANIFEST, strict=False) or {}
    nodes = manifest.get("nodes") if isinstance(manifest.get("nodes"), Mapping) else {}
    assert isinstance(nodes, Mapping)
    tests = []
    for r in results.get("results") or []:
        if not isinstance(r, Mapping):
            continue
        uid = str(r.get("unique_id") or "")
        if not uid.startswith("test."):
            continue
        node = nodes.get(uid) if isinstance(nodes.get(uid), Mapping) else {}
        assert isinstance(node, Mapping)
        meta = node.get("test_metadata") if isinstance(node.get("test_metadata"), Mapping) else {}
        assert isinstance(meta, Mapping)
        kwargs = meta.get("kwargs") if isinstance(meta.get("kwargs"), Mapping) else {}
        assert isinstance(kwargs, Mapping)
        config = node.get("config") if isinstance(node.get("config"), Mapping) else {}
        assert isinstance(config, Mapping)
        kind = str(meta.get("name")) if meta.get("name") else "singular"
        if meta.get("namespace"):
            kind = f"{meta['namespace']}.{kind}"
        column = node.get("column_name") or kwargs.get("column_name")
        failures = r.get("failures")
        message = r.get("message")
        tests.append(
            {
                "unique_id": uid,
                "name": str(node.get("name") or uid.split(".")[-1]),
                "test": kind,
                "tested": _tested(node),
                "column": str(column) if column else None,
                "severity": str(config.get("severity") or "ERROR").upper(),
                "status": str(r.get("status") or "unknown"),
                "failures": int(failures) if isinstance(failures, int) else None,
                "message": str(message).strip() if message else None,
                "file": str(node.get("original_file_path") or "") or None,
            }
        )

    def rank(t: Mapping[str, Any]) -> tuple[int, str]:
        status = str(t["status"])
        order = STATUS_ORDER.index(status) if status in STATUS_ORDER else -1
        return order, str(t["unique_id"])

    return sorted(tests, key=rank)


def write_data_tests(run_dir: Path) -> Path | None:
    """Write ``reports/data_tests.json`` (payload) from the run's dbt results; None, and no file,
    when the run has none."""
    tests = collect_data_tests(run_dir)
    if tests is None:
        return None
    counts = Counter(str(t["status"]) for t in tests)
    path = Path(run_dir) / DATA_TESTS_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    write_canonical_json(
        path,
        {
            "schema_version": DATA_TESTS_SCHEMA,
            "source": RUN_RESULTS,
            "tests_run": len(tests),
            "by_status": dict(sorted(counts.items())),
            "failures": sum(int(t["failures"] or 0) for t in tests),
            "tests": tests,
        },
    )
    return path


def read_data_tests(run_dir: Path) -> dict[str, Any] | None:
    """``reports/data_tests.json`` of the run, or None when absent or not of this schema."""
    obj = _read(Path(run_dir) / DATA_TESTS_PATH)
    if obj is None or obj.get("schema_version") != DATA_TESTS_SCHEMA:
        return None
    return obj


# ---------------------------------------------------------------------------------------------
# reports/timings.html (procedural)


@dataclasses.dataclass(frozen=True)
class NodeTiming:
    """One dbt node of the build: where it ran and how long it took."""

    order: int
    unique_id: str
    resource: str
    name: str
    status: str
    seconds: float
    thread: str
    started_at: str


def node_timings(run_dir: Path) -> tuple[list[NodeTiming], float | None]:
    """dbt's nodes in the order they started, and dbt's own elapsed time."""
    results = _read(Path(run_dir) / RUN_RESULTS, strict=False)
    if results is None:
        return [], None
    rows = []
    for r in results.get("results") or []:
        if not isinstance(r, Mapping):
            continue
        uid = str(r.get("unique_id") or "")
        started = ""
        for t in r.get("timing") or []:
            if isinstance(t, Mapping) and t.get("name") == "compile":
                started = str(t.get("started_at") or "")
        rows.append((started, uid, r))
    rows.sort(key=lambda x: (x[0], x[1]))
    out = [
        NodeTiming(
            order=i + 1,
            unique_id=uid,
            resource=uid.partition(".")[0],
            name=uid.split(".")[-1] if uid.startswith("test.") else uid.partition(".")[2],
            status=str(r.get("status") or ""),
            seconds=float(r.get("execution_time") or 0.0),
            thread=str(r.get("thread_id") or ""),
            started_at=started,
        )
        for i, (started, uid, r) in enumerate(rows)
    ]
    elapsed = results.get("elapsed_time")
    return out, float(elapsed) if isinstance(elapsed, (int, float)) else None


def render_timings_page(run_dir: Path) -> str:
    """The timings page of the run (procedural: durations differ between runs)."""
    timings = _read(Path(run_dir) / TIMINGS_JSON) or {}
    phases_obj = timings.get("phases_ms")
    phases = (
        [(str(k), int(v)) for k, v in phases_obj.items() if isinstance(v, int)]
        if isinstance(phases_obj, Mapping)
        else []
    )
    nodes, elapsed = node_timings(run_dir)
    slowest = sorted(nodes, key=lambda n: (-n.seconds, n.unique_id))
    phase_chart = (
        hbar_chart(
            [
                Bar(
                    label=k,
                    segments=(Segment(float(v), "s-bar", f"{k}: {v:,} ms"),),
                    note=f"{v:,} ms",
                )
                for k, v in phases
            ],
            label="Wall time per phase",
            axis="milliseconds",
            label_w=140,
        )
        if phases
        else None
    )
    node_chart = (
        hbar_chart(
            [
                Bar(
                    label=f"{n.resource} {n.name}",
                    segments=(Segment(n.seconds, "s-bar", f"{n.unique_id}: {n.seconds:.2f} s"),),
                    note=f"{n.seconds:.2f} s",
                    tip=f"{n.unique_id} ({n.status}, {n.thread}): {n.seconds:.3f} s",
                )
                for n in slowest[:SLOWEST_CHARTED]
            ],
            label="Slowest dbt nodes",
            axis="seconds",
            tick_format=lambda v: f"{v:.1f}",
        )
        if slowest
        else None
    )
    by_resource: dict[str, tuple[int, float]] = {}
    for n in nodes:
        count, seconds = by_resource.get(n.resource, (0, 0.0))
        by_resource[n.resource] = (count + 1, seconds + n.seconds)
    nav = [("phases", "Phases"), ("dbt", "dbt nodes")]
    return (
        html_env()
        .get_template("timings.html.j2")
        .render(
            nav=nav,
            asset=asset,
            phases=phases,
            phase_chart=phase_chart,
            nodes=nodes,
            slowest=slowest,
            node_chart=node_chart,
            elapsed=elapsed,
            by_resource=sorted(by_resource.items()),
            charted=min(len(slowest), SLOWEST_CHARTED),
        )
    )


def write_timings_page(run_dir: Path) -> Path:
    """Write ``reports/timings.html`` (call it after ``reports/timings.json``)."""
    path = Path(run_dir) / TIMINGS_PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_timings_page(run_dir).encode("utf-8"))
    return path
