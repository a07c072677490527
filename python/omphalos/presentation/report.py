"""The run report a reviewer reads: one self-contained HTML page per run (docs/report.md).

``write_report(run_dir)`` writes ``reports/index.html`` inside the run before it is sealed. It is
a payload file, so it is deterministic: the same inputs and config give the same bytes (no clock,
no run id, no absolute path, no Merkle root: the root that seals the page cannot be in it). It
answers from the run's own files: what was admitted and rejected, which rules and thresholds
governed matching and where they are stated, which outputs are for consumption, which are
intermediate and which need human review, with charts (inline SVG drawn here, no library) and the
top of the review queue with both names side by side.

``write_report(run_dir, verification=verify_run(run_dir).to_dict(), out=FILE)`` renders the same
page for a sealed run with its verification status, run id and Merkle roots, to a file outside
the run (``omphalos report``). ``render_certify_html`` renders a certify difference report.

Every page is inline HTML, CSS, SVG and a few lines of script under a Content-Security-Policy that
forbids any network access; it opens offline from disk.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import math
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from omphalos.canonical import loads_strict, sha256_file
from omphalos.manifest import MANIFEST_NAME, classify
from omphalos.paths import SealedRunPathError, refuse_inside_sealed_run
from omphalos.presentation.packets import (
    EVIDENCE_COLUMNS,
    MAX_PACKETS,
    PACKETS_DIR,
    STATED_IN,
    Rules,
    RunFiles,
    candidate_view,
    evidence_from_columns,
    input_digests,
    load_rules,
    packet_stem,
    rule_lines,
    select_packet_entities,
)

__all__ = [
    "REPORT_PATH",
    "REVIEW_LIMIT",
    "add_arguments",
    "main_from_args",
    "render_certify_html",
    "render_report",
    "write_certify_html",
    "write_report",
]

REPORT_PATH = "reports/index.html"
#: Review-queue candidates shown on the page (the rest are in the exports and packets).
REVIEW_LIMIT = 100
#: Rejected rows shown on the page (all are in inputs/rejects.csv).
REJECTS_LIMIT = 50
#: Where the run's reporting models are exported (omphalos.run.REPORTING_MODELS).
REPORTING_DIR = "exports/reporting"

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

STATUS_CLASS = {"MATCH": "s-match", "REVIEW": "s-review", "NO_MATCH": "s-nomatch"}


def esc(value: object) -> str:
    """Text for HTML (``—`` for null)."""
    if value is None or value == "":
        return "—"
    return html.escape(str(value), quote=True)


def _num(value: object) -> str:
    if value is None:
        return "—"
    try:
        return f"{int(str(value)):,}"
    except ValueError:
        return esc(value)


def _dec(value: object) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def money_short(value: object) -> str:
    """``$1.23M`` style, from exact decimal text (deterministic)."""
    d = _dec(value)
    for limit, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10**3), "k")):
        if abs(d) >= limit:
            return f"${d / limit:,.2f}{suffix}"
    return f"${d:,.2f}"


def money(value: object) -> str:
    if value is None:
        return "—"
    return f"{_dec(value):,.2f}"


def _short_hash(digest: object) -> str:
    text = str(digest or "")
    return (
        f'<code class="hash" title="{esc(text)}">{esc(text[:12])}…</code>'
        if len(text) > 12
        else f"<code>{esc(text)}</code>"
    )


# ---------------------------------------------------------------------------------------------
# inline SVG charts


@dataclasses.dataclass(frozen=True)
class Segment:
    value: float
    css: str
    tip: str


@dataclasses.dataclass(frozen=True)
class Bar:
    label: str
    segments: tuple[Segment, ...]
    note: str
    tip: str = ""


def _f(x: float) -> str:
    return f"{x:.1f}"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def hbar_chart(
    bars: Sequence[Bar],
    *,
    label: str,
    axis: str,
    tick_format: Any = None,
    label_w: int = 300,
    bar_w: int = 420,
    note_w: int = 200,
    row_h: int = 22,
    scale_max: float | None = None,
) -> str:
    """Horizontal (stacked) bars with labels on the left and a note on the right."""
    width = label_w + bar_w + note_w
    top = 6
    height = top + len(bars) * row_h + 34
    total_max = scale_max or max((sum(s.value for s in b.segments) for b in bars), default=0.0)
    total_max = total_max or 1.0
    fmt = tick_format or (lambda v: f"{v:,.0f}")
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{esc(label)}">'
    ]
    axis_y = top + len(bars) * row_h + 2
    for i in range(5):
        v = total_max * i / 4
        x = label_w + bar_w * i / 4
        parts.append(
            f'<line class="grid" x1="{_f(x)}" y1="{top}" x2="{_f(x)}" y2="{axis_y}"/>'
            f'<text class="tick" x="{_f(x)}" y="{axis_y + 13}" text-anchor="middle">'
            f"{esc(fmt(v))}</text>"
        )
    parts.append(
        f'<text class="axis" x="{label_w + bar_w / 2:.1f}" y="{axis_y + 28}" '
        f'text-anchor="middle">{esc(axis)}</text>'
    )
    for i, b in enumerate(bars):
        y = top + i * row_h
        parts.append(f"<g><title>{esc(b.tip or b.label)}</title>")
        parts.append(
            f'<text class="lbl" x="{label_w - 8}" y="{y + row_h * 0.68:.1f}" '
            f'text-anchor="end">{esc(_clip(b.label, max(8, (label_w - 12) // 7)))}</text>'
        )
        x = float(label_w)
        for s in b.segments:
            w = bar_w * s.value / total_max
            if w <= 0:
                continue
            parts.append(
                f'<rect class="{s.css}" x="{_f(x)}" y="{y + 3}" width="{max(w, 0.8):.1f}" '
                f'height="{row_h - 6}"><title>{esc(s.tip)}</title></rect>'
            )
            x += w
        parts.append(
            f'<text class="note" x="{label_w + bar_w + 8}" y="{y + row_h * 0.68:.1f}">'
            f"{esc(b.note)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _nice_ticks(maximum: int, count: int = 4) -> list[int]:
    if maximum <= 0:
        return [0]
    raw = maximum / count
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return list(range(0, maximum + 1, int(step)))


def score_histogram(
    bins: Mapping[int, Mapping[str, int]],
    *,
    lo: int,
    thresholds: Sequence[tuple[Decimal, str, str]],
) -> str:
    """Stacked histogram of candidate scores in bins of 0.01 from ``lo``/100 to 1.00, square-root
    count scale, with each threshold drawn as a labelled vertical line."""
    hi = 100
    n = hi - lo + 1
    left, right, top, bottom = 56, 16, 30, 48
    bin_w = max(8, min(26, 780 // max(n, 1)))
    width = left + n * bin_w + right
    plot_h = 240
    height = top + plot_h + bottom
    totals = {b: sum(v.values()) for b, v in bins.items()}
    peak = max(totals.values(), default=0)

    def y_of(count: float) -> float:
        return top + plot_h - (plot_h * math.sqrt(count / peak) if peak else 0.0)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="Distribution of candidate scores with the thresholds">'
    ]
    for t in _nice_ticks(peak):
        y = y_of(t)
        parts.append(
            f'<line class="grid" x1="{left}" y1="{_f(y)}" x2="{width - right}" y2="{_f(y)}"/>'
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{t:,}</text>'
        )
    for i in range(n):
        b = lo + i
        x = left + i * bin_w
        counts = bins.get(b, {})
        base = 0
        tip_parts = [f"{s} {counts[s]:,}" for s in ("MATCH", "REVIEW", "NO_MATCH") if counts.get(s)]
        tip = f"score {b / 100:.2f} to {(b + 1) / 100:.2f}: " + (", ".join(tip_parts) or "none")
        parts.append(f"<g><title>{esc(tip)}</title>")
        for s in ("NO_MATCH", "REVIEW", "MATCH"):
            c = counts.get(s, 0)
            if not c:
                continue
            y1, y0 = y_of(base + c), y_of(base)
            parts.append(
                f'<rect class="{STATUS_CLASS[s]}" x="{x + 1}" y="{_f(y1)}" width="{bin_w - 2}" '
                f'height="{max(y0 - y1, 0.8):.1f}"/>'
            )
            base += c
        parts.append("</g>")
        if b % 5 == 0:
            parts.append(
                f'<text class="tick" x="{x}" y="{top + plot_h + 14}" text-anchor="middle">'
                f"{b / 100:.2f}</text>"
            )
    for value, name, css in thresholds:
        tx = left + (float(value) * 100 - lo) * bin_w
        parts.append(
            f'<line class="thr {css}" x1="{_f(tx)}" y1="{top - 8}" x2="{_f(tx)}" '
            f'y2="{top + plot_h}"/><text class="thr-lbl {css}" x="{tx + 4:.1f}" y="{top - 12}">'
            f"{esc(name)} {value}</text>"
        )
    parts.append(
        f'<text class="axis" x="{left + n * bin_w / 2:.1f}" y="{height - 10}" '
        'text-anchor="middle">candidate score (bins of 0.01)</text>'
        f'<text class="axis" transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" '
        'text-anchor="middle">candidates (square-root scale)</text></svg>'
    )
    return "".join(parts)


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    cells: Mapping[tuple[str, str], tuple[Decimal, int]],
    *,
    label: str,
    col_label: Any = None,
) -> str:
    """A grid of flagged value: rows x cols, shade by square root of value."""
    cell_w, cell_h, left, top = 54, 24, 70, 40
    width = left + len(cols) * cell_w + 10
    height = top + len(rows) * cell_h + 10
    peak = max((float(v) for v, _ in cells.values()), default=0.0) or 1.0
    name = col_label or (lambda c: c)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{esc(label)}">'
    ]
    for j, c in enumerate(cols):
        parts.append(
            f'<text class="tick" x="{left + j * cell_w + cell_w / 2:.1f}" y="{top - 10}" '
            f'text-anchor="middle">{esc(name(c))}</text>'
        )
    for i, r in enumerate(rows):
        y = top + i * cell_h
        parts.append(
            f'<text class="lbl" x="{left - 8}" y="{y + cell_h * 0.68:.1f}" text-anchor="end">'
            f"{esc(r)}</text>"
        )
        for j, c in enumerate(cols):
            x = left + j * cell_w
            value, count = cells.get((r, c), (Decimal(0), 0))
            if not count:
                parts.append(
                    f'<rect class="cell-empty" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" '
                    f'height="{cell_h - 2}"/>'
                )
                continue
            level = math.sqrt(float(value) / peak)
            parts.append(
                f"<g><title>{esc(f'{r} / {name(c)}: {money_short(value)} in {count:,} shipment(s)')}"
                f'</title><rect class="cell" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" fill-opacity="{0.12 + 0.88 * level:.3f}"/>'
                f'<text class="cell-txt{" dark" if level > 0.55 else ""}" '
                f'x="{x + cell_w / 2:.1f}" y="{y + cell_h * 0.68:.1f}" text-anchor="middle">'
                f"{esc(money_short(value).replace('$', ''))}</text></g>"
            )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# reading the run


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        obj = loads_strict(path.read_bytes())
    except (UnicodeDecodeError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclasses.dataclass
class RunData:
    rules: Rules
    config_text: str
    inputs: list[dict[str, Any]]
    rejects_by_reason: list[dict[str, Any]]
    rejects_total: int
    rejects_sample: list[dict[str, Any]]
    summary: dict[str, Any]
    status: list[dict[str, Any]]
    histogram: dict[int, dict[str, int]]
    exposure: list[dict[str, Any]]
    exposure_total: int
    flows: dict[str, Any]
    review: list[dict[str, Any]]
    review_total: int
    packets: list[dict[str, Any]]
    packets_eligible: int
    files: list[dict[str, Any]]
    tables: dict[str, int]


def _payload_files(run_dir: Path, exclude: set[str]) -> list[dict[str, Any]]:
    """Payload files present now (before sealing), packets summarized as one folder entry."""
    out: list[dict[str, Any]] = []
    packets = 0
    packets_bytes = 0
    for dirpath, dirnames, filenames in os.walk(run_dir):
        dirnames.sort()
        rel_dir = Path(dirpath).relative_to(run_dir).as_posix()
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel in exclude or rel == MANIFEST_NAME or name.startswith("."):
                continue
            role, kind = classify(rel)
            if role != "payload":
                continue
            if rel.startswith(PACKETS_DIR + "/"):
                packets += 1
                packets_bytes += (run_dir / rel).stat().st_size
                continue
            digest, size = sha256_file(run_dir / rel)
            out.append({"path": rel, "size": size, "sha256": digest, "kind": kind})
    out.sort(key=lambda f: str(f["path"]).encode("utf-8"))
    if packets:
        out.append(
            {
                "path": PACKETS_DIR + "/",
                "size": packets_bytes,
                "sha256": None,
                "kind": f"{packets} packet files",
            }
        )
    return out


def _gather(run_dir: Path, review_limit: int, exclude: set[str], *, hash_files: bool) -> RunData:
    files = RunFiles(run_dir)
    admission = _read_json(run_dir / "reports" / "admission.json")
    summary = _read_json(run_dir / "reports" / "summary.json")
    config_path = run_dir / "config" / "run_config.yaml"
    config_text = (
        config_path.read_bytes().decode("utf-8", "replace") if config_path.is_file() else ""
    )
    tables: dict[str, int] = {}
    for name in ("entity_matches", "entity_scores", "review_queue"):
        if files.has(f"exports/{name}.parquet"):
            tables[name] = pq.ParquetFile(run_dir / "exports" / f"{name}.parquet").metadata.num_rows

    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        rejects_total, rejects_sample = 0, []
        if files.has("inputs/rejects.csv") and (run_dir / "inputs/rejects.csv").stat().st_size:
            con.execute(
                "create view rj as select * from read_csv("
                + _lit(str(run_dir / "inputs/rejects.csv"))
                + ", header=true, all_varchar=true)"
            )
            rejects_total = int(con.execute("select count(*) from rj").fetchall()[0][0])
            rejects_sample = _rows(
                con,
                'select input, file, "row", "column", reason, value from rj order by input, '
                f'try_cast("row" as bigint), "row", "column", reason limit {REJECTS_LIMIT}',
            )
        has_cand = candidate_view(con, files)
        status: list[dict[str, Any]] = []
        histogram: dict[int, dict[str, int]] = {}
        review: list[dict[str, Any]] = []
        review_total = 0
        packets: list[dict[str, Any]] = []
        eligible = 0
        # the aggregates come from the run's reporting models (models/marts/reporting), exported
        # under exports/reporting/: read, not recomputed
        if files.view(con, "rs", f"{REPORTING_DIR}/rpt_matches_by_status.parquet"):
            status = _rows(
                con,
                "select match_status as status, candidates, entities, shipments from rs "
                "where candidates > 0 order by status_order",
            )
        if files.view(con, "rh", f"{REPORTING_DIR}/rpt_score_histogram.parquet"):
            for b, s, c in con.execute(
                "select score_bin, match_status, candidates from rh order by all"
            ).fetchall():
                histogram.setdefault(int(b), {})[str(s)] = int(c)
        if has_cand:
            review_total = int(
                con.execute(
                    "select count(*) from cand where queue_position is not null"
                ).fetchall()[0][0]
            )
            review = _rows(
                con,
                "select queue_position, match_id, match_status, cast(score as varchar) as score, "
                "cast(priority_score as varchar) as priority_score, shipment_id, party_role, "
                "cast(ship_date as varchar) as ship_date, hs_code, "
                "cast(value_usd as varchar) as value_usd, controlled_goods, party_name, "
                "party_country, party_name_sorted, party_legal_form, entity_id, "
                "entity_primary_name, programs, entity_countries, matched_name, "
                "matched_name_type, registry_name_sorted, registry_legal_form, matched_tokens, "
                "cast(jw_sorted as varchar) as jw_sorted, cast(alignment as varchar) as alignment, "
                "cast(name_score as varchar) as name_score, evidence, "
                + ", ".join(
                    c
                    for c in EVIDENCE_COLUMNS
                    if c not in ("name_score", "alignment", "matched_name_type")
                )
                + " from cand where queue_position is not null order by queue_position "
                f"limit {int(review_limit)}",
            )
            ids, eligible = select_packet_entities(con, MAX_PACKETS)
            counts = {
                str(e): (int(m), int(r), p)
                for e, m, r, p in con.execute(
                    "select entity_id, count(*) filter (where match_status = 'MATCH'), "
                    "count(*) filter (where match_status = 'REVIEW'), min(queue_position) "
                    "from cand where match_status in ('MATCH', 'REVIEW') group by 1"
                ).fetchall()
            }
            names = dict(
                con.execute(
                    "select entity_id, min(entity_primary_name) from cand "
                    "where match_status in ('MATCH', 'REVIEW') group by 1"
                ).fetchall()
            )
            for eid in ids:
                stem = packet_stem(eid)
                if not (run_dir / PACKETS_DIR / f"{stem}.json").is_file():
                    continue
                m, r, p = counts.get(eid, (0, 0, None))
                packets.append(
                    {
                        "entity_id": eid,
                        "name": names.get(eid),
                        "stem": stem,
                        "match": m,
                        "review": r,
                        "first": p,
                    }
                )
        exposure: list[dict[str, Any]] = []
        exposure_total = 0
        if files.view(con, "es", "exports/entity_scores.parquet"):
            exposure_total = int(con.execute("select count(*) from es").fetchall()[0][0])
        if files.view(con, "rt", f"{REPORTING_DIR}/rpt_top_exposed.parquet"):
            exposure = _rows(
                con,
                "select exposure_rank, entity_id, primary_name, programs, "
                "cast(exposure_score as varchar) as exposure_score, "
                "cast(matched_value_usd as varchar) as matched_value_usd, match_shipments, "
                "review_shipments, cast(controlled_share as varchar) as controlled_share, trend "
                "from rt order by exposure_rank",
            )
        flows = _flows(con, files)
    finally:
        con.close()
    return RunData(
        rules=load_rules(run_dir),
        config_text=config_text,
        inputs=input_digests(run_dir),
        rejects_by_reason=[
            r for r in admission.get("rejects_by_reason") or [] if isinstance(r, dict)
        ],
        rejects_total=rejects_total,
        rejects_sample=rejects_sample,
        summary=summary,
        status=status,
        histogram=histogram,
        exposure=exposure,
        exposure_total=exposure_total,
        flows=flows,
        review=review,
        review_total=review_total,
        packets=packets,
        packets_eligible=eligible,
        files=_payload_files(run_dir, exclude) if hash_files else [],
        tables=tables,
    )


def _flows(con: duckdb.DuckDBPyConnection, files: RunFiles) -> dict[str, Any]:
    """Value of shipments with an alert (MATCH, or REVIEW only) by country and HS chapter, as the
    run's reporting models computed it (rpt_alert_flows, rpt_alert_flow_cells, rpt_alert_totals)."""
    if not (
        files.view(con, "rf", f"{REPORTING_DIR}/rpt_alert_flows.parquet")
        and files.view(con, "rc", f"{REPORTING_DIR}/rpt_alert_flow_cells.parquet")
        and files.view(con, "ra", f"{REPORTING_DIR}/rpt_alert_totals.parquet")
    ):
        return {}

    def by(dimension: str) -> list[dict[str, Any]]:
        return _rows(
            con,
            "select flow_key as k, cast(match_value_usd as varchar) as match_value, "
            "cast(review_value_usd as varchar) as review_value, match_shipments, "
            "review_shipments, controlled_goods as controlled from rf "
            f"where dimension = {_lit(dimension)} order by flow_rank",
        )

    totals = con.execute(
        "select feed_shipments, cast(feed_value_usd as varchar), alerted_shipments, "
        "cast(alerted_value_usd as varchar), match_shipments, cast(match_value_usd as varchar) "
        "from ra"
    ).fetchall()[0]
    dest = by("destination")
    chapters = by("chapter")
    top_dest = [str(r["k"]) for r in dest[:10]]
    top_ch = [str(r["k"]) for r in chapters[:10]]
    cells: dict[tuple[str, str], tuple[Decimal, int]] = {
        (str(d), str(c)): (_dec(v), int(n))
        for d, c, v, n in con.execute(
            "select destination_country, hs_chapter, cast(alerted_value_usd as varchar), "
            "alerted_shipments from rc order by all"
        ).fetchall()
    }
    return {
        "feed_shipments": int(totals[0]),
        "feed_value": totals[1],
        "flagged_shipments": int(totals[2]),
        "flagged_value": totals[3],
        "match_shipments": int(totals[4]),
        "match_value": totals[5],
        "origin": by("origin"),
        "destination": dest,
        "chapter": chapters,
        "heat_rows": top_dest,
        "heat_cols": top_ch,
        "heat": cells,
    }


