"""The run report a reviewer reads: one self-contained HTML page per run (docs/report.md).

``write_report(run_dir)`` writes ``reports/index.html`` inside the run before it is sealed. It is
a payload file, so it is deterministic: the same inputs and config give the same bytes (no clock,
no run id, no absolute path, no Merkle root: the root that seals the page cannot be in it). It
answers from the run's own files: what was admitted and rejected, which rules and thresholds
governed matching and where they are stated, which outputs are for consumption, which are
intermediate and which need human review, with charts (inline SVG) and the top of the review
queue with both names side by side.

``write_report(run_dir, verification=verify_run(run_dir).to_dict(), out=FILE)`` renders the same
page for a sealed run with its verification status, run id and Merkle roots, to a file outside
the run (``omphalos report``).

This module reads the run into data (:class:`RunData`); the charts are laid out by
``omphalos.presentation.charts``; the markup is the Jinja2 templates
``templates/report.html.j2`` (sections), ``templates/charts.html.j2`` (the SVG charts as macros)
and ``templates/page.html.j2`` (the page shell, with ``assets/report.css`` and the two scripts
inlined under a Content-Security-Policy that forbids any network access).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from omphalos.evidence.canonical import loads_strict, sha256_file
from omphalos.evidence.manifest import MANIFEST_NAME, classify
from omphalos.pipeline.export import run_contracts
from omphalos.pipeline.paths import SealedRunPathError, refuse_inside_sealed_run
from omphalos.presentation.charts import (
    STATUS_CLASS,
    Bar,
    HBarChart,
    Heatmap,
    Histogram,
    Segment,
    hbar_chart,
    heatmap,
    score_histogram,
)
from omphalos.presentation.data_tests import DATA_TESTS_PATH, TIMINGS_PAGE, read_data_tests
from omphalos.presentation.packets import (
    EVIDENCE_COLUMNS,
    MAX_PACKETS,
    PACKETS_DIR,
    STATED_IN,
    Evidence,
    Rules,
    RunFiles,
    candidate_view,
    evidence_from_columns,
    input_digests,
    load_rules,
    packet_stem,
    select_packet_entities,
)
from omphalos.presentation.templating import asset, decimal_or_zero, html_env, money, money_short

__all__ = [
    "REPORT_PATH",
    "REVIEW_LIMIT",
    "add_arguments",
    "main_from_args",
    "render_report",
    "write_report",
]

REPORT_PATH = "reports/index.html"
#: Review-queue candidates shown on the page (the rest are in the exports and packets).
REVIEW_LIMIT = 100
#: Rejected rows shown on the page (all are in inputs/rejects.csv).
REJECTS_LIMIT = 50
#: Where the run's reporting models are exported (the meta.export_dir of the reporting models).
REPORTING_DIR = "exports/reporting"
#: The badge of a data test's status.
TEST_BADGE = {"pass": "ok", "fail": "bad", "error": "bad"}
#: Rows of the decisions and changes tables shown on the page.
CHANGES_LIMIT = 100

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
                packets_bytes += os.stat(os.path.join(dirpath, name)).st_size
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


def _packet_files(run_dir: Path) -> set[str]:
    """Names of the files (``is_file``) in the packets folder: one directory read, not a stat
    per packet."""
    try:
        with os.scandir(run_dir / PACKETS_DIR) as entries:
            return {e.name for e in entries if e.is_file()}
    except (FileNotFoundError, NotADirectoryError):
        return set()


def _gather(run_dir: Path, review_limit: int, exclude: set[str], *, hash_files: bool) -> RunData:
    files = RunFiles(run_dir)
    admission = _read_json(run_dir / "reports" / "admission.json")
    summary = _read_json(run_dir / "reports" / "summary.json")
    config_path = run_dir / "config" / "run_config.yaml"
    config_text = (
        config_path.read_bytes().decode("utf-8", "replace") if config_path.is_file() else ""
    )
    tables: dict[str, int] = {}
    # the screening marts (export_dir exports) as the run's dbt manifest names them
    for name, contract in run_contracts(run_dir).items():
        rel = f"{contract.export_dir}/{name}.parquet"
        if contract.export_dir == "exports" and files.has(rel):
            tables[name] = pq.ParquetFile(run_dir / rel).metadata.num_rows

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
            written = _packet_files(run_dir)
            for eid in ids:
                stem = packet_stem(eid)
                if f"{stem}.json" not in written:
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
        (str(d), str(c)): (decimal_or_zero(v), int(n))
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
# what the sections show, beyond the run's data


@dataclasses.dataclass(frozen=True)
class ReviewCard:
    """One review-queue candidate as the page shows it."""

    row: Mapping[str, Any]
    tokens: frozenset[str]
    evidence: Evidence
    against: tuple[str, ...]
    packet: str | None
    search: str


def _review_cards(d: RunData) -> list[ReviewCard]:
    stems = {p["entity_id"]: p["stem"] for p in d.packets}
    cards = []
    for c in d.review:
        ev = evidence_from_columns(c)
        stem = stems.get(str(c["entity_id"]))
        search = " ".join(
            str(x or "")
            for x in (
                c["party_name"],
                c["matched_name"],
                c["entity_primary_name"],
                str(c["entity_id"]),
                c["shipment_id"],
                c["party_name_sorted"],
                c["registry_name_sorted"],
                c["programs"],
            )
        ).lower()
        cards.append(
            ReviewCard(
                row=c,
                tokens=frozenset((c["matched_tokens"] or "").split()),
                evidence=ev,
                against=tuple(ev.against) or ("nothing recorded against",),
                packet=f"{PACKETS_DIR}/{stem}.md" if stem else None,
                search=search,
            )
        )
    return cards


def _exposure_chart(d: RunData) -> HBarChart | None:
    if not d.exposure:
        return None
    bars = [
        Bar(
            label=f"{e['exposure_rank']}. {e['primary_name'] or e['entity_id']}",
            segments=(
                Segment(
                    float(decimal_or_zero(e["exposure_score"])),
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
    return hbar_chart(
        bars,
        label="Exposure ranking",
        axis="exposure score",
        tick_format=lambda v: f"{v:.2f}",
        scale_max=1.0,
    )


def _score_chart(d: RunData) -> Histogram | None:
    if not d.histogram:
        return None
    r = d.rules
    lo = min(min(d.histogram), int(decimal_or_zero(r.candidate_floor) * 100))
    return score_histogram(
        d.histogram,
        lo=max(0, lo),
        thresholds=[
            (decimal_or_zero(r.review_threshold), "review", "s-review"),
            (decimal_or_zero(r.match_threshold), "match", "s-match"),
        ],
    )


def _status_chart(d: RunData) -> HBarChart | None:
    if not d.status:
        return None
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
            note=f"{s['candidates']:,} cand. · {s['entities']:,} ent. · {s['shipments']:,} ship.",
        )
        for s in d.status
    ]
    return hbar_chart(
        bars,
        label="Candidates by status",
        axis="candidates",
        scale_max=float(peak),
        label_w=120,
        note_w=260,
    )


def _flow_bars(rows: Sequence[Mapping[str, Any]], kind: str) -> list[Bar]:
    out = []
    for row in rows:
        mv, rv = decimal_or_zero(row["match_value"]), decimal_or_zero(row["review_value"])
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


def _flow_charts(d: RunData) -> list[tuple[str, HBarChart]]:
    """(title, chart) by destination country, origin country and HS chapter."""
    f = d.flows
    out = []
    for title, key, kind in (
        ("By destination country", "destination", "country"),
        ("By origin country", "origin", "country"),
        ("By HS chapter", "chapter", "chapter"),
    ):
        if f.get(key):
            out.append(
                (
                    title,
                    hbar_chart(
                        _flow_bars(f[key], kind),
                        label=f"Flagged value {title.lower()}",
                        axis="declared value (USD)",
                        tick_format=lambda v: money_short(Decimal(str(round(v, 2)))),
                        label_w=150,
                        bar_w=250,
                        note_w=150,
                    ),
                )
            )
    return out


def _flow_heatmap(d: RunData) -> Heatmap | None:
    f = d.flows
    if not f.get("heat"):
        return None
    return heatmap(
        f["heat_rows"],
        f["heat_cols"],
        f["heat"],
        label="Flagged value by destination country and HS chapter",
        col_label=lambda c: f"HS {c}",
    )


@dataclasses.dataclass(frozen=True)
class Carried:
    """Prior reviewer decisions carried into the run and the changes since a previous run."""

    prior: Mapping[str, Any] | None
    prior_rows: list[dict[str, Any]] | None
    changes: Mapping[str, Any] | None
    change_rows: list[dict[str, Any]] | None


def _carried(run_dir: Path, summary: Mapping[str, Any]) -> Carried | None:
    """None when the run had neither ``decisions:`` nor ``previous_run:`` (docs/review.md)."""
    prior = summary.get("prior_decisions")
    changes = summary.get("changes_since_previous")
    if not isinstance(prior, Mapping) and not isinstance(changes, Mapping):
        return None
    prior_rows = change_rows = None
    con = duckdb.connect()
    try:
        matches = run_dir / "exports" / "entity_matches.parquet"
        if isinstance(prior, Mapping) and matches.is_file():
            prior_rows = _rows(
                con,
                "select match_id, party_name, entity_id, matched_name, match_status, "
                "prior_decision, prior_decision_status, prior_decision_reviewer, "
                "prior_decision_at, prior_decision_reason, prior_decision_id "
                f"from read_parquet({_lit(str(matches))}) where prior_decision is not null "
                f"order by match_id limit {CHANGES_LIMIT}",
            )
        path = run_dir / "exports" / "changes_since_previous.parquet"
        if isinstance(changes, Mapping) and path.is_file():
            queued = {True: "queued", False: "not queued", None: "—"}
            change_rows = [
                {
                    **r,
                    "before": f"{r['previous_status'] or '—'} {r['ps'] or ''} "
                    f"{queued[r['previous_queued']]}",
                    "now": f"{r['current_status'] or '—'} {r['cs'] or ''} "
                    f"{queued[r['current_queued']]}",
                }
                for r in _rows(
                    con,
                    "select match_id, change, causes, party_name, entity_primary_name, "
                    "previous_status, current_status, cast(previous_score as varchar) as ps, "
                    "cast(current_score as varchar) as cs, previous_queued, current_queued "
                    f"from read_parquet({_lit(str(path))}) order by match_id "
                    f"limit {CHANGES_LIMIT}",
                )
            ]
    finally:
        con.close()
    return Carried(
        prior=prior if isinstance(prior, Mapping) else None,
        prior_rows=prior_rows,
        changes=changes if isinstance(changes, Mapping) else None,
        change_rows=change_rows,
    )


@dataclasses.dataclass(frozen=True)
class Verified:
    """What the copy rendered after sealing states (``omphalos report``)."""

    ok: bool
    run_id: str
    roots: Mapping[str, Any]
    merkle: Mapping[str, Any]
    manifest: Mapping[str, Any]
    counts: Mapping[str, Any]
    signature: Mapping[str, Any]
    problems: list[Mapping[str, Any]]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _verified(run_dir: Path, verification: Mapping[str, Any]) -> Verified:
    manifest = _read_json(run_dir / MANIFEST_NAME)
    return Verified(
        ok=bool(verification.get("ok")),
        run_id=str(verification.get("run_id") or manifest.get("run_id") or run_dir.name),
        roots=_mapping(verification.get("roots")),
        merkle=_mapping(manifest.get("merkle")) if isinstance(manifest.get("merkle"), dict) else {},
        manifest=manifest,
        counts=_mapping(verification.get("counts")),
        signature=_mapping(verification.get("signature")),
        problems=[p for p in verification.get("problems") or [] if isinstance(p, Mapping)],
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
    carried = _carried(run_dir, d.summary)
    nav = [
        ("overview", "Overview"),
        ("verification", "Verification"),
        ("inputs", "Inputs"),
        ("rules", "Rules"),
        ("tests", "Data tests"),
        ("outputs", "Outputs"),
        ("charts", "Charts"),
        ("review", "Review queue"),
        ("packets", "Packets"),
    ]
    if carried is not None:
        nav.insert(nav.index(("packets", "Packets")), ("decisions", "Decisions and changes"))
    return (
        html_env()
        .get_template("report.html.j2")
        .render(
            d=d,
            nav=nav,
            asset=asset,
            verified=_verified(run_dir, verification) if verification is not None else None,
            link_packets=not live,
            in_run=not live,
            data_tests=read_data_tests(run_dir),
            DATA_TESTS_PATH=DATA_TESTS_PATH,
            TIMINGS_PAGE=TIMINGS_PAGE,
            TEST_BADGE=TEST_BADGE,
            by_status={r["status"]: r for r in d.status},
            admitted=sum(int(i.get("rows_admitted") or 0) for i in d.inputs),
            rejected=sum(int(i.get("rows_rejected") or 0) for i in d.inputs),
            rule_lines=d.rules.lines,
            stated_in=STATED_IN,
            config_lines="\n".join(d.config_text.splitlines()[:200]),
            exposure_chart=_exposure_chart(d),
            score_chart=_score_chart(d),
            status_chart=_status_chart(d),
            flow_charts=_flow_charts(d),
            flow_heatmap=_flow_heatmap(d),
            cards=_review_cards(d),
            carried=carried,
            REPORT_PATH=REPORT_PATH,
            PACKETS_DIR=PACKETS_DIR,
            MAX_PACKETS=MAX_PACKETS,
            REVIEW_LIMIT=REVIEW_LIMIT,
        )
    )


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
    from omphalos.evidence.verify import verify_run

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
