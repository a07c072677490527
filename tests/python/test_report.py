"""The run report page, review packets, the certify page and the progress helper."""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.certify import certify
from omphalos.evidence.manifest import META_FIELDS, build_manifest, write_manifest
from omphalos.evidence.verify import verify_run
from omphalos.presentation.certify_page import render_certify_html, write_certify_html
from omphalos.presentation.packets import (
    EVIDENCE_COLUMNS,
    MAX_CANDIDATES,
    PACKET_SCHEMA,
    PACKETS_DIR,
    evidence_from_columns,
    packet_stem,
    write_packets,
)
from omphalos.presentation.report import (
    REPORT_PATH,
    add_arguments,
    main_from_args,
    write_report,
)


def _manifest(run: Path) -> dict[str, Any]:
    return json.loads((run / "run_manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _reseal(run: Path, manifest: dict[str, Any]) -> None:
    """Seal ``run`` again with the metadata of ``manifest`` (as the run does at the end)."""
    meta = {k: manifest[k] for k in META_FIELDS}
    write_manifest(run, build_manifest(run, meta))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))}


def _q(sql: str, **files: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    try:
        for name, path in files.items():
            con.execute(f"create view {name} as select * from read_parquet('{path}')")
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# determinism and self-containment


def test_two_runs_give_byte_identical_page_and_packets(
    reported_run: Path, reported_run_twin: Path, sealed_run: Path, sealed_run_twin: Path
) -> None:
    assert _manifest(sealed_run)["run_id"] != _manifest(sealed_run_twin)["run_id"]
    tables_a = {t["name"]: t["logical_sha256"] for t in _manifest(sealed_run)["tables"]}
    tables_b = {t["name"]: t["logical_sha256"] for t in _manifest(sealed_run_twin)["tables"]}
    assert tables_a == tables_b, (
        "the two runs of the same inputs already differ in their exports (was the project "
        "edited between them?); the page and packets cannot be compared"
    )
    page_a = (reported_run / REPORT_PATH).read_bytes()
    page_b = (reported_run_twin / REPORT_PATH).read_bytes()
    assert page_a == page_b
    packets_a = _files(reported_run / PACKETS_DIR)
    packets_b = _files(reported_run_twin / PACKETS_DIR)
    assert packets_a and packets_a == packets_b
    # Rewriting in place gives the same bytes again.
    write_report(reported_run)
    assert (reported_run / REPORT_PATH).read_bytes() == page_a


def test_page_carries_nothing_run_specific(reported_run: Path, sealed_run: Path) -> None:
    page = (reported_run / REPORT_PATH).read_text(encoding="utf-8")
    assert _manifest(sealed_run)["run_id"] not in page
    assert str(reported_run) not in page and str(sealed_run) not in page
    assert str(Path.home()) + "/" not in page and "/tmp/" not in page
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page), "a timestamp in the page"
    assert _manifest(sealed_run)["merkle"]["payload_root"] not in page


def test_page_is_self_contained(reported_run: Path) -> None:
    page = (reported_run / REPORT_PATH).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:;" in page
    )
    assert "http:" not in page and "https:" not in page
    for attr in re.findall(r'\b(?:src|href|action|srcset|poster|data)\s*=\s*"([^"]*)"', page):
        assert not attr.startswith(("//", "http", "ftp", "ws")), attr
        if attr.startswith(("#", "data:")):
            continue
        # Any other link is relative, names a file of the run and cannot leave it.
        assert ":" not in attr and not attr.startswith("/"), attr
        target = ((reported_run / REPORT_PATH).parent / attr.split("#")[0]).resolve()
        assert target.is_relative_to(reported_run.resolve()), attr
    assert "<link" not in page.replace('<link rel="icon" href="data:,">', "")
    assert "@import" not in page and "url(" not in page
    assert "<iframe" not in page and "<object" not in page and "<embed" not in page
    assert page.count("<script>") == 2 and "<script src" not in page