# ---------------------------------------------------------------------------------------------
# HTML


CSS = """
:root{--ink:#1d2733;--muted:#5b6776;--line:#d9dee5;--bg:#f5f7fa;--card:#fff;--accent:#1f4e79;
--match:#b03a2e;--review:#c77c0e;--nomatch:#97a3ae;--ok:#1e7b45;--bad:#b03a2e}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{background:var(--accent);color:#fff;padding:18px 28px 14px}
header.top h1{margin:0;font-size:22px;font-weight:600}
header.top p{margin:4px 0 0;opacity:.9}
nav.toc{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid var(--line);
padding:6px 28px;display:flex;flex-wrap:wrap;gap:4px 14px}
nav.toc a{color:var(--accent);text-decoration:none;font-size:13px}
nav.toc a:hover{text-decoration:underline}
main{max-width:1240px;margin:0 auto;padding:18px 28px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:16px 20px;margin:0 0 18px}
h2{margin:0 0 10px;font-size:18px;color:var(--accent)}
h3{margin:16px 0 6px;font-size:15px}
p.lead{margin:0 0 10px;color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f3f5f8;border:1px solid var(--line);padding:10px;overflow:auto;max-height:340px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:#fbfcfd}
.card .v{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.card .k{color:var(--muted);font-size:12px}
.card.match .v{color:var(--match)}.card.review .v{color:var(--review)}
.badge{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;font-weight:600;
color:#fff}
.badge.MATCH{background:var(--match)}.badge.REVIEW{background:var(--review)}
.badge.NO_MATCH{background:var(--nomatch)}
.badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}.badge.info{background:#56708a}
.verdict{font-size:16px;padding:10px 14px;border-radius:6px;margin:6px 0 12px;color:#fff}
.verdict.ok{background:var(--ok)}.verdict.bad{background:var(--bad)}
.verdict.info{background:#e8eef5;color:var(--ink);border:1px solid #c4d2e1}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
svg.chart{max-width:100%;height:auto;display:block;margin:6px 0 4px}
svg .lbl,svg .note,svg .tick,svg .axis,svg .thr-lbl,svg .cell-txt{font-size:11px;fill:var(--ink)}
svg .tick,svg .axis{fill:var(--muted)}
svg .grid{stroke:#e3e7ec;stroke-width:1}
svg .s-match{fill:var(--match)}svg .s-review{fill:var(--review)}
svg .s-nomatch{fill:var(--nomatch)}svg .s-bar{fill:var(--accent)}
svg .thr{stroke-width:2;stroke-dasharray:5 3}svg .thr.s-match{stroke:var(--match)}
svg .thr.s-review{stroke:var(--review)}svg .thr.s-floor{stroke:var(--muted)}
svg .thr-lbl{font-weight:600}svg .thr-lbl.s-match{fill:var(--match)}
svg .thr-lbl.s-review{fill:var(--review)}svg .thr-lbl.s-floor{fill:var(--muted)}
svg .cell{fill:var(--match)}svg .cell-empty{fill:#f1f3f6}svg .cell-txt.dark{fill:#fff}
.legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin:2px 0 8px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
.legend .s-match{background:var(--match)}.legend .s-review{background:var(--review)}
.legend .s-nomatch{background:var(--nomatch)}.legend .s-bar{background:var(--accent)}
.rq-tools{display:flex;gap:14px;align-items:center;margin:4px 0 10px;flex-wrap:wrap}
.rq-tools input[type=search]{padding:5px 8px;border:1px solid var(--line);border-radius:4px;
min-width:320px}
article.rq{border:1px solid var(--line);border-left:5px solid var(--nomatch);border-radius:6px;
padding:10px 14px;margin:0 0 12px;background:#fff}
article.rq.MATCH{border-left-color:var(--match)}article.rq.REVIEW{border-left-color:var(--review)}
article.rq header{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap;margin-bottom:6px}
article.rq .pos{font-weight:700;font-size:15px}
article.rq .score{font-weight:600}
.names{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.side{background:#f7f9fb;border:1px solid var(--line);border-radius:5px;padding:8px 10px}
.side h4{margin:0 0 4px;font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;
letter-spacing:.03em}
.side .raw{font-size:15px;font-weight:600}
.side .norm{margin:3px 0}
.side dl{display:grid;grid-template-columns:max-content 1fr;gap:1px 10px;margin:4px 0 0;
font-size:12px}
.side dt{color:var(--muted)}.side dd{margin:0}
mark{background:#fde9a8;padding:0 1px;border-radius:2px}
.ev{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:8px;font-size:13px}
.ev h5{margin:0 0 2px;font-size:12px}
.ev .for h5{color:var(--ok)}.ev .against h5{color:var(--bad)}
.ev ul{margin:0;padding-left:18px}
.meta{color:var(--muted);font-size:12px;margin-top:6px}
.chip{display:inline-block;background:#e8eef5;border-radius:10px;padding:0 7px;margin:0 3px 2px 0;
font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.muted{color:var(--muted)}
details summary{cursor:pointer;color:var(--accent)}
footer.page{color:var(--muted);font-size:12px;text-align:center;padding:10px}
#js-errors{display:none;color:var(--bad)}
@media print{nav.toc{display:none}section{break-inside:avoid}}
"""

