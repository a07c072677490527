"""The certify page: a self-contained HTML page for a certify difference report
(``omphalos.certify_report/1``, docs/evidence.md), beside its JSON (``templates/certify.html.j2``).

It depends only on the report, so it is deterministic as the report is; same CSP and no-network
rules as the run report (``templates/page.html.j2``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omphalos.presentation.templating import asset, html_env

__all__ = ["render_certify_html", "write_certify_html"]

SCHEMA = "omphalos.certify_report/1"


def _value_text(value: object) -> object:
    """A JSON object or list as one line of JSON; anything else as it is."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def _key_text(key: object) -> str:
    if isinstance(key, Mapping):
        return ", ".join(f"{k}={v}" for k, v in key.items())
    return str(key)


def _change_rows(changed: Mapping[str, Any]) -> list[tuple[str, object, object, object]]:
    """(key, column, A, B) for every changed value of the examples."""
    return [
        (_key_text(ex.get("key")), ch.get("column"), ch.get("a"), ch.get("b"))
        for ex in changed.get("examples") or []
        for ch in ex.get("changes") or []
    ]


def _by_count(columns: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Changed columns, most changed first (ties by name)."""
    return sorted(columns.items(), key=lambda kv: (-int(kv[1]), kv[0]))


def _mapping_or_none(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def render_certify_html(report: Mapping[str, Any]) -> str:
    """A self-contained page for a certify difference report: what differs, where, and whether
    it is substantive or procedural."""
    version = report.get("schema_version")
    if version != SCHEMA:
        raise ValueError(f"unknown certify report schema_version {version!r}")
    runs = report.get("runs") or {}
    warnings = report.get("warnings") or []
    nav = [
        ("verdict", "Verdict"),
        ("substantive", "Substantive"),
        ("procedural", "Procedural"),
        ("context", "Context"),
    ] + ([("warnings", "Warnings")] if warnings else [])
    env = html_env()
    template = env.get_template("certify.html.j2")
    return template.render(
        report=report,
        version=version,
        ra=runs.get("a") or {},
        rb=runs.get("b") or {},
        subs=list(report.get("substantive") or []),
        procs=list(report.get("procedural") or []),
        tables={t.get("path"): t for t in report.get("tables") or [] if isinstance(t, Mapping)},
        context=report.get("context") or [],
        warnings=warnings,
        nav=nav,
        asset=asset,
        value_text=_value_text,
        change_rows=_change_rows,
        by_count=_by_count,
        mapping_or_none=_mapping_or_none,
    )


def write_certify_html(report: Mapping[str, Any], out: Path) -> Path:
    """Write ``render_certify_html(report)`` to ``out`` and return it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_certify_html(report).encode("utf-8"))
    return out