# ---------------------------------------------------------------------------------------------
# what the page says


def test_page_answers_from_the_run(reported_run: Path) -> None:
    page = (reported_run / REPORT_PATH).read_text(encoding="utf-8")
    for anchor in (
        "overview",
        "verification",
        "inputs",
        "rules",
        "outputs",
        "charts",
        "review",
        "packets",
    ):
        assert f'<section id="{anchor}">' in page, anchor
    for chart in ("chart-exposure", "chart-scores", "chart-status", "chart-flows"):
        assert f'id="{chart}"' in page, chart
    assert page.count('<svg class="chart"') >= 6
    summary = json.loads((reported_run / "reports/summary.json").read_text(encoding="utf-8"))
    assert f'<div class="v">{summary["shipments"]:,}</div>' in page
    for status, n in summary["matches_by_status"].items():
        assert f"{status}: {n:,} candidates" in page
    # inputs and their digests
    admission = json.loads((reported_run / "reports/admission.json").read_text(encoding="utf-8"))
    for i in admission["inputs"]:
        assert f'title="{i["source_sha256"]}"' in page
        assert f"<code>{i['name']}</code>" in page
    # rules: thresholds from the run's config, and where they are stated
    for text in ("0.9000", "0.8000", "0.7000", "thresholds.match", "docs/matching.md"):
        assert text in page
    assert "macros/scoring/" in page and "macros/normalize.sql" in page
    # outputs by role
    for text in ("For consumption", "Needs human review", "Intermediate", "Procedural"):
        assert text in page
    # verification: stated how, never a root
    assert "Verification status is not stated on this page" in page
    assert "omphalos verify --run-dir" in page