#: First script of every page: record uncaught errors and blocked resources into the DOM.
HEAD_JS = """
window.__omphalosErrors=[];
function __omphalosRecord(kind,msg){window.__omphalosErrors.push(kind+': '+msg);
document.documentElement.setAttribute('data-js-errors',String(window.__omphalosErrors.length));
var box=document.getElementById('js-errors');
if(box){box.style.display='block';box.textContent=window.__omphalosErrors.join('\\n');}}
window.addEventListener('error',function(e){__omphalosRecord('error',
e.message||(e.target&&(e.target.src||e.target.href))||'resource');},true);
document.addEventListener('securitypolicyviolation',function(e){
__omphalosRecord('csp',e.violatedDirective+' '+e.blockedURI);});
"""

#: Last script: the review-queue filter, then the "scripts ran" marker.
BODY_JS = """
(function(){
var q=document.getElementById('rq-filter');
var cards=Array.prototype.slice.call(document.querySelectorAll('article.rq'));
var boxes=Array.prototype.slice.call(document.querySelectorAll('input.rq-status'));
var shown=document.getElementById('rq-shown');
function apply(){
var text=q?q.value.trim().toLowerCase():'';var on={};var n=0;
boxes.forEach(function(b){on[b.value]=b.checked;});
cards.forEach(function(c){
var ok=(!text||c.getAttribute('data-search').indexOf(text)>=0)&&
(boxes.length===0||on[c.getAttribute('data-status')]);
c.style.display=ok?'':'none';if(ok){n++;}});
if(shown){shown.textContent=String(n);}}
if(q){q.addEventListener('input',apply);}
boxes.forEach(function(b){b.addEventListener('change',apply);});
apply();
document.body.setAttribute('data-js-ok','1');
})();
"""


