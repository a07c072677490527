"""Compare two verified runs artifact by artifact and locate every row-level disagreement.

See docs/evidence.md, "Difference report". Callers must verify both runs from disk first
(``omphalos.evidence.certify`` does); this module then trusts only that the manifests' artifact lists match
the files on disk, and recomputes everything else (row differences, logical fingerprints) from the
files with DuckDB, streaming, so it scales to millions of rows.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from omphalos.evidence.canonical import loads_strict
from omphalos.evidence.manifest import classify
from omphalos.pipeline.admit import SPECS
from omphalos.pipeline.export import logical_fingerprint_of

__all__ = [
    "REPORT_SCHEMA",
    "TableSource",
    "compare_runs",
    "diff_table",
    "logical_fingerprint_of",
    "summarize",
]

REPORT_SCHEMA = "omphalos.certify_report/1"
PAYLOAD = "payload"
#: Manifest fields whose differences are reported as context (they never decide the verdict).
CONTEXT_FIELDS = ("tool", "dependencies", "engine", "config", "inputs", "dbt")
REJECTS_PATH = "inputs/rejects.csv"
REJECTS_KEY = ("input", "file", "row", "column", "reason", "value")


def _q(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _path_key(path: str) -> bytes:
    return path.encode("utf-8")


@dataclass(frozen=True)
class TableSource:
    """How to read one tabular artifact: its file format and declared key."""

    path: str
    name: str
    origin: str  # "export" | "admitted_input" | "rejects"
    fmt: str  # "parquet" | "csv"
    key: tuple[str, ...]


def _reader(file: Path, fmt: str) -> str:
    if fmt == "parquet":
        return f"read_parquet({_lit(str(file))})"
    # CSV exports are compared as text: the bytes a reader sees, column by column.
    return f"read_csv({_lit(str(file))}, header=true, all_varchar=true, auto_detect=true)"


def _columns(con: duckdb.DuckDBPyConnection, view: str) -> list[tuple[str, str]]:
    return [(str(r[0]), str(r[1])) for r in con.execute(f"describe {view}").fetchall()]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _text(value: object) -> str | None:
    """Values are reported as text (evidence records carry no floats)."""
    return None if value is None else str(value)


def diff_table(
    file_a: Path | None,
    file_b: Path | None,
    source: TableSource,
    examples: int,
    *,
    fingerprints: bool = True,
) -> dict[str, Any]:
    """Rows only in A, only in B, and changed rows (with the changed columns) by the key.

    Either file may be None (the artifact exists on one side only). Counts are exact; at most
    ``examples`` example rows of each kind are given, ordered by the key."""
    out: dict[str, Any] = {
        "name": source.name,
        "path": source.path,
        "origin": source.origin,
        "format": source.fmt,
        "key": list(source.key),
    }
    con = duckdb.connect()
    links = tempfile.TemporaryDirectory(prefix="omphalos-certify-")
    try:
        cols: dict[str, list[tuple[str, str]]] = {}
        for side, file in (("a", file_a), ("b", file_b)):
            if file is not None:
                if any(c in str(file) for c in "*?[{"):
                    # DuckDB would read the name as a glob pattern: go through a plain-named link
                    link = Path(links.name) / f"{side}.{source.fmt}"
                    os.symlink(file.resolve(), link)
                    file = link
                con.execute(f"create view {side} as select * from {_reader(file, source.fmt)}")
                cols[side] = _columns(con, side)
        if "a" not in cols or "b" not in cols:
            side = "a" if "a" in cols else "b"
            out["rows_a"] = _scalar(con, "select count(*) from a") if side == "a" else 0
            out["rows_b"] = _scalar(con, "select count(*) from b") if side == "b" else 0
            out["only_in_a"] = {"count": out["rows_a"], "examples": []}
            out["only_in_b"] = {"count": out["rows_b"], "examples": []}
            out["changed"] = {"count": 0, "columns": {}, "examples": []}
            return out
        _diff_both(con, cols["a"], cols["b"], source, examples, fingerprints, out)
        return out
    finally:
        con.close()
        links.cleanup()


def _order_by(key: Sequence[str], fmt: str, prefix: str) -> str:
    """ORDER BY the key; CSV values are text, so numeric-looking keys sort as numbers first."""
    if fmt == "csv":
        return ", ".join(
            f"try_cast({prefix}{_q(k)} as hugeint) asc nulls last, {prefix}{_q(k)} asc nulls last"
            for k in key
        )
    return ", ".join(f"{prefix}{_q(k)} asc nulls last" for k in key)


def _diff_both(
    con: duckdb.DuckDBPyConnection,
    cols_a: list[tuple[str, str]],
    cols_b: list[tuple[str, str]],
    source: TableSource,
    examples: int,
    fingerprints: bool,
    out: dict[str, Any],
) -> None:
    types_a, types_b = dict(cols_a), dict(cols_b)
    names_a = [c for c, _ in cols_a]
    out["rows_a"] = _scalar(con, "select count(*) from a")
    out["rows_b"] = _scalar(con, "select count(*) from b")
    out["columns_only_in_a"] = [c for c in names_a if c not in types_b]
    out["columns_only_in_b"] = [c for c, _ in cols_b if c not in types_a]
    out["column_type_changes"] = [
        {"column": c, "a": types_a[c], "b": types_b[c]}
        for c in names_a
        if c in types_b and types_a[c] != types_b[c]
    ]
    missing_key = [k for k in source.key if k not in types_a or k not in types_b]
    if missing_key or not source.key:
        out["error"] = f"key column(s) {missing_key or '(none declared)'} missing; rows not matched"
        return

    key = list(source.key)
    common = [c for c in names_a if c in types_b]
    values = [c for c in common if c not in key]
    key_struct = ", ".join(_q(k) for k in key)
    for side in ("a", "b"):
        dups = _scalar(
            con,
            f"select count(*) from (select {key_struct} from {side} group by all having count(*) > 1)",
        )
        out[f"duplicate_keys_{side}"] = dups

    on = " and ".join(f"a.{_q(k)} is not distinct from b.{_q(k)}" for k in key)
    order = _order_by(key, source.fmt, "")

    def differs(c: str) -> str:
        if types_a[c] == types_b[c]:
            return f"a.{_q(c)} is distinct from b.{_q(c)}"
        return f"cast(a.{_q(c)} as varchar) is distinct from cast(b.{_q(c)} as varchar)"

    for side, other, label in (("a", "b", "only_in_a"), ("b", "a", "only_in_b")):
        side_cols = names_a if side == "a" else [c for c, _ in cols_b]
        anti = f"select {side}.* from {side} anti join {other} on " + " and ".join(
            f"{side}.{_q(k)} is not distinct from {other}.{_q(k)}" for k in key
        )
        count = _scalar(con, f"select count(*) from ({anti})")
        rows = (
            con.execute(
                "select "
                + ", ".join(f"cast({_q(c)} as varchar)" for c in side_cols)
                + f" from ({anti}) order by {order} limit {int(examples)}"
            ).fetchall()
            if count and examples > 0
            else []
        )
        out[label] = {
            "count": count,
            "examples": [
                {
                    "key": {k: _text(r[side_cols.index(k)]) for k in key},
                    "row": {c: _text(v) for c, v in zip(side_cols, r, strict=True)},
                }
                for r in rows
            ],
        }

    if values:
        any_diff = " or ".join(differs(c) for c in values)
        per_column = ", ".join(f"count(*) filter (where {differs(c)})" for c in values)
        row = con.execute(
            f"select count(*) filter (where {any_diff}), {per_column} from a join b on {on}"
        ).fetchone()
        assert row is not None
        changed = int(row[0])
        by_column = {c: int(n) for c, n in zip(values, row[1:], strict=True) if n}
        example_rows = (
            con.execute(
                "select "
                + ", ".join(f"cast(a.{_q(k)} as varchar)" for k in key)
                + ", "
                + ", ".join(
                    f"cast(a.{_q(c)} as varchar), cast(b.{_q(c)} as varchar), {differs(c)}"
                    for c in values
                )
                + f" from a join b on {on} where {any_diff} order by "
                + _order_by(key, source.fmt, "a.")
                + f" limit {int(examples)}"
            ).fetchall()
            if changed and examples > 0
            else []
        )
    else:
        changed, by_column, example_rows = 0, {}, []
    examples_out = []
    for r in example_rows:
        changes = []
        for i, c in enumerate(values):
            va, vb, is_diff = r[len(key) + 3 * i : len(key) + 3 * i + 3]
            if is_diff:
                changes.append({"column": c, "a": _text(va), "b": _text(vb)})
        examples_out.append(
            {
                "key": {k: _text(v) for k, v in zip(key, r[: len(key)], strict=True)},
                "changes": changes,
            }
        )
    out["changed"] = {"count": changed, "columns": by_column, "examples": examples_out}
    if source.fmt == "parquet":
        if not _rows_equal(out):
            out["logical_equal"] = False  # the rows differ, so the fingerprints differ too
        elif fingerprints:
            # The same rows by the key: fingerprints recomputed from both files confirm that the
            # difference is one of encoding only.
            fa = logical_fingerprint_of(con, "a", names_a, key)
            fb = logical_fingerprint_of(con, "b", [c for c, _ in cols_b], key)
            out["logical_sha256_a"] = fa
            out["logical_sha256_b"] = fb
            out["logical_equal"] = fa == fb


# ---------------------------------------------------------------------------------------------
# non-tabular payload: JSON reports, the config text


def _json_leaves(value: object, path: str, out: dict[str, object]) -> None:
    if isinstance(value, dict) and value:
        for k in sorted(value):
            _json_leaves(value[k], f"{path}.{k}", out)
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            _json_leaves(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def diff_json(raw_a: bytes, raw_b: bytes, examples: int) -> dict[str, Any]:
    """Differing leaves of two JSON documents (``$.a.b[2]`` paths): a count and examples."""
    try:
        doc_a, doc_b = loads_strict(raw_a), loads_strict(raw_b)
    except (UnicodeDecodeError, ValueError) as exc:
        return {"error": f"not comparable as JSON ({exc})"}
    leaves_a: dict[str, object] = {}
    leaves_b: dict[str, object] = {}
    _json_leaves(doc_a, "$", leaves_a)
    _json_leaves(doc_b, "$", leaves_b)
    missing = object()
    diffs = [
        {
            "field": p,
            "a": leaves_a.get(p),
            "b": leaves_b.get(p),
            **({"only_in": "a"} if p not in leaves_b else {}),
            **({"only_in": "b"} if p not in leaves_a else {}),
        }
        for p in sorted(set(leaves_a) | set(leaves_b))
        if leaves_a.get(p, missing) != leaves_b.get(p, missing)
        or type(leaves_a.get(p)) is not type(leaves_b.get(p))
    ]
    return {"fields_differing": len(diffs), "examples": diffs[: max(examples, 0)]}


def diff_text(raw_a: bytes, raw_b: bytes, examples: int) -> dict[str, Any]:
    """A unified diff of two small text files, cut to a few lines per example requested."""
    a = raw_a.decode("utf-8", "backslashreplace").splitlines()
    b = raw_b.decode("utf-8", "backslashreplace").splitlines()
    lines = list(difflib.unified_diff(a, b, "a", "b", lineterm="", n=0))
    return {"diff_lines": len(lines), "diff": lines[: max(examples, 0) * 4]}


# ---------------------------------------------------------------------------------------------
# the report


def _tables_of(manifest: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    tables = manifest.get("tables")
    if not isinstance(tables, list):
        return out
    for t in tables:
        if (
            isinstance(t, dict)
            and isinstance(t.get("name"), str)
            and isinstance(t.get("key"), list)
            and all(isinstance(k, str) for k in t["key"])
        ):
            out[t["name"]] = tuple(t["key"])
    return out


def _claimed_logical(manifest: Mapping[str, Any], name: str) -> str | None:
    for t in manifest.get("tables") or []:
        if isinstance(t, dict) and t.get("name") == name:
            value = t.get("logical_sha256")
            return value if isinstance(value, str) else None
    return None


def table_source(path: str, keys: Mapping[str, tuple[str, ...]]) -> TableSource | None:
    """The tabular reading of a payload artifact, or None when it is not a known table."""
    if path == REJECTS_PATH:
        return TableSource(path, "rejects", "rejects", "csv", REJECTS_KEY)
    for prefix, origin in (("exports/", "export"), ("inputs/admitted/", "admitted_input")):
        if not path.startswith(prefix):
            continue
        stem, _, ext = path[len(prefix) :].rpartition(".")
        if "/" in stem or ext not in ("parquet", "csv"):
            return None
        if origin == "export" and stem in keys:
            return TableSource(path, stem, origin, ext, keys[stem])
        if origin == "admitted_input" and stem in SPECS and ext == "parquet":
            return TableSource(path, stem, origin, ext, (SPECS[stem].key,))
    return None


def _flatten(value: object, path: str, out: dict[str, object]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            _flatten(value[k], f"{path}.{k}" if path else k, out)
    elif isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value):
        for v in value:
            _flatten({k: x for k, x in v.items() if k != "name"}, f"{path}[{v['name']}]", out)
    else:
        out[path] = value


def _context_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    fa: dict[str, object] = {}
    fb: dict[str, object] = {}
    for name in CONTEXT_FIELDS:
        _flatten(a.get(name), name, fa)
        _flatten(b.get(name), name, fb)
    return [
        {"field": p, "a": fa.get(p), "b": fb.get(p)}
        for p in sorted(set(fa) | set(fb))
        if fa.get(p) != fb.get(p)
    ]


def _side(manifest: Mapping[str, Any]) -> dict[str, Any]:
    merkle = manifest.get("merkle") if isinstance(manifest.get("merkle"), dict) else {}
    assert isinstance(merkle, dict)
    return {
        "run_id": manifest.get("run_id"),
        "payload_root": merkle.get("payload_root"),
        "all_root": merkle.get("all_root"),
        "metadata_sha256": manifest.get("metadata_sha256"),
    }


def _rows_equal(diff: Mapping[str, Any]) -> bool:
    return (
        "error" not in diff
        and not diff.get("columns_only_in_a")
        and not diff.get("columns_only_in_b")
        and not diff.get("column_type_changes")
        and diff["only_in_a"]["count"] == 0
        and diff["only_in_b"]["count"] == 0
        and diff["changed"]["count"] == 0
        and not diff.get("duplicate_keys_a")
        and not diff.get("duplicate_keys_b")
    )


def compare_runs(
    run_a: Path,
    manifest_a: Mapping[str, Any],
    run_b: Path,
    manifest_b: Mapping[str, Any],
    *,
    examples: int = 5,
) -> dict[str, Any]:
    """The difference report (``omphalos.certify_report/1``) of two *verified* runs."""
    arts_a = {a["path"]: a for a in manifest_a.get("artifacts") or []}
    arts_b = {a["path"]: a for a in manifest_b.get("artifacts") or []}
    keys = {**_tables_of(manifest_b), **_tables_of(manifest_a)}
    substantive: list[dict[str, Any]] = []
    procedural: list[dict[str, Any]] = []
    table_diffs: list[dict[str, Any]] = []
    warnings: list[str] = []

    for path in sorted(set(arts_a) | set(arts_b), key=_path_key):
        a, b = arts_a.get(path), arts_b.get(path)
        if (
            a is not None
            and b is not None
            and a["sha256"] == b["sha256"]
            and a["size"] == b["size"]
        ):
            continue
        role, kind = classify(path)
        change = "only_in_a" if b is None else "only_in_b" if a is None else "modified"
        entry: dict[str, Any] = {
            "path": path,
            "role": role,
            "kind": kind,
            "change": change,
            "a": None if a is None else {"sha256": a["sha256"], "size": a["size"]},
            "b": None if b is None else {"sha256": b["sha256"], "size": b["size"]},
        }
        if role != PAYLOAD:
            procedural.append(entry)
            continue
        source = table_source(path, keys)
        file_a = run_a / path if a is not None else None
        file_b = run_b / path if b is not None else None
        if source is not None:
            diff = diff_table(file_a, file_b, source, examples)
            if source.origin == "export" and source.fmt == "parquet":
                for side, manifest in (("a", manifest_a), ("b", manifest_b)):
                    claimed = _claimed_logical(manifest, source.name)
                    diff[f"claimed_logical_sha256_{side}"] = claimed
                    actual = diff.get(f"logical_sha256_{side}")
                    if claimed is not None and actual is not None and claimed != actual:
                        warnings.append(
                            f"{path}: run {side.upper()}'s manifest claims logical_sha256 "
                            f"{claimed}, its rows give {actual}"
                        )
            table_diffs.append(diff)
            entry["table"] = source.name
            entry["detail"] = _table_detail(diff)
            if change == "modified" and _rows_equal(diff):
                entry["reason"] = (
                    "encoding only: the same rows by the declared key"
                    + (" (equal logical fingerprint)" if diff.get("logical_equal") else "")
                    + ", different bytes"
                )
                procedural.append(entry)
                continue
        elif change == "modified" and path.endswith(".json"):
            entry["json_diff"] = diff_json(
                (run_a / path).read_bytes(), (run_b / path).read_bytes(), examples
            )
            entry["detail"] = (
                f"{entry['json_diff'].get('fields_differing', '?')} JSON field(s) differ"
            )
        elif change == "modified" and path.startswith("config/"):
            entry["text_diff"] = diff_text(
                (run_a / path).read_bytes(), (run_b / path).read_bytes(), examples
            )
            entry["detail"] = f"{entry['text_diff']['diff_lines']} diff line(s)"
        substantive.append(entry)

    side_a, side_b = _side(manifest_a), _side(manifest_b)
    verdict = "equivalent" if side_a["payload_root"] == side_b["payload_root"] else "different"
    report: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA,
        "runs": {"a": side_a, "b": side_b},
        "verdict": verdict,
        "examples_limit": examples,
        "substantive": substantive,
        "procedural": procedural,
        "tables": table_diffs,
        "context": _context_differences(manifest_a, manifest_b),
        "warnings": warnings,
    }
    report["summary"] = summarize(report)
    return report


def _columns_text(changed: Mapping[str, Any], limit: int = 6) -> str:
    counts: Mapping[str, int] = changed["columns"]
    cols = sorted(counts, key=lambda c: (-counts[c], c))
    every = all(counts[c] == changed["count"] for c in cols)
    shown = [c if every else f"{c} {counts[c]}" for c in cols[:limit]]
    more = f", +{len(cols) - limit} more" if len(cols) > limit else ""
    return ", ".join(shown) + more


def _table_detail(diff: Mapping[str, Any]) -> str:
    if "error" in diff:
        return str(diff["error"])
    parts = []
    if diff["only_in_a"]["count"]:
        parts.append(f"{diff['only_in_a']['count']} row(s) only in A")
    if diff["only_in_b"]["count"]:
        parts.append(f"{diff['only_in_b']['count']} row(s) only in B")
    changed = diff["changed"]
    if changed["count"]:
        parts.append(f"{changed['count']} changed (columns: {_columns_text(changed)})")
    for side in ("a", "b"):
        if diff.get(f"columns_only_in_{side}"):
            cols = ", ".join(diff[f"columns_only_in_{side}"])
            parts.append(f"column(s) only in {side.upper()}: {cols}")
    if diff.get("column_type_changes"):
        parts.append(f"{len(diff['column_type_changes'])} column type change(s)")
    for side in ("a", "b"):
        if diff.get(f"duplicate_keys_{side}"):
            parts.append(f"{diff[f'duplicate_keys_{side}']} duplicated key(s) in {side.upper()}")
    if not parts:
        return "same rows by the declared key"
    return ", ".join(parts)


def _first_keys(diff: Mapping[str, Any]) -> str:
    """``; e.g. shipment_id=S1`` from the examples, for the plain-language summary."""
    seen: list[str] = []
    for label in ("changed", "only_in_a", "only_in_b"):
        for ex in diff.get(label, {}).get("examples", []):
            text = ",".join(f"{k}={v}" for k, v in ex["key"].items())
            if text not in seen:
                seen.append(text)
    return f"; e.g. {', '.join(seen[:3])}" if seen else ""


_SUMMARY_ORDER = ("config/", "inputs/", "exports/", "reports/")


def _summary_rank(path: str) -> tuple[int, bytes]:
    for i, prefix in enumerate(_SUMMARY_ORDER):
        if path.startswith(prefix):
            return i, _path_key(path)
    return len(_SUMMARY_ORDER), _path_key(path)


#: Folders whose differing files are counted, not listed, in a short summary (one packet per
#: entity: a threshold change touches hundreds).
GROUPED_FOLDERS = ("exports/packets/",)


def summarize(report: Mapping[str, Any], verbose: bool = True) -> str:
    """A short plain-language account of the report: causes (config, inputs) first. Without
    ``verbose`` the files of GROUPED_FOLDERS are one line with their count."""
    lines = []
    grouped: dict[str, int] = {}
    subs = report["substantive"]
    procs = report["procedural"]
    encoding = [p for p in procs if "reason" in p]
    runs = report["runs"]
    tables = {t["path"]: t for t in report["tables"]}
    if report["verdict"] == "equivalent":
        lines.append(
            f"EQUIVALENT: payload_root {runs['a']['payload_root']} on both sides; "
            "0 substantive differences"
        )
    else:
        n = len(subs)
        head = f"DIFFERENT: {n} substantive difference{'' if n == 1 else 's'} in payload files"
        if not subs and encoding:
            head += " (the payload differs only in encoding: the same rows, different bytes)"
        lines.append(head + (":" if subs else ""))
    details = {s["path"]: s.get("detail") for s in subs}
    for s in sorted(subs, key=lambda e: _summary_rank(e["path"])):
        path = s["path"]
        folder = next((f for f in GROUPED_FOLDERS if path.startswith(f)), None)
        if folder is not None and not verbose:
            grouped[folder] = grouped.get(folder, 0) + 1
            continue
        detail = (
            s.get("detail")
            or {
                "only_in_a": "only in A",
                "only_in_b": "only in B",
                "modified": "bytes differ",
            }[s["change"]]
        )
        if path.endswith(".csv") and details.get(path[: -len(".csv")] + ".parquet") == detail:
            continue  # the CSV twin of a Parquet export with the same differences
        twin = path[: -len(".parquet")] + ".csv" if path.endswith(".parquet") else None
        label = path + (" (and .csv)" if twin is not None and details.get(twin) == detail else "")
        example = _first_keys(tables[path]) if path in tables else ""
        lines.append(f"  {label}: {detail}{example}")
    for folder, count in sorted(grouped.items()):
        lines.append(f"  {folder}: {count} file(s) differ (--verbose or --json lists them)")
    for p in encoding:
        lines.append(f"  {p['path']}: {p['reason']}")
    other = [p for p in procs if "reason" not in p]
    if other:
        kinds: dict[str, int] = {}
        for p in other:
            kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
        shown = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        lines.append(f"procedural (not substantive): {len(other)} file(s) differ ({shown})")
    ctx = report.get("context") or []
    if ctx:
        fields = ", ".join(c["field"] for c in ctx[:6]) + (", ..." if len(ctx) > 6 else "")
        lines.append(f"context (manifest fields that differ, not compared as payload): {fields}")
    for w in report.get("warnings") or []:
        lines.append(f"WARNING: {w}")
    return "\n".join(lines)
