"""Changes between two versions of a registry: entities added, removed and renamed (same entity id,
primary name changed), entities whose kind, countries or programs changed, and names added or
removed per entity (for entities in both versions). Computed in DuckDB over the CSV files; every
list is sorted (natural entity id order, then name), so the report is deterministic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from omphalos.evidence.canonical import loads_strict
from omphalos.registry.model import (
    ENTITIES_FILE,
    ENTITY_COLUMNS,
    NAME_COLUMNS,
    NAMES_FILE,
    SOURCE_FILE,
    RegistryError,
)

__all__ = ["diff_registries", "render_diff"]

_COMPARED = ("entity_kind", "countries", "programs")
_ORDER = (
    "regexp_replace(entity_id, '[0-9]+$', ''), "
    "try_cast(regexp_extract(entity_id, '([0-9]+)$', 1) as bigint) nulls first, entity_id"
)


def _csv(path: Path, columns: tuple[str, ...]) -> str:
    if not path.is_file():
        raise RegistryError(f"{path}: not found")
    cols = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
    literal = os.fspath(path).replace("'", "''")
    return (
        f"read_csv('{literal}', header = true, delim = ',', quote = '\"', escape = '\"', "
        f"columns = {{{cols}}}, auto_detect = false)"
    )


def _describe(folder: Path, entities: int) -> dict[str, Any]:
    out: dict[str, Any] = {"dir": os.fspath(folder), "entities": entities, "lists": []}
    path = folder / SOURCE_FILE
    if path.is_file():
        try:
            doc = loads_strict(path.read_bytes())
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            out["lists"] = [
                {"source_list": s.get("source_list"), "list_date": s.get("list_date")}
                for s in doc.get("sources", [])
                if isinstance(s, dict)
            ]
    return out


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    rel = con.sql(sql)
    names = rel.columns
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def diff_registries(old: Path, new: Path) -> dict[str, Any]:
    """Compare two registry folders; returns the report as a JSON-ready dict."""
    con = duckdb.connect()
    try:
        for side, folder in (("old", old), ("new", new)):
            con.execute(
                f"create temp table {side}_e as select * from "
                f"{_csv(folder / ENTITIES_FILE, ENTITY_COLUMNS)}"
            )
            con.execute(
                f"create temp table {side}_n as select entity_id, name, name_type from "
                f"{_csv(folder / NAMES_FILE, NAME_COLUMNS)}"
            )
            dupes = con.sql(
                f"select entity_id from {side}_e group by entity_id having count(*) > 1 "
                "order by entity_id limit 5"
            ).fetchall()
            if dupes:
                raise RegistryError(
                    f"{folder / ENTITIES_FILE}: duplicate entity_id "
                    + ", ".join(str(d[0]) for d in dupes)
                )
        counts = {
            side: int(con.sql(f"select count(*) from {side}_e").fetchall()[0][0])
            for side in ("old", "new")
        }
        added = _rows(
            con,
            "select entity_id, source_list, entity_kind, primary_name from new_e "
            f"where entity_id not in (select entity_id from old_e) order by {_ORDER}",
        )
        removed = _rows(
            con,
            "select entity_id, source_list, entity_kind, primary_name from old_e "
            f"where entity_id not in (select entity_id from new_e) order by {_ORDER}",
        )
        renamed = _rows(
            con,
            "select entity_id, o.primary_name as old_name, n.primary_name as new_name "
            "from old_e o join new_e n using (entity_id) "
            f"where o.primary_name is distinct from n.primary_name order by {_ORDER}",
        )
        changed = _rows(
            con,
            "select entity_id, "
            "o.entity_kind as old_entity_kind, n.entity_kind as new_entity_kind, "
            "o.countries as old_countries, n.countries as new_countries, "
            "o.programs as old_programs, n.programs as new_programs "
            "from old_e o join new_e n using (entity_id) "
            "where o.entity_kind is distinct from n.entity_kind "
            "or o.countries is distinct from n.countries "
            f"or o.programs is distinct from n.programs order by {_ORDER}",
        )
        for row in changed:
            row["fields"] = [f for f in _COMPARED if row[f"old_{f}"] != row[f"new_{f}"]]
        con.execute(
            "create temp table both_ids as "
            "select entity_id from old_e intersect select entity_id from new_e"
        )
        names_added = _rows(
            con,
            "select entity_id, name, name_type from "
            "(select * from new_n where entity_id in (select entity_id from both_ids) "
            " except select * from old_n) "
            f"order by {_ORDER}, name, name_type",
        )
        names_removed = _rows(
            con,
            "select entity_id, name, name_type from "
            "(select * from old_n where entity_id in (select entity_id from both_ids) "
            " except select * from new_n) "
            f"order by {_ORDER}, name, name_type",
        )
    except duckdb.Error as exc:
        raise RegistryError(f"cannot read the registry CSV files: {exc}") from exc
    finally:
        con.close()
    return {
        "old": _describe(old, counts["old"]),
        "new": _describe(new, counts["new"]),
        "counts": {
            "added": len(added),
            "removed": len(removed),
            "renamed": len(renamed),
            "changed": len(changed),
            "names_added": len(names_added),
            "names_removed": len(names_removed),
            "entities_with_names_added": len({r["entity_id"] for r in names_added}),
            "entities_with_names_removed": len({r["entity_id"] for r in names_removed}),
        },
        "added": added,
        "removed": removed,
        "renamed": renamed,
        "changed": changed,
        "names_added": names_added,
        "names_removed": names_removed,
    }


def _lists(side: dict[str, Any]) -> str:
    lists = ", ".join(f"{x['source_list']} {x['list_date']}" for x in side.get("lists", []))
    return f"{side['dir']} ({lists or 'lists unknown'}; {side['entities']} entities)"


def render_diff(report: dict[str, Any], limit: int | None = None) -> str:
    """The report as text: a summary, then one line per change (``+`` added, ``-`` removed,
    ``~`` renamed, ``*`` changed, ``n+``/``n-`` name added/removed); ``limit`` caps each section."""
    c = report["counts"]
    lines = [
        f"old: {_lists(report['old'])}",
        f"new: {_lists(report['new'])}",
        f"entities: {c['added']} added, {c['removed']} removed, {c['renamed']} renamed, "
        f"{c['changed']} with kind/countries/programs changed",
        f"names: {c['names_added']} added (in {c['entities_with_names_added']} entities), "
        f"{c['names_removed']} removed (in {c['entities_with_names_removed']} entities)",
    ]

    def section(title: str, rows: list[dict[str, Any]], fmt: Any) -> None:
        if not rows:
            return
        lines.append("")
        lines.append(f"{title} ({len(rows)}):")
        shown = rows if limit is None else rows[:limit]
        lines.extend(fmt(r) for r in shown)
        if len(shown) < len(rows):
            lines.append(f"  ... {len(rows) - len(shown)} more (--limit)")

    section(
        "added",
        report["added"],
        lambda r: f"+ {r['entity_id']}  {r['entity_kind']}  {r['primary_name']}",
    )
    section(
        "removed",
        report["removed"],
        lambda r: f"- {r['entity_id']}  {r['entity_kind']}  {r['primary_name']}",
    )
    section(
        "renamed",
        report["renamed"],
        lambda r: f"~ {r['entity_id']}  {r['old_name']}  ->  {r['new_name']}",
    )
    section(
        "changed",
        report["changed"],
        lambda r: (
            f"* {r['entity_id']}  "
            + ", ".join(f"{f}: {r['old_' + f]} -> {r['new_' + f]}" for f in r["fields"])
        ),
    )
    section(
        "names added",
        report["names_added"],
        lambda r: f"n+ {r['entity_id']}  {r['name_type']}  {r['name']}",
    )
    section(
        "names removed",
        report["names_removed"],
        lambda r: f"n- {r['entity_id']}  {r['name_type']}  {r['name']}",
    )
    return "\n".join(lines)