def _page(title: str, body: str, nav: Sequence[tuple[str, str]]) -> str:
    links = "".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n"
        f"<script>{HEAD_JS}</script>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<nav class="toc" aria-label="Sections">{links}</nav>\n'
        f'<pre id="js-errors"></pre>\n{body}\n'
        f"<script>{BODY_JS}</script>\n</body>\n</html>\n"
    )


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    cls: str = "",
) -> str:
    """An HTML table; cells are already-escaped HTML."""
    num = ' class="n"'
    head = "".join(f"<th{num if i in numeric else ''}>{h}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>"
        + "".join(f"<td{num if i in numeric else ''}>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    cls_attr = f' class="{cls}"' if cls else ""
    return f"<table{cls_attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(anchor: str, title: str, inner: str) -> str:
    return f'<section id="{anchor}">\n<h2>{esc(title)}</h2>\n{inner}\n</section>\n'


def _legend(items: Sequence[tuple[str, str]]) -> str:
    return (
        '<div class="legend">'
        + "".join(f'<span><i class="{c}"></i>{esc(t)}</span>' for c, t in items)
        + "</div>"
    )


def _overview(d: RunData) -> str:
    s = d.summary
    by_status = {r["status"]: r for r in d.status}

    def card(value: object, key: str, css: str = "") -> str:
        return (
            f'<div class="card {css}"><div class="v">{_num(value)}</div>'
            f'<div class="k">{esc(key)}</div></div>'
        )

    admitted = sum(int(i.get("rows_admitted") or 0) for i in d.inputs)
    rejected = sum(int(i.get("rows_rejected") or 0) for i in d.inputs)
    cards = [
        card(s.get("shipments"), "shipments screened"),
        card(s.get("parties"), "shipment parties"),
        card(s.get("registry_entities"), "listed entities"),
        card(s.get("registry_names"), "listed names"),
        card(s.get("candidate_pairs"), "name pairs compared"),
        card(by_status.get("MATCH", {}).get("candidates", 0), "MATCH candidates", "match"),
        card(by_status.get("REVIEW", {}).get("candidates", 0), "REVIEW candidates", "review"),
        card(by_status.get("NO_MATCH", {}).get("candidates", 0), "cleared (NO_MATCH)"),
        card(d.review_total, "in the review queue"),
        card(d.exposure_total, "entities with exposure"),
        card(len(d.packets), "review packets"),
        card(admitted, "input rows admitted"),
        card(rejected, "input rows rejected"),
    ]
    r = d.rules
    desc = f"<p>{esc(r.description)}</p>" if r.description else ""
    return _section(
        "overview",
        "Overview",
        f'{desc}<p class="lead">Configuration <code>{esc(r.config_name)}</code>, as of '
        f"{esc(r.as_of_date)}. MATCH at score &ge; {esc(r.match_threshold)}, REVIEW at &ge; "
        f"{esc(r.review_threshold)}. Everything on this page is read from the run's own files."
        f'</p><div class="cards">{"".join(cards)}</div>',
    )


def _verification_sealed(d: RunData) -> str:
    files = _table(
        ["file", "kind", "bytes", "sha256"],
        (
            [
                f"<code>{esc(f['path'])}</code>",
                esc(f["kind"]),
                _num(f["size"]),
                f"<code>{esc(f['sha256'])}</code>" if f["sha256"] else "—",
            ]
            for f in d.files
        ),
        numeric=(2,),
    )
    return _section(
        "verification",
        "Verification and Merkle root",
        '<div class="verdict info"><strong>Verification status is not stated on this page.'
        "</strong> This page is one of the run's payload files: it was written before the run "
        "was sealed and is covered by the seal, so it cannot contain the Merkle root that "
        "covers it, nor a verdict about files that may change after it was written.</div>"
        "<p>The seal is <code>run_manifest.json</code> at the top of the run directory: the "
        "SHA-256 and role of every file, <code>merkle.payload_root</code> (RFC 6962 over the "
        "payload files, this page included) and <code>merkle.all_root</code>. To check the run "
        "from the bytes on disk:</p>"
        "<pre>omphalos verify --run-dir RUN_DIR        # OK, or one located problem per line\n"
        "omphalos report --run-dir RUN_DIR        # this page with the verification result "
        "and the roots,\n                                          # written outside the run"
        "</pre>"
        "<p>Two runs of the same inputs and configuration have the same payload root, and this "
        "page is byte-identical between them. The files this page was made from, with the "
        "digests the manifest must list for them:</p>"
        f"<details><summary>{len(d.files)} payload files and their SHA-256</summary>{files}"
        "</details>",
    )


def _verification_live(
    run_dir: Path, verification: Mapping[str, Any], d: RunData
) -> tuple[str, str]:
    """(section html, run id) for a page rendered after sealing, outside the run."""
    manifest = _read_json(run_dir / MANIFEST_NAME)
    ok = bool(verification.get("ok"))
    run_id = str(verification.get("run_id") or manifest.get("run_id") or run_dir.name)
    roots = verification.get("roots") if isinstance(verification.get("roots"), Mapping) else {}
    assert isinstance(roots, Mapping)
    merkle = manifest.get("merkle") if isinstance(manifest.get("merkle"), dict) else {}
    assert isinstance(merkle, dict)
    counts = verification.get("counts") if isinstance(verification.get("counts"), Mapping) else {}
    assert isinstance(counts, Mapping)
    sig = (
        verification.get("signature") if isinstance(verification.get("signature"), Mapping) else {}
    )
    assert isinstance(sig, Mapping)
    problems = [p for p in verification.get("problems") or [] if isinstance(p, Mapping)]
    verdict = (
        '<div class="verdict ok"><strong>VERIFIED</strong>: every file, both Merkle roots, the '
        "manifest's metadata digest and the lineage chain were recomputed from disk and agree."
        "</div>"
        if ok
        else f'<div class="verdict bad"><strong>NOT VERIFIED</strong>: {len(problems)} '
        "problem(s) found; the results below cannot be relied on until they are explained.</div>"
    )
    rows = [
        ["run id", f"<code>{esc(run_id)}</code>"],
        ["payload_root (recomputed)", f"<code>{esc(roots.get('payload_root'))}</code>"],
        ["payload_root (sealed)", f"<code>{esc(merkle.get('payload_root'))}</code>"],
        ["payload leaves", _num(roots.get("payload_leaves"))],
        ["all_root (recomputed)", f"<code>{esc(roots.get('all_root'))}</code>"],
        ["all leaves", _num(roots.get("all_leaves"))],
        ["metadata_sha256", f"<code>{esc(manifest.get('metadata_sha256'))}</code>"],
        [
            "started / sealed",
            f"{esc(manifest.get('started_at'))} / {esc(manifest.get('sealed_at'))}",
        ],
        [
            "files on disk / listed",
            f"{_num(counts.get('files_on_disk'))} / {_num(counts.get('artifacts_listed'))}",
        ],
        ["bytes hashed", _num(counts.get("bytes_hashed"))],
        [
            "signature",
            esc(sig.get("status"))
            + (f" (key {esc(sig.get('key_id'))})" if sig.get("key_id") else ""),
        ],
    ]
    problems_html = (
        "<h3>Problems</h3>"
        + _table(
            ["code", "path", "message"],
            (
                [
                    f"<code>{esc(p.get('code'))}</code>",
                    f"<code>{esc(p.get('path'))}</code>",
                    esc(p.get("message")),
                ]
                for p in problems
            ),
        )
        if problems
        else ""
    )
    inner = (
        verdict
        + _table(["", "value"], rows)
        + problems_html
        + '<p class="muted">This copy of the report was rendered after sealing by '
        "<code>omphalos report</code> and lives outside the run; the copy sealed inside the run "
        f"is <code>{REPORT_PATH}</code>: the same content, without the run-specific values of "
        "this section.</p>"
    )
    return _section("verification", "Verification and Merkle root", inner), run_id


def _inputs(d: RunData) -> str:
    rows = [
        [
            f"<code>{esc(i.get('name'))}</code>",
            f"<code>{esc(i.get('file'))}</code>",
            esc(i.get("format")),
            _num(i.get("rows_read")),
            _num(i.get("rows_admitted")),
            _num(i.get("rows_rejected")),
            _short_hash(i.get("source_sha256")),
        ]
        for i in d.inputs
    ]
    out = (
        '<p class="lead">Inputs are admitted, not trusted: every row is checked against the '
        "input's declared columns (docs/inputs.md). Admitted rows are in "
        "<code>inputs/admitted/</code>; every rejected row is in <code>inputs/rejects.csv</code> "
        "with its file, row (header = row 1), column and reason.</p>"
        + _table(
            [
                "input",
                "file as given",
                "format",
                "rows read",
                "admitted",
                "rejected",
                "source sha256",
            ],
            rows,
            numeric=(3, 4, 5),
        )
    )
    if d.rejects_by_reason:
        out += "<h3>Rejected rows by reason</h3>" + _table(
            ["input", "column", "reason", "rows"],
            (
                [
                    f"<code>{esc(r.get('input'))}</code>",
                    f"<code>{esc(r.get('column'))}</code>",
                    esc(r.get("reason")),
                    _num(r.get("rows")),
                ]
                for r in d.rejects_by_reason
            ),
            numeric=(3,),
        )
    if d.rejects_sample:
        more = (
            f" (first {len(d.rejects_sample)} of {d.rejects_total:,}; all are in "
            "<code>inputs/rejects.csv</code>)"
            if d.rejects_total > len(d.rejects_sample)
            else ""
        )
        out += f"<h3>Rejected rows{more}</h3>" + _table(
            ["input", "file", "row", "column", "reason", "value"],
            (
                [
                    f"<code>{esc(r['input'])}</code>",
                    esc(r["file"]),
                    esc(r["row"]),
                    f"<code>{esc(r['column'])}</code>",
                    esc(r["reason"]),
                    f"<code>{esc(r['value'])}</code>",
                ]
                for r in d.rejects_sample
            ),
            numeric=(2,),
        )
    elif not d.rejects_total:
        out += "<p><strong>No row was rejected.</strong></p>"
    return _section("inputs", "Inputs: admitted and rejected", out)


def _rules(d: RunData) -> str:
    r = d.rules
    thresholds = _table(
        ["parameter", "value", "stated in", "effect"],
        [
            [
                "match threshold",
                f"<strong>{esc(r.match_threshold)}</strong>",
                "<code>config/run_config.yaml</code> <code>thresholds.match</code>",
                "score at or above: MATCH",
            ],
            [
                "review threshold",
                f"<strong>{esc(r.review_threshold)}</strong>",
                "<code>config/run_config.yaml</code> <code>thresholds.review</code>",
                "score at or above (and below match): REVIEW; below: NO_MATCH",
            ],
            [
                "candidate floor",
                f"<strong>{esc(r.candidate_floor)}</strong>",
                "<code>config/run_config.yaml</code> <code>thresholds.candidate_floor</code>",
                "candidates below are not kept",
            ],
            [
                "blocking limit",
                f"<strong>{r.max_block_key_names}</strong>",
                "<code>config/run_config.yaml</code> <code>blocking.max_block_key_names</code>",
                "a blocking key shared by more registry names is too common and is dropped",
            ],
            [
                "as-of date",
                f"<strong>{esc(r.as_of_date)}</strong>",
                "<code>config/run_config.yaml</code> <code>as_of_date</code>",
                "trend windows of the exposure score end here",
            ],
        ],
    )
    rules = "<ol>" + "".join(f"<li>{esc(line)}</li>" for line in rule_lines()) + "</ol>"
    stated = _table(["where", "what"], ([f"<code>{esc(p)}</code>", esc(w)] for p, w in STATED_IN))
    config = (
        "<details><summary>The run configuration as given "
        f"(<code>config/run_config.yaml</code>, sha256 {_short_hash(r.config_sha256)})</summary>"
        f"<pre>{html.escape(chr(10).join(d.config_text.splitlines()[:200]))}</pre></details>"
    )
    return _section(
        "rules",
        "Matching rules and thresholds",
        '<p class="lead">Every rule is SQL in the dbt project; the thresholds are this run\'s '
        "configuration, passed to dbt as variables.</p>"
        + thresholds
        + "<h3>How a candidate is scored</h3>"
        + rules
        + "<h3>Where the rules are stated</h3>"
        + stated
        + config,
    )


def _outputs(d: RunData) -> str:
    def rows_of(name: str) -> str:
        return _num(d.tables[name]) if name in d.tables else "not exported"

    consumption = _table(
        ["output", "rows", "what it is"],
        [
            [
                "<code>exports/entity_scores.csv</code>, <code>.parquet</code>",
                rows_of("entity_scores"),
                "exposure per listed entity with at least one MATCH or REVIEW, ranked",
            ],
            [
                "<code>exports/entity_matches.csv</code>, <code>.parquet</code>",
                rows_of("entity_matches"),
                "every candidate above the floor, with score, status and evidence "
                "(NO_MATCH ones were considered and cleared)",
            ],
        ],
        numeric=(1,),
    )
    review = _table(
        ["output", "rows", "what it is"],
        [
            [
                "<code>exports/review_queue.csv</code>, <code>.parquet</code>",
                rows_of("review_queue"),
                "every MATCH (to confirm before acting) and REVIEW candidate, most urgent first",
            ],
            [
                f"<code>{PACKETS_DIR}/&lt;entity&gt;.json</code>, <code>.md</code>",
                _num(len(d.packets)),
                "one self-contained packet per entity with a MATCH or REVIEW: everything a "
                "reviewer needs, and how to prove the packet belongs to this run",
            ],
        ],
        numeric=(1,),
    )
    evidence = _table(
        ["file", "what it is"],
        [
            ["<code>config/run_config.yaml</code>", "the configuration as given"],
            ["<code>inputs/admitted/*.parquet</code>", "admitted input rows, key order"],
            ["<code>inputs/rejects.csv</code>", "rejected input rows and why"],
            [
                "<code>reports/admission.json</code>",
                "per input: digest, rows read, admitted, rejected",
            ],
            ["<code>reports/summary.json</code>", "the run's headline numbers"],
            [f"<code>{REPORT_PATH}</code>", "this page"],
        ],
    )
    procedural = _table(
        ["file", "what it is"],
        [
            [
                "<code>warehouse/warehouse.duckdb</code>",
                "the DuckDB database: staging views (<code>stg_*</code>) and intermediate models "
                "(<code>int_shipment_parties_unpivoted</code>, <code>int_party_names_normalized</code>, "
                "<code>int_registry_names_normalized</code>, <code>int_name_candidates_blocked</code>, "
                "<code>int_name_candidates_scored</code>) as well as the marts",
            ],
            ["<code>dbt/</code>", "dbt logs, compiled SQL, run_results.json"],
            ["<code>lineage/events.jsonl</code>", "hash-chained lineage events with timestamps"],
            ["<code>reports/timings.json</code>", "wall time per phase"],
            ["<code>run_manifest.json</code>", "the seal (not listed inside itself)"],
        ],
    )
    return _section(
        "outputs",
        "Outputs: for consumption, for review, intermediate",
        "<h3>For consumption</h3>"
        + consumption
        + "<h3>Needs human review</h3>"
        + review
        + '<h3>Intermediate</h3><p class="lead">The intermediate models are working tables of '
        "the build, not results: they exist only in the procedural warehouse. The payload "
        "keeps what is needed to reproduce and audit the results:</p>"
        + evidence
        + "<h3>Procedural (differ between runs; outside the payload root)</h3>"
        + procedural,
    )


def _charts(d: RunData) -> str:
    r = d.rules
    parts: list[str] = []
    # exposure ranking
    if d.exposure:
        bars = [
            Bar(
                label=f"{e['exposure_rank']}. {e['primary_name'] or e['entity_id']}",
                segments=(
                    Segment(
                        float(_dec(e["exposure_score"])),
                        "s-bar",
                        f"exposure score {e['exposure_score']}",
                    ),
                ),
                note=f"{e['exposure_score']} · {money_short(e['matched_value_usd'])} · "
                f"{e['match_shipments']} ship.",
                tip=f"{e['entity_id']} {e['primary_name']} ({e['programs'] or 'no program'}): "
                f"exposure {e['exposure_score']}, matched value USD {money(e['matched_value_usd'])}"
                f", {e['match_shipments']} MATCH shipment(s), {e['review_shipments']} REVIEW only, "
                f"controlled share {e['controlled_share']}, trend {e['trend']}",
            )
            for e in d.exposure
        ]
        parts.append(
            f'<h3 id="chart-exposure">Exposure ranking (top {len(bars)} of '
            f"{d.exposure_total:,} entities)</h3>"
            '<p class="lead">exposure = 0.5 &times; matched value (log scale, capped) + 0.3 &times; '
            "controlled-goods share + 0.2 &times; matched shipments (capped at 20); see "
            "<code>models/marts/screening/entity_scores.sql</code>.</p>"
            + hbar_chart(
                bars,
                label="Exposure ranking",
                axis="exposure score",
                tick_format=lambda v: f"{v:.2f}",
                scale_max=1.0,
            )
        )
    # score distribution
    if d.histogram:
        lo = min(min(d.histogram), int(_dec(r.candidate_floor) * 100))
        parts.append(
            '<h3 id="chart-scores">Match score distribution</h3>'
            '<p class="lead">Every kept candidate by score, with the thresholds of this run. '
            "Scores below the candidate floor are not kept.</p>"
            + _legend([("s-match", "MATCH"), ("s-review", "REVIEW"), ("s-nomatch", "NO_MATCH")])
            + score_histogram(
                d.histogram,
                lo=max(0, lo),
                thresholds=[
                    (_dec(r.review_threshold), "review", "s-review"),
                    (_dec(r.match_threshold), "match", "s-match"),
                ],
            )
        )
    # matches by status
    if d.status:
        peak = max(int(s["candidates"]) for s in d.status) or 1
        bars = [
            Bar(
                label=str(s["status"]),
                segments=(
                    Segment(
                        float(s["candidates"]),
                        STATUS_CLASS.get(str(s["status"]), "s-bar"),
                        f"{s['status']}: {s['candidates']:,} candidates",
                    ),
                ),
                note=f"{s['candidates']:,} cand. · {s['entities']:,} ent. · "
                f"{s['shipments']:,} ship.",
            )
            for s in d.status
        ]
        parts.append(
            '<h3 id="chart-status">Matches by status</h3>'
            + hbar_chart(
                bars,
                label="Candidates by status",
                axis="candidates",
                scale_max=float(peak),
                label_w=120,
                note_w=260,
            )
        )
    # flows
    f = d.flows
    if f and (f.get("destination") or f.get("chapter")):
        parts.append(
            '<h3 id="chart-flows">Flows with an alert, by country and HS chapter</h3>'
            f'<p class="lead">Shipments with a MATCH or REVIEW candidate: '
            f"{f['flagged_shipments']:,} of {f['feed_shipments']:,} shipments, "
            f"{money_short(f['flagged_value'])} of {money_short(f['feed_value'])} declared value; "
            f"{f['match_shipments']:,} with a MATCH ({money_short(f['match_value'])}). Each "
            "shipment counts once.</p>"
            + _legend([("s-match", "with a MATCH"), ("s-review", "REVIEW only")])
        )

        def flow_bars(rows: Sequence[Mapping[str, Any]], kind: str) -> list[Bar]:
            out = []
            for row in rows:
                mv, rv = _dec(row["match_value"]), _dec(row["review_value"])
                key = str(row["k"])
                lab = (
                    f"HS {key}" + (" (controlled)" if row["controlled"] else "")
                    if kind == "chapter"
                    else key
                )
                out.append(
                    Bar(
                        label=lab,
                        segments=(
                            Segment(float(mv), "s-match", f"{lab}: MATCH {money_short(mv)}"),
                            Segment(float(rv), "s-review", f"{lab}: REVIEW only {money_short(rv)}"),
                        ),
                        note=f"{money_short(mv + rv)} · "
                        f"{int(row['match_shipments']) + int(row['review_shipments']):,} ship.",
                        tip=f"{lab}: {row['match_shipments']} shipment(s) with a MATCH "
                        f"(USD {money(mv)}), {row['review_shipments']} REVIEW only "
                        f"(USD {money(rv)})",
                    )
                )
            return out

        dollars = lambda v: money_short(Decimal(str(round(v, 2))))  # noqa: E731
        grid = []
        for title, key, kind in (
            ("By destination country", "destination", "country"),
            ("By origin country", "origin", "country"),
            ("By HS chapter", "chapter", "chapter"),
        ):
            if f.get(key):
                grid.append(
                    f"<div><h3>{title}</h3>"
                    + hbar_chart(
                        flow_bars(f[key], kind),
                        label=f"Flagged value {title.lower()}",
                        axis="declared value (USD)",
                        tick_format=dollars,
                        label_w=150,
                        bar_w=250,
                        note_w=150,
                    )
                    + "</div>"
                )
        parts.append('<div class="grid2">' + "".join(grid) + "</div>")
        if f.get("heat"):
            parts.append(
                "<h3>Destination country &times; HS chapter (flagged value, USD)</h3>"
                + heatmap(
                    f["heat_rows"],
                    f["heat_cols"],
                    f["heat"],
                    label="Flagged value by destination country and HS chapter",
                    col_label=lambda c: f"HS {c}",
                )
            )
    if not parts:
        parts.append("<p>No exports to chart.</p>")
    return _section("charts", "Charts", "".join(parts))


def _marked(normalized: object, tokens: set[str]) -> str:
    if not normalized:
        return "—"
    return " ".join(
        f"<mark>{esc(t)}</mark>" if t in tokens else esc(t) for t in str(normalized).split()
    )


def _review(d: RunData, *, link_packets: bool) -> str:
    stems = {p["entity_id"]: p["stem"] for p in d.packets}
    cards = []
    for c in d.review:
        tokens = set((c["matched_tokens"] or "").split())
        ev = evidence_from_columns(c)
        eid = str(c["entity_id"])
        stem = stems.get(eid)
        packet = ""
        if stem:
            path = f"{PACKETS_DIR}/{stem}.md"
            packet = (
                f'<a href="../{esc(path)}">packet</a>'
                if link_packets
                else f"packet <code>{esc(path)}</code>"
            )
        search = " ".join(
            str(x or "")
            for x in (
                c["party_name"],
                c["matched_name"],
                c["entity_primary_name"],
                eid,
                c["shipment_id"],
                c["party_name_sorted"],
                c["registry_name_sorted"],
                c["programs"],
            )
        ).lower()
        against = ev.against or ("nothing recorded against",)
        cards.append(
            f'<article class="rq {esc(c["match_status"])}" data-status="{esc(c["match_status"])}" '
            f'data-search="{esc(search)}">'
            f'<header><span class="pos">#{c["queue_position"]}</span>'
            f'<span class="badge {esc(c["match_status"])}">{esc(c["match_status"])}</span>'
            f'<span class="score">score {esc(c["score"])}</span>'
            f'<span class="muted">priority {esc(c["priority_score"])} · '
            f"<code>{esc(c['match_id'])}</code></span>{packet}</header>"
            '<div class="names">'
            f'<div class="side party"><h4>Shipment party · {esc(c["party_role"])}</h4>'
            f'<div class="raw">{esc(c["party_name"])}</div>'
            f'<div class="norm"><code>{_marked(c["party_name_sorted"], tokens)}</code></div>'
            f"<dl><dt>legal form</dt><dd>{esc(c['party_legal_form'])}</dd>"
            f"<dt>country</dt><dd>{esc(c['party_country'])}</dd>"
            f"<dt>shipment</dt><dd><code>{esc(c['shipment_id'])}</code> {esc(c['ship_date'])}</dd>"
            f"<dt>goods</dt><dd>HS {esc(c['hs_code'])}"
            f"{' (controlled chapter)' if c['controlled_goods'] else ''}, USD "
            f"{money(c['value_usd'])}</dd></dl></div>"
            f'<div class="side listed"><h4>Listed name · {esc(c["matched_name_type"])}</h4>'
            f'<div class="raw">{esc(c["matched_name"])}</div>'
            f'<div class="norm"><code>{_marked(c["registry_name_sorted"], tokens)}</code></div>'
            f"<dl><dt>legal form</dt><dd>{esc(c['registry_legal_form'])}</dd>"
            f"<dt>countries</dt><dd>{esc(c['entity_countries'])}</dd>"
            f"<dt>entity</dt><dd><code>{esc(eid)}</code> {esc(c['entity_primary_name'])}</dd>"
            f"<dt>programs</dt><dd>{esc(c['programs'])}</dd></dl></div></div>"
            '<div class="ev">'
            '<div class="for"><h5>Evidence for</h5><ul>'
            + "".join(f"<li>{esc(x)}</li>" for x in ev.supporting)
            + '</ul></div><div class="against"><h5>Evidence against</h5><ul>'
            + "".join(f"<li>{esc(x)}</li>" for x in against)
            + "</ul></div></div>"
            '<div class="meta">matched tokens: '
            + ("".join(f'<span class="chip">{esc(t)}</span>' for t in sorted(tokens)) or "none")
            + f" · country evidence <strong>{esc(c['country_evidence'])}</strong> · "
            f"name score {esc(c['name_score'])} (sorted {esc(c['jw_sorted'])}, alignment "
            f"{esc(c['alignment'])})"
            + ("".join(f" · {esc(x)}" for x in ev.context))
            + "</div></article>"
        )
    if not cards:
        return _section(
            "review", "Review queue", "<p><strong>The review queue is empty.</strong></p>"
        )
    head = (
        '<p class="lead">'
        + (
            f"The first {len(cards):,} of {d.review_total:,} candidates"
            if len(cards) < d.review_total
            else f"All {len(cards):,} candidates"
        )
        + ", in the order a reviewer should take them (priority: score, controlled goods, value). Both names side "
        "by side: as written, then normalized with the matched tokens "
        "<mark>marked</mark>. The whole queue is <code>exports/review_queue.csv</code>"
        + (
            f"; every entity in it has a packet in <code>{PACKETS_DIR}/</code>.</p>"
            if d.packets
            else ".</p>"
        )
        + '<div class="rq-tools"><input type="search" id="rq-filter" '
        'placeholder="Filter by name, entity, shipment, program" aria-label="Filter candidates">'
        '<label><input type="checkbox" class="rq-status" value="MATCH" checked> MATCH</label>'
        '<label><input type="checkbox" class="rq-status" value="REVIEW" checked> REVIEW</label>'
        f'<span class="muted"><span id="rq-shown">{len(cards)}</span> shown</span></div>'
    )
    return _section("review", "Review queue", head + "".join(cards))


def _packets(d: RunData, *, link_packets: bool) -> str:
    if not d.packets:
        return _section(
            "packets",
            "Review packets",
            "<p>No review packets were written (no entity has a MATCH or REVIEW candidate).</p>"
            if not d.packets_eligible
            else f"<p>No review packets were found in <code>{PACKETS_DIR}/</code>, although "
            f"{d.packets_eligible:,} entities have a MATCH or REVIEW candidate (a run made "
            "before packets were written).</p>",
        )
    shown = d.packets[:REVIEW_LIMIT]

    def ref(p: Mapping[str, Any]) -> str:
        path = f"{PACKETS_DIR}/{p['stem']}"
        if link_packets:
            return f'<a href="../{esc(path)}.md">.md</a> <a href="../{esc(path)}.json">.json</a>'
        return f"<code>{esc(path)}.md</code>"

    omitted = d.packets_eligible - len(d.packets)
    table = _table(
        ["first in queue", "entity", "name", "MATCH", "REVIEW", "packet"],
        (
            [
                _num(p["first"]),
                f"<code>{esc(p['entity_id'])}</code>",
                esc(p["name"]),
                _num(p["match"]),
                _num(p["review"]),
                ref(p),
            ]
            for p in shown
        ),
        numeric=(0, 3, 4),
    )
    return _section(
        "packets",
        "Review packets",
        f'<p class="lead">{len(d.packets):,} packets, one per entity with a MATCH or REVIEW '
        f"candidate, as JSON and Markdown in <code>{PACKETS_DIR}/</code>"
        + (
            f" ({omitted:,} less urgent entities have none: the limit is {MAX_PACKETS:,})"
            if omitted > 0
            else ""
        )
        + ". Each stands alone: the listed entity with its names and identifiers, every alerting "
        "candidate with both names and the evidence, the rules, the input digests. To hand one "
        "over with proof that it belongs to this run, disclose it alone:</p>"
        "<pre>omphalos release build --run-dir RUN_DIR --only "
        f"{PACKETS_DIR}/ENTITY.json {PACKETS_DIR}/ENTITY.md --out ENTITY.tar.gz\n"
        "omphalos release verify --bundle ENTITY.tar.gz</pre>"
        + (f"<p>The {len(shown)} most urgent:</p>" if len(shown) < len(d.packets) else "")
        + table,
    )


def render_report(
    run_dir: Path,
    *,
    verification: Mapping[str, Any] | None = None,
    review_limit: int = REVIEW_LIMIT,
    exclude: Iterable[str] = (),
) -> str:
    """The report page of ``run_dir`` as text. Without ``verification`` it is deterministic (the
    page sealed in the run); with it (``VerifyResult.to_dict()``) it adds the run id, the
    verification status and the Merkle roots."""
    run_dir = Path(run_dir)
    live = verification is not None
    d = _gather(run_dir, review_limit, {REPORT_PATH, *exclude}, hash_files=not live)
    if verification is not None:
        verification_html, run_id = _verification_live(run_dir, verification, d)
        subtitle = f"run <code>{esc(run_id)}</code> · verification {'OK' if verification.get('ok') else 'FAILED'}"
    else:
        verification_html = _verification_sealed(d)
        subtitle = "the page sealed in the run (payload)"
    r = d.rules
    nav = [
        ("overview", "Overview"),
        ("verification", "Verification"),
        ("inputs", "Inputs"),
        ("rules", "Rules"),
        ("outputs", "Outputs"),
        ("charts", "Charts"),
        ("review", "Review queue"),
        ("packets", "Packets"),
    ]
    carried = decisions_and_changes_section(run_dir, d.summary)
    if carried:
        nav.insert(nav.index(("packets", "Packets")), ("decisions", "Decisions and changes"))
    body = (
        f'<header class="top"><h1>Screening run report: {esc(r.config_name)}</h1>'
        f"<p>as of {esc(r.as_of_date)} · {subtitle}</p></header>\n<main>\n"
        + _overview(d)
        + verification_html
        + _inputs(d)
        + _rules(d)
        + _outputs(d)
        + _charts(d)
        + _review(d, link_packets=not live)
        + carried
        + _packets(d, link_packets=not live)
        + '</main>\n<footer class="page">omphalos run report · self-contained: no network, no '
        "external assets · see docs/report.md</footer>"
    )
    return _page(f"omphalos run report: {r.config_name}", body, nav)


CHANGES_LIMIT = 100
_PRIOR_HEADERS = [
    "candidate",
    "party ~ matched name",
    "status",
    "decision",
    "applies",
    "by",
    "at",
    "reason",
]


def decisions_and_changes_section(run_dir: Path, summary: Mapping[str, Any]) -> str:
    """Prior reviewer decisions carried into the run and the changes since a previous run
    (docs/review.md); empty, and no section at all, when the run had neither."""
    prior = summary.get("prior_decisions")
    changes = summary.get("changes_since_previous")
    if not isinstance(prior, Mapping) and not isinstance(changes, Mapping):
        return ""
    parts: list[str] = []
    con = duckdb.connect()
    try:
        matches = run_dir / "exports" / "entity_matches.parquet"
        if isinstance(prior, Mapping):
            parts.append(
                f"<h3>Prior decisions</h3><p>{_num(prior.get('decisions'))} decision(s) admitted "
                f"from <code>{esc(prior.get('log'))}</code> (sha256 "
                f"{_short_hash(prior.get('log_sha256'))}, copied to "
                "<code>inputs/review_decisions.jsonl</code>): "
                f"{_num(prior.get('candidates_with_prior_decision'))} candidate(s) carry one; "
                f"{_num(prior.get('cleared_not_queued'))} cleared false positive(s) not queued "
                "again; "
                f"{_num(prior.get('requeued_list_entry_changed'))} whose list entry changed "
                "since.</p>"
            )
            if matches.is_file():
                rows = _rows(
                    con,
                    "select match_id, party_name, entity_id, matched_name, match_status, "
                    "prior_decision, prior_decision_status, prior_decision_reviewer, "
                    "prior_decision_at, prior_decision_reason, prior_decision_id "
                    f"from read_parquet({_lit(str(matches))}) where prior_decision is not null "
                    f"order by match_id limit {CHANGES_LIMIT}",
                )
                parts.append(
                    _table(
                        _PRIOR_HEADERS,
                        [
                            [
                                f"<code>{esc(r['match_id'])}</code>",
                                f"{esc(r['party_name'])} ~ {esc(r['matched_name'])}",
                                esc(r["match_status"]),
                                f"{esc(r['prior_decision'])} <code>{esc(r['prior_decision_id'])}</code>",
                                esc(r["prior_decision_status"]),
                                esc(r["prior_decision_reviewer"]),
                                esc(r["prior_decision_at"]),
                                esc(r["prior_decision_reason"]),
                            ]
                            for r in rows
                        ],
                    )
                )
        if isinstance(changes, Mapping):
            causes = changes.get("by_cause") or {}
            thresholds = changes.get("thresholds_changed") or {}
            rules = changes.get("rules_changed")
            parts.append(
                f"<h3>Changes since the previous run</h3><p>Compared with run "
                f"<code>{esc(changes.get('previous_run_id'))}</code> (payload root "
                f"{_short_hash(changes.get('previous_payload_root'))}): "
                f"{_num(changes.get('new'))} new, {_num(changes.get('gone'))} gone, "
                f"{_num(changes.get('changed'))} changed alert(s); by cause: "
                + (", ".join(f"{esc(k)} {_num(v)}" for k, v in causes.items()) or "none")
                + ". Thresholds "
                + (
                    "changed: " + ", ".join(esc(k) for k in thresholds)
                    if thresholds
                    else "unchanged"
                )
                + "; rules "
                + ("not compared" if rules is None else "changed" if rules else "unchanged")
                + f". All rows: <code>{esc(changes.get('export'))}</code>.</p>"
            )
            path = run_dir / "exports" / "changes_since_previous.parquet"
            if path.is_file():
                rows = _rows(
                    con,
                    "select match_id, change, causes, party_name, entity_primary_name, "
                    "previous_status, current_status, cast(previous_score as varchar) as ps, "
                    "cast(current_score as varchar) as cs, previous_queued, current_queued "
                    f"from read_parquet({_lit(str(path))}) order by match_id "
                    f"limit {CHANGES_LIMIT}",
                )
                queued = {True: "queued", False: "not queued", None: "—"}
                parts.append(
                    _table(
                        ["candidate", "change", "cause", "party ~ entity", "before", "now"],
                        [
                            [
                                f"<code>{esc(r['match_id'])}</code>",
                                esc(r["change"]),
                                esc(r["causes"]),
                                f"{esc(r['party_name'])} ~ {esc(r['entity_primary_name'])}",
                                esc(
                                    f"{r['previous_status'] or '—'} {r['ps'] or ''} "
                                    f"{queued[r['previous_queued']]}"
                                ),
                                esc(
                                    f"{r['current_status'] or '—'} {r['cs'] or ''} "
                                    f"{queued[r['current_queued']]}"
                                ),
                            ]
                            for r in rows
                        ],
                    )
                )
    finally:
        con.close()
    return _section("decisions", "Decisions and changes", "\n".join(parts))


def write_report(
    run_dir: Path,
    *,
    verification: Mapping[str, Any] | None = None,
    out: Path | None = None,
    review_limit: int = REVIEW_LIMIT,
) -> Path:
    """Write the report page and return its path.

    Without ``verification``: ``run_dir/reports/index.html`` (or ``out``), the deterministic
    payload page; call it before sealing, after the exports, reports and packets are written.
    With ``verification``: the page with verification status and Merkle roots, to ``out``, which
    must be outside ``run_dir`` (a file added to a sealed run would break its seal)."""
    run_dir = Path(run_dir)
    if verification is not None:
        if out is None:
            raise ValueError("a verified report needs `out`, a file outside the run directory")
        resolved, root = out.resolve(), run_dir.resolve()
        if resolved == root or root in resolved.parents:
            raise ValueError(
                f"{out}: a verified report must be written outside the sealed run {run_dir}"
            )
    target = out if out is not None else run_dir / REPORT_PATH
    exclude = set()
    if out is not None and run_dir.resolve() in out.resolve().parents:
        exclude.add(out.resolve().relative_to(run_dir.resolve()).as_posix())
    text = render_report(
        run_dir, verification=verification, review_limit=review_limit, exclude=exclude
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode("utf-8"))
    return target


# ---------------------------------------------------------------------------------------------
# certify: the comparison page beside the JSON report


def _val(value: object) -> str:
    if value is None:
        return '<span class="muted">null</span>'
    if isinstance(value, (dict, list)):
        return f"<code>{esc(json.dumps(value, sort_keys=True, ensure_ascii=False))}</code>"
    return f"<code>{esc(value)}</code>"


def _key_text(key: object) -> str:
    if isinstance(key, Mapping):
        return ", ".join(f"{k}={v}" for k, v in key.items())
    return str(key)


def _table_diff_html(t: Mapping[str, Any]) -> str:
    parts = [
        f"<p>Key <code>{esc(', '.join(t.get('key') or []))}</code>; rows A "
        f"{_num(t.get('rows_a'))}, B {_num(t.get('rows_b'))}"
    ]
    if "logical_equal" in t:
        parts.append(
            "; logical fingerprints "
            + ("equal" if t.get("logical_equal") else "<strong>differ</strong>")
        )
    parts.append(".</p>")
    if t.get("error"):
        parts.append(f"<p><strong>{esc(t['error'])}</strong></p>")
    for side in ("a", "b"):
        cols = t.get(f"columns_only_in_{side}") or []
        if cols:
            parts.append(
                f"<p>Columns only in {side.upper()}: "
                + ", ".join(f"<code>{esc(c)}</code>" for c in cols)
                + "</p>"
            )
    if t.get("column_type_changes"):
        parts.append(
            "<h4>Column types</h4>"
            + _table(
                ["column", "A", "B"],
                (
                    [f"<code>{esc(c.get('column'))}</code>", _val(c.get("a")), _val(c.get("b"))]
                    for c in t["column_type_changes"]
                ),
            )
        )
    changed = t.get("changed") or {}
    if changed.get("count"):
        cols = changed.get("columns") or {}
        parts.append(
            f"<h4>{_num(changed['count'])} changed row(s)</h4><p>By column: "
            + ", ".join(
                f"<code>{esc(c)}</code> {_num(n)}"
                for c, n in sorted(cols.items(), key=lambda kv: (-int(kv[1]), kv[0]))
            )
            + "</p>"
        )
        rows = []
        for ex in changed.get("examples") or []:
            for ch in ex.get("changes") or []:
                rows.append(
                    [
                        f"<code>{esc(_key_text(ex.get('key')))}</code>",
                        f"<code>{esc(ch.get('column'))}</code>",
                        _val(ch.get("a")),
                        _val(ch.get("b")),
                    ]
                )
        if rows:
            parts.append(_table(["key", "column", "A", "B"], rows))
    for label, side in (("only_in_a", "A"), ("only_in_b", "B")):
        block = t.get(label) or {}
        if block.get("count"):
            parts.append(f"<h4>{_num(block['count'])} row(s) only in {side}</h4>")
            examples = block.get("examples") or []
            if examples:
                cols = list((examples[0].get("row") or {}).keys())
                parts.append(
                    '<div style="overflow:auto">'
                    + _table(
                        [esc(c) for c in cols],
                        ([_val((ex.get("row") or {}).get(c)) for c in cols] for ex in examples),
                    )
                    + "</div>"
                )
    for side in ("a", "b"):
        if t.get(f"duplicate_keys_{side}"):
            parts.append(
                f"<p><strong>{_num(t[f'duplicate_keys_{side}'])} duplicated key(s) in "
                f"{side.upper()}</strong></p>"
            )
    return "".join(parts)


def _artifact_rows(entries: Sequence[Mapping[str, Any]], *, reason: bool) -> list[list[str]]:
    rows = []
    for e in entries:
        a = e.get("a") if isinstance(e.get("a"), Mapping) else None
        b = e.get("b") if isinstance(e.get("b"), Mapping) else None
        rows.append(
            [
                f"<code>{esc(e.get('path'))}</code>",
                esc(e.get("kind")),
                esc(str(e.get("change", "")).replace("_", " ")),
                esc(e.get("reason") if reason and e.get("reason") else e.get("detail")),
                (_short_hash(a.get("sha256")) + f" {_num(a.get('size'))} B") if a else "—",
                (_short_hash(b.get("sha256")) + f" {_num(b.get('size'))} B") if b else "—",
            ]
        )
    return rows


def render_certify_html(report: Mapping[str, Any]) -> str:
    """A self-contained page for a certify difference report (``omphalos.certify_report/1``):
    what differs, where, and whether it is substantive or procedural. Deterministic: it depends
    only on the report, like the report itself."""
    version = report.get("schema_version")
    if version != "omphalos.certify_report/1":
        raise ValueError(f"unknown certify report schema_version {version!r}")
    runs = report.get("runs") or {}
    ra, rb = runs.get("a") or {}, runs.get("b") or {}
    equivalent = report.get("verdict") == "equivalent"
    subs = list(report.get("substantive") or [])
    procs = list(report.get("procedural") or [])
    tables = {t.get("path"): t for t in report.get("tables") or [] if isinstance(t, Mapping)}
    verdict = (
        '<div class="verdict ok"><strong>EQUIVALENT</strong>: the two runs have the same payload '
        "root; every payload file is byte-identical.</div>"
        if equivalent
        else f'<div class="verdict bad"><strong>DIFFERENT</strong>: {len(subs)} substantive '
        "difference(s) in payload files.</div>"
    )
    run_rows = []
    for field in ("run_id", "payload_root", "all_root", "metadata_sha256"):
        va, vb = ra.get(field), rb.get(field)
        same = va == vb
        run_rows.append(
            [
                f"<code>{esc(field)}</code>",
                _val(va),
                _val(vb),
                '<span class="badge ok">same</span>'
                if same
                else '<span class="badge info">differs</span>',
            ]
        )
    body = [
        '<header class="top"><h1>Comparison of two runs</h1>'
        f"<p>A <code>{esc(ra.get('run_id'))}</code> · B <code>{esc(rb.get('run_id'))}</code>"
        f" · {esc(report.get('verdict'))}</p></header>\n<main>",
        _section(
            "verdict",
            "Verdict",
            verdict
            + _table(["", "run A", "run B", ""], run_rows)
            + f"<h3>Summary</h3><pre>{esc(report.get('summary'))}</pre>"
            + '<p class="muted">The verdict is decided by the payload roots alone. Substantive '
            "differences are payload files whose contents differ; procedural ones are files "
            "that legitimately differ between runs (timings, logs, the DuckDB file, lineage) and "
            "payload files that differ only in encoding (the same rows by the declared key). "
            "Both runs were verified from disk before they were compared.</p>",
        ),
    ]
    sub_html = (
        _table(
            ["path", "kind", "change", "detail", "A", "B"],
            _artifact_rows(subs, reason=False),
        )
        if subs
        else "<p><strong>No substantive difference.</strong></p>"
    )
    for e in subs:
        path = e.get("path")
        inner = ""
        if path in tables:
            inner = _table_diff_html(tables[path])
        elif isinstance(e.get("json_diff"), Mapping):
            jd = e["json_diff"]
            inner = (
                f"<p>{esc(jd.get('error'))}</p>"
                if jd.get("error")
                else f"<p>{_num(jd.get('fields_differing'))} field(s) differ.</p>"
                + _table(
                    ["field", "A", "B"],
                    (
                        [f"<code>{esc(x.get('field'))}</code>", _val(x.get("a")), _val(x.get("b"))]
                        for x in jd.get("examples") or []
                    ),
                )
            )
        elif isinstance(e.get("text_diff"), Mapping):
            td = e["text_diff"]
            inner = f"<pre>{esc(chr(10).join(td.get('diff') or []))}</pre>"
        if inner:
            sub_html += (
                f"<details open><summary><code>{esc(path)}</code>: {esc(e.get('detail'))}"
                f"</summary>{inner}</details>"
            )
    body.append(_section("substantive", "Substantive differences (payload)", sub_html))
    body.append(
        _section(
            "procedural",
            "Procedural differences (not substantive)",
            _table(
                ["path", "kind", "change", "why not substantive", "A", "B"],
                _artifact_rows(procs, reason=True),
            )
            if procs
            else "<p>None.</p>",
        )
    )
    context = report.get("context") or []
    body.append(
        _section(
            "context",
            "Context (manifest fields that differ; never part of the verdict)",
            _table(
                ["field", "A", "B"],
                (
                    [f"<code>{esc(c.get('field'))}</code>", _val(c.get("a")), _val(c.get("b"))]
                    for c in context
                    if isinstance(c, Mapping)
                ),
            )
            if context
            else "<p>None.</p>",
        )
    )
    warnings = report.get("warnings") or []
    if warnings:
        body.append(
            _section(
                "warnings",
                "Warnings",
                "<ul>" + "".join(f"<li>{esc(w)}</li>" for w in warnings) + "</ul>",
            )
        )
    body.append(
        '</main>\n<footer class="page">omphalos certify · report '
        f"{esc(version)} · examples per kind: {esc(report.get('examples_limit'))} · "
        "self-contained: no network, no external assets</footer>"
    )
    nav = [
        ("verdict", "Verdict"),
        ("substantive", "Substantive"),
        ("procedural", "Procedural"),
        ("context", "Context"),
    ] + ([("warnings", "Warnings")] if warnings else [])
    return _page("omphalos certify: " + str(report.get("verdict")), "".join(body), nav)


def write_certify_html(report: Mapping[str, Any], out: Path) -> Path:
    """Write ``render_certify_html(report)`` to ``out`` and return it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_certify_html(report).encode("utf-8"))
    return out


# ---------------------------------------------------------------------------------------------
# omphalos report


def default_out(run_dir: Path) -> Path:
    """``artifacts/reports/<run_id>.html`` beside the runs folder (``<runs>/../reports``)."""
    return run_dir.resolve().parent.parent / "reports" / f"{run_dir.resolve().name}.html"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos report``."""
    parser.add_argument("--run-dir", required=True, type=Path, help="the sealed run directory")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the page to write, outside the run (default <runs>/../reports/<run_id>.html)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main_from_args(args: argparse.Namespace) -> int:
    """Verify the run, then write the report page with the verification result and the roots.
    0 verified, 1 the run has problems (the page is written and says so), 2 usage error."""
    from omphalos.verify import verify_run

    run_dir = Path(args.run_dir)
    if not (run_dir / MANIFEST_NAME).is_file():
        print(f"omphalos report: not a sealed run directory: {run_dir}", file=sys.stderr)
        return 2
    out = args.out if args.out is not None else default_out(run_dir)
    try:
        refuse_inside_sealed_run(out, "--out")
    except SealedRunPathError as exc:
        print(f"omphalos report: {exc}", file=sys.stderr)
        return 2
    result = verify_run(run_dir)
    try:
        path = write_report(run_dir, verification=result.to_dict(), out=out)
    except (ValueError, OSError) as exc:
        print(f"omphalos report: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "ok": result.ok,
                    "out": str(path),
                    "run_id": result.run_id,
                    "problems": len(result.problems),
                },
                sort_keys=True,
            )
        )
    else:
        status = "verified" if result.ok else f"NOT verified ({len(result.problems)} problem(s))"
        print(f"{path}  (run {result.run_id}: {status})")
    return 0 if result.ok else 1