def test_page_lists_rejected_rows(reported_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(reported_run, run)
    rejects = ['"input","file","row","column","reason","value"']
    rejects += [
        f'"shipments","shipments.csv",{row},"hs_code","not a 6-digit HS code","<b>{row}</b>"'
        for row in range(2, 62)
    ]
    (run / "inputs/rejects.csv").write_text("\n".join(rejects) + "\n", encoding="utf-8")
    admission = json.loads((run / "reports/admission.json").read_text(encoding="utf-8"))
    admission["rejects_by_reason"] = [
        {"input": "shipments", "column": "hs_code", "reason": "not a 6-digit HS code", "rows": 60}
    ]
    (run / "reports/admission.json").write_bytes(canonical_bytes(admission) + b"\n")
    page = write_report(run).read_text(encoding="utf-8")
    assert "Rejected rows by reason" in page and "not a 6-digit HS code" in page
    assert "first 50 of 60" in page
    assert "&lt;b&gt;2&lt;/b&gt;" in page and "<b>2</b>" not in page
    assert "&lt;b&gt;52&lt;/b&gt;" not in page  # beyond the first 50


def test_review_queue_shows_both_names_tokens_evidence_and_score(reported_run: Path) -> None:
    page = (reported_run / REPORT_PATH).read_text(encoding="utf-8")
    rows = _q(
        "select q.queue_position, q.match_status, cast(q.score as varchar), q.party_name, "
        "q.matched_name, q.party_name_sorted, q.registry_name_sorted, q.matched_tokens, "
        "q.country_evidence, q.entity_id "
        "from q join m using (match_id) order by queue_position limit 3",
        q=reported_run / "exports/review_queue.parquet",
        m=reported_run / "exports/entity_matches.parquet",
    )
    assert rows
    total = _q("select count(*) from q", q=reported_run / "exports/review_queue.parquet")[0][0]
    assert page.count('<article class="rq ') == min(100, total)
    for pos, status, score, party, listed, p_norm, r_norm, tokens, country, eid in rows:
        start = page.index(f'<span class="pos">#{pos}</span>')
        card = page[start : page.index("</article>", start)]
        assert f"score {score}" in card and status in card
        assert html.escape(party) in card and html.escape(listed) in card
        for token in (tokens or "").split():
            assert f"<mark>{html.escape(token)}</mark>" in card
            assert f'<span class="chip">{html.escape(token)}</span>' in card
        assert all(html.escape(t) in card for t in p_norm.split())
        assert all(html.escape(t) in card for t in r_norm.split())
        assert "Evidence for" in card and "Evidence against" in card
        assert f"country evidence <strong>{country}</strong>" in card
        assert f'href="../{PACKETS_DIR}/{packet_stem(eid)}.md"' in card
        assert (reported_run / PACKETS_DIR / f"{packet_stem(eid)}.md").is_file()


def test_sealing_after_the_report_verifies(
    reported_run: Path, sealed_run: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    shutil.copytree(reported_run, run)
    _reseal(run, _manifest(sealed_run))
    result = verify_run(run)
    assert result.ok, result.problems
    roles = {a["path"]: a["role"] for a in _manifest(run)["artifacts"]}
    assert roles[REPORT_PATH] == "payload"
    assert all(roles[p] == "payload" for p in roles if p.startswith(PACKETS_DIR + "/"))


# ---------------------------------------------------------------------------------------------
# the verified page (outside the run) and `omphalos report`


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_verified_page_shows_status_and_roots(sealed_run: Path, tmp_path: Path) -> None:
    result = verify_run(sealed_run)
    out = write_report(sealed_run, verification=result.to_dict(), out=tmp_path / "r.html")
    page = out.read_text(encoding="utf-8")
    m = _manifest(sealed_run)
    assert "VERIFIED" in page and "NOT VERIFIED" not in page
    assert m["run_id"] in page and m["merkle"]["payload_root"] in page
    assert m["merkle"]["all_root"] in page and m["metadata_sha256"] in page
    with pytest.raises(ValueError, match="outside"):
        write_report(sealed_run, verification=result.to_dict(), out=sealed_run / "x.html")
    with pytest.raises(ValueError, match="out"):
        write_report(sealed_run, verification=result.to_dict())
    assert verify_run(sealed_run).ok


def test_report_command(
    sealed_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "page.html"
    assert main_from_args(_args(["--run-dir", str(sealed_run), "--out", str(out), "--json"])) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] is True and printed["out"] == str(out) and out.is_file()
    tampered = tmp_path / "tampered"
    shutil.copytree(sealed_run, tampered)
    with (tampered / "exports/entity_scores.csv").open("a", encoding="utf-8") as fh:
        fh.write("tampered\n")
    bad = tmp_path / "bad.html"
    assert main_from_args(_args(["--run-dir", str(tampered), "--out", str(bad)])) == 1
    page = bad.read_text(encoding="utf-8")
    assert "NOT VERIFIED" in page and "exports/entity_scores.csv" in page
    assert main_from_args(_args(["--run-dir", str(tmp_path / "nope")])) == 2


# ---------------------------------------------------------------------------------------------
# review packets


def test_one_packet_per_alerting_entity_each_self_explanatory(reported_run: Path) -> None:
    entities = {
        r[0]
        for r in _q(
            "select distinct entity_id from m where match_status in ('MATCH', 'REVIEW')",
            m=reported_run / "exports/entity_matches.parquet",
        )
    }
    folder = reported_run / PACKETS_DIR
    stems = {p.stem for p in folder.glob("*.json")}
    assert stems == {packet_stem(e) for e in entities}
    assert {p.stem for p in folder.glob("*.md")} == stems
    admission = json.loads((reported_run / "reports/admission.json").read_text(encoding="utf-8"))
    digests = {i["name"]: i["source_sha256"] for i in admission["inputs"]}
    names = pq.read_table(reported_run / "inputs/admitted/registry_names.parquet").to_pylist()
    queue = pq.read_table(reported_run / "exports/review_queue.parquet").to_pylist()
    checked = 0
    for eid in sorted(entities)[:40]:
        raw = (folder / f"{packet_stem(eid)}.json").read_bytes()
        packet = json.loads(raw)
        assert raw == canonical_bytes(packet) + b"\n"
        assert packet["schema_version"] == PACKET_SCHEMA
        assert packet["entity"]["entity_id"] == eid
        assert {n["name_id"] for n in packet["entity"]["names"]} == {
            n["name_id"] for n in names if n["entity_id"] == eid
        }
        expected = {q["match_id"] for q in queue if q["entity_id"] == eid}
        listed = {c["match_id"] for c in packet["candidates"]}
        if len(expected) <= MAX_CANDIDATES:
            assert listed == expected
        for c in packet["candidates"]:
            assert c["match_status"] in ("MATCH", "REVIEW")
            assert c["party"]["name"] and c["registry"]["name"]
            assert c["party"]["normalized"] and c["registry"]["normalized"]
            assert isinstance(c["matched_tokens"], list) and c["score"]
            assert c["evidence_for"], c["evidence"]
        assert {i["name"]: i["source_sha256"] for i in packet["run"]["inputs"]} == digests
        assert packet["rules"]["thresholds"] == {
            "match": "0.9000",
            "review": "0.8000",
            "candidate_floor": "0.7000",
        }
        assert f"--only {PACKETS_DIR}/{packet_stem(eid)}.json" in packet["verification"]
        md = (folder / f"{packet_stem(eid)}.md").read_text(encoding="utf-8")
        assert eid in md and "## Candidates to confirm or clear" in md
        assert "omphalos release build" in md and "## How the score was made" in md
        for c in packet["candidates"][:3]:
            assert c["match_id"] in md
        checked += 1
    assert checked


def test_packets_are_bounded(reported_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(reported_run, run)
    shutil.rmtree(run / PACKETS_DIR)
    written = write_packets(run, max_packets=3, max_candidates=2, max_cleared=1)
    assert len(written) == 6
    for path in written:
        if path.suffix != ".json":
            continue
        packet = json.loads(path.read_text(encoding="utf-8"))
        s = packet["summary"]
        assert len(packet["candidates"]) <= 2 and len(packet["cleared_candidates"]) <= 1
        total = s["candidates"]["MATCH"] + s["candidates"]["REVIEW"]
        assert s["omitted"]["alerting"] == total - len(packet["candidates"])
    # the three most urgent entities: the first three distinct entities of the queue
    firsts: list[str] = []
    for (eid,) in _q(
        "select entity_id from q order by queue_position", q=run / "exports/review_queue.parquet"
    ):
        if eid not in firsts:
            firsts.append(eid)
    assert {p.stem for p in written} == {packet_stem(e) for e in firsts[:3]}


def test_packets_written_by_forked_workers_are_the_bytes_of_one_process(
    reported_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run with many packets renders them in forked workers, tasks of PACKETS_PER_TASK each:
    the files are those one process writes, byte for byte (the packets are cited by the seal)."""
    from omphalos.presentation import packets

    def written(folder: str, workers: int) -> dict[str, bytes]:
        run = tmp_path / folder
        shutil.copytree(reported_run, run)
        shutil.rmtree(run / PACKETS_DIR)
        monkeypatch.setattr(packets, "PACKETS_PER_TASK", 2)
        monkeypatch.setattr(packets, "_packet_workers", lambda n: workers)
        done: list[tuple[int, int]] = []
        paths = write_packets(run, progress=lambda i, n: done.append((i, n)))
        assert done[-1][0] == done[-1][1] == len(paths) // 2
        return {p.name: p.read_bytes() for p in paths}

    one = written("one", 1)
    assert len(one) > 8  # several tasks of two packets
    assert written("forked", 2) == one


def test_packet_stem_is_safe_and_injective() -> None:
    assert packet_stem("DEMO-000001") == "DEMO-000001"
    odd = ["OFAC:123", "OFAC/123", "../etc", ".hidden", "a b", "ÄÖ", ""]
    stems = [packet_stem(e) for e in odd]
    assert len(set(stems)) == len(odd)
    for s in stems:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", s), s


def _rule_row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(EVIDENCE_COLUMNS)
    row.update(
        {c: False for c in EVIDENCE_COLUMNS if c.endswith(("_veto", "_cap", "_equal", "_decisive"))}
    )
    row.update({c: Decimal("0.0000") for c in EVIDENCE_COLUMNS if c.endswith("_effect")})
    row.update(name_score="0.8500", alignment="0.8000", matched_name_type="primary")
    row.update(country_evidence="unknown")
    row.update(overrides)
    return row


def test_evidence_comes_from_the_rule_columns() -> None:
    ev = evidence_from_columns(
        _rule_row(
            rule_numbers_veto=True,
            rule_single_token_effect=Decimal("-0.0800"),
            rule_country_effect=Decimal("-0.0500"),
            country_evidence="conflict",
            rule_kind_mismatch_effect=Decimal("-0.1000"),
            party_kind="organization",
            party_kind_source="inferred: legal form llc",
            entity_kind="person",
            rule_weak_alias_cap=True,
            matched_name_type="weak_alias",
        )
    )
    assert ev.supporting == ("name similarity 0.8500 (token alignment 0.8000)",)
    assert "single-token name (-0.08)" in ev.against
    assert "country conflict (-0.05)" in ev.against
    assert any(a.startswith("kinds differ: party organization") for a in ev.against)
    assert len(ev.against) == 5
    assert ev.context == ("matched through the entity's weak alias name",)
    ev = evidence_from_columns(
        _rule_row(
            name_score="1.0000",
            alignment="1.0000",
            rule_names_equal=True,
            rule_country_effect=Decimal("0.0300"),
            country_evidence="listed",
        )
    )
    assert ev.supporting == (
        "name similarity 1.0000 (token alignment 1.0000)",
        "names equal after normalization",
        "country listed (+0.03)",
    )
    assert not ev.against
    ev = evidence_from_columns(
        _rule_row(
            alignment=None,
            name_score="0.0000",
            rule_imo_decisive=True,
            party_imo="9074729",
            entity_kind="vessel",
        )
    )
    assert ev.supporting[0] == "IMO 9074729 equal to the listed vessel's (decisive)"
    ev = evidence_from_columns(
        _rule_row(rule_kind_conflict_cap=True, kind_conflict="listed vessel, party organization")
    )
    assert ev.against == (
        "kinds differ: listed vessel, party organization (never the same: at most the floor)",
    )


# ---------------------------------------------------------------------------------------------
# certify page


def test_certify_page_equivalent_and_different(
    sealed_run: Path, sealed_run_twin: Path, tmp_path: Path
) -> None:
    same = certify(sealed_run, sealed_run_twin).report
    page = render_certify_html(same)
    assert "EQUIVALENT" in page and same["runs"]["a"]["payload_root"] in page
    assert render_certify_html(same) == page
    assert "http:" not in page and "https:" not in page

    changed = tmp_path / "changed"
    shutil.copytree(sealed_run_twin, changed)
    manifest = _manifest(changed)
    (changed / "run_manifest.json").unlink()
    table = pq.read_table(changed / "exports/entity_scores.parquet")
    first = table.column("entity_id")[0].as_py()
    pq.write_table(table.slice(1), changed / "exports/entity_scores.parquet")
    _reseal(changed, manifest)
    assert verify_run(changed).ok
    report = certify(sealed_run, changed).report
    assert report["verdict"] == "different"
    out = write_certify_html(report, tmp_path / "certify.html")
    page = out.read_text(encoding="utf-8")
    assert "DIFFERENT" in page and "exports/entity_scores.parquet" in page
    assert "only in A" in page and first in page
    assert '<section id="substantive">' in page and '<section id="procedural">' in page
    with pytest.raises(ValueError):
        render_certify_html({"schema_version": "nope"})


# ---------------------------------------------------------------------------------------------
# progress
