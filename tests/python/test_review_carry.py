"""Decisions that carry into the next run (config key decisions:) and what changed since a
previous run (previous_run:, --previous-run), on the small test inputs (docs/review.md)."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from omphalos.errors import InputError
from omphalos.evidence.review import append_decision, build_decision, read_decisions
from omphalos.evidence.verify import verify_run
from omphalos.pipeline.changes import project_sha256
from omphalos.pipeline.config import load_config
from omphalos.pipeline.run import execute_run

INPUTS = ("shipments", "registry_entities", "registry_names", "registry_identifiers")


def _config(folder: Path, inputs: Path, name: str, extra: str = "") -> Path:
    lines = [f"name: {name}", 'as_of_date: "2026-10-31"', "inputs:"]
    lines += [f"  {k}: {inputs / (k + '.csv')}" for k in INPUTS]
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def _rows(run: Path, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(run / "exports" / f"{name}.parquet").to_pylist()
    return rows


def _summary(run: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((run / "reports" / "summary.json").read_text("utf-8"))
    return doc


def _key(r: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (r["party_name"], r["entity_id"], r["matched_name"])


@pytest.fixture(scope="module")
def carried(
    sealed_run: Path, small_inputs: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Run 1 is `sealed_run`; a reviewer clears one queued REVIEW candidate as a false positive
    and confirms one MATCH as a true match; run 2 is the same inputs with `decisions:` and
    `previous_run:` (run 1)."""
    folder = tmp_path_factory.mktemp("carry")
    queue = _rows(sealed_run, "review_queue")
    cleared = next(r for r in queue if r["match_status"] == "REVIEW")
    confirmed = next(r for r in queue if r["match_status"] == "MATCH")
    log = folder / "decisions.jsonl"
    for row, decision in ((cleared, "false_positive"), (confirmed, "true_match")):
        record = build_decision(
            sealed_run, row["match_id"], decision, "checked the registration number",
            "Alice Reviewer", "2026-11-01T10:00:00Z",
        )  # fmt: skip
        append_decision(log, record, sealed_run)
    config = _config(
        folder,
        small_inputs,
        "carry",
        f"decisions: decisions.jsonl\nprevious_run: {sealed_run}\n"
        "catalog_queries:\n  - name: queue_completeness\n",
    )
    run2 = execute_run(config, runs_root=folder / "runs", threads=2)
    return {
        "folder": folder,
        "log": log,
        "run1": sealed_run,
        "run2": run2,
        "cleared": cleared,
        "confirmed": confirmed,
    }


def test_a_cleared_false_positive_is_not_queued_again(carried: dict[str, Any]) -> None:
    run2, cleared, confirmed = carried["run2"], carried["cleared"], carried["confirmed"]
    assert verify_run(run2).ok
    records = read_decisions(carried["log"])
    matches = {r["match_id"]: r for r in _rows(run2, "entity_matches")}
    queue = {r["match_id"]: r for r in _rows(run2, "review_queue")}
    # the cleared candidate stays in entity_matches, same status and score, with its decision
    m = matches[cleared["match_id"]]
    assert (m["match_status"], m["score"]) == (cleared["match_status"], cleared["score"])
    assert m["prior_decision"] == "false_positive" and m["prior_decision_status"] == "applies"
    assert m["prior_decision_reviewer"] == "Alice Reviewer"
    assert m["prior_decision_reason"] == "checked the registration number"
    assert m["prior_decision_at"] == "2026-11-01T10:00:00Z"
    assert m["prior_decision_id"] == records[0]["decision_id"]
    # every candidate of the same party name, entity and matched name carries it, none queued
    same = [r for r in matches.values() if _key(r) == _key(cleared)]
    assert same and all(r["prior_decision_id"] == records[0]["decision_id"] for r in same)
    assert not any(r["match_id"] in queue for r in same)
    # a true match carries forward: still queued, as MATCH, with the decision shown
    q = queue[confirmed["match_id"]]
    assert q["match_status"] == "MATCH" and q["prior_decision"] == "true_match"
    assert q["prior_decision_status"] == "applies"
    # the queue is run 1's queue without the cleared candidates, nothing else
    run1_queue = {r["match_id"] for r in _rows(carried["run1"], "review_queue")}
    assert set(queue) == run1_queue - {r["match_id"] for r in same}
    # candidates without a decision carry none
    assert sum(r["prior_decision"] is not None for r in matches.values()) == len(same) + sum(
        _key(r) == _key(confirmed) for r in matches.values()
    )
    prior = _summary(run2)["prior_decisions"]
    assert prior["decisions"] == 2 and prior["cleared_not_queued"] == len(same)


def test_the_log_is_an_admitted_input_of_the_run(carried: dict[str, Any]) -> None:
    run2, log = carried["run2"], carried["log"]
    raw = log.read_bytes()
    assert (run2 / "inputs" / "review_decisions.jsonl").read_bytes() == raw
    admitted = pq.read_table(run2 / "inputs" / "admitted" / "review_decisions.parquet")
    assert admitted.column("seq").to_pylist() == [0, 1]
    assert admitted.column("decision").to_pylist() == ["false_positive", "true_match"]
    manifest = json.loads((run2 / "run_manifest.json").read_text("utf-8"))
    entry = next(i for i in manifest["inputs"] if i["name"] == "review_decisions")
    assert entry["source_sha256"] == hashlib.sha256(raw).hexdigest()
    assert entry["rows_admitted"] == 2 and entry["format"] == "jsonl"
    roles = {a["path"]: a["role"] for a in manifest["artifacts"]}
    assert roles["inputs/review_decisions.jsonl"] == "payload"
    assert roles["inputs/admitted/review_decisions.parquet"] == "payload"
    assert roles["exports/changes_since_previous.parquet"] == "payload"
    assert manifest["dbt"]["project_sha256"] == project_sha256()
    # the catalog's audit of the queue counts the cleared candidates apart, nothing missing
    audit = pq.read_table(run2 / "catalog" / "queue_completeness.parquet").to_pylist()
    assert sum(r["missing_from_queue"] for r in audit) == 0
    assert (
        sum(r["cleared_by_prior_decision"] for r in audit)
        == _summary(run2)["prior_decisions"]["cleared_not_queued"]
    )


def test_the_change_since_the_previous_run_is_attributed_to_the_decision(
    carried: dict[str, Any],
) -> None:
    run1, run2, cleared = carried["run1"], carried["run2"], carried["cleared"]
    changes = _rows(run2, "changes_since_previous")
    same = {r["match_id"] for r in _rows(run2, "entity_matches") if _key(r) == _key(cleared)}
    queued_before = {r["match_id"] for r in _rows(run1, "review_queue")}
    # same inputs, same rules: the only changes are the candidates the decision took off
    assert {r["match_id"] for r in changes} == same & queued_before
    for r in changes:
        assert (r["change"], r["cause"], r["causes"]) == ("changed", "decision", "decision")
        assert (r["previous_queued"], r["current_queued"]) == (True, False)
        assert r["previous_status"] == r["current_status"]
        assert r["previous_score"] == r["current_score"]
    summary = _summary(run2)["changes_since_previous"]
    manifest1 = json.loads((run1 / "run_manifest.json").read_text("utf-8"))
    assert summary["previous_run_id"] == manifest1["run_id"]
    assert summary["previous_payload_root"] == manifest1["merkle"]["payload_root"]
    assert summary["by_cause"] == {"decision": len(changes)}
    assert (summary["new"], summary["gone"], summary["changed"]) == (0, 0, len(changes))
    assert summary["thresholds_changed"] == {} and summary["rules_changed"] is False
    with (run2 / "exports" / "changes_since_previous.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(changes)
    # the report and the packet show them
    page = (run2 / "reports" / "index.html").read_text("utf-8")
    assert 'id="decisions"' in page and cleared["match_id"] in page
    packets = "".join(p.read_text("utf-8") for p in (run2 / "exports" / "packets").glob("*.md"))
    assert "**Prior decision**: false\\_positive by Alice Reviewer" in packets


def test_a_run_without_decisions_is_unchanged(carried: dict[str, Any]) -> None:
    run1 = carried["run1"]
    assert not (run1 / "inputs" / "review_decisions.jsonl").exists()
    assert not (run1 / "exports" / "changes_since_previous.parquet").exists()
    assert "prior_decisions" not in _summary(run1)
    assert 'id="decisions"' not in (run1 / "reports" / "index.html").read_text("utf-8")
    assert all(r["prior_decision"] is None for r in _rows(run1, "entity_matches"))


def test_a_changed_list_entry_requeues_and_is_the_cause(
    carried: dict[str, Any], small_inputs: Path, tmp_path: Path
) -> None:
    """The cleared entity's list entry gains a remark: its candidates are queued again, shown
    with prior_decision_status list_entry_changed, and the change is attributed to the entry."""
    cleared = carried["cleared"]
    inputs = tmp_path / "inputs"
    shutil.copytree(small_inputs, inputs)
    path = inputs / "registry_entities.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = list(reader.fieldnames or []), list(reader)
    for r in rows:
        if r["entity_id"] == cleared["entity_id"]:
            r["remarks"] = (r["remarks"] + " " if r["remarks"] else "") + "Address updated."
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    shutil.copy(carried["log"], tmp_path / "decisions.jsonl")
    config = _config(tmp_path, inputs, "changed", "decisions: decisions.jsonl\n")
    run3 = execute_run(config, runs_root=tmp_path / "runs", threads=2, previous_run=carried["run2"])
    queue = {r["match_id"]: r for r in _rows(run3, "review_queue")}
    q = queue[cleared["match_id"]]
    assert q["prior_decision"] == "false_positive"
    assert q["prior_decision_status"] == "list_entry_changed"
    changes = {r["match_id"]: r for r in _rows(run3, "changes_since_previous")}
    c = changes[cleared["match_id"]]
    assert (c["change"], c["cause"]) == ("changed", "list_entry_changed")
    assert (c["previous_queued"], c["current_queued"]) == (False, True)
    assert _summary(run3)["prior_decisions"]["requeued_list_entry_changed"] >= 1


def test_a_broken_log_or_an_unverified_previous_run_stops_the_run(
    carried: dict[str, Any], small_inputs: Path, tmp_path: Path
) -> None:
    lines = carried["log"].read_bytes().splitlines(keepends=True)
    (tmp_path / "broken.jsonl").write_bytes(lines[1])  # the first decision removed
    runs = tmp_path / "runs"
    config = _config(tmp_path, small_inputs, "broken", "decisions: broken.jsonl\n")
    with pytest.raises(InputError, match=r"decisions: broken\.jsonl: .*chain is broken"):
        execute_run(config, runs_root=runs)
    event = json.loads(lines[0])
    event["data"]["reason"] = "edited afterwards"
    (tmp_path / "edited.jsonl").write_text(json.dumps(event) + "\n", encoding="utf-8")
    config = _config(tmp_path, small_inputs, "edited", "decisions: edited.jsonl\n")
    with pytest.raises(InputError, match=r"decisions: edited\.jsonl"):
        execute_run(config, runs_root=runs)
    config = _config(tmp_path, small_inputs, "missing", "decisions: nowhere.jsonl\n")
    with pytest.raises(InputError, match="not found"):
        execute_run(config, runs_root=runs)
    tampered = tmp_path / "tampered"
    shutil.copytree(carried["run1"], tampered)
    (tampered / "exports" / "entity_matches.csv").write_text("edited\n", encoding="utf-8")
    config = _config(tmp_path, small_inputs, "prev")
    with pytest.raises(InputError, match=r"previous_run: .*does not verify"):
        execute_run(config, runs_root=runs, previous_run=tampered)
    with pytest.raises(InputError, match="not a sealed run"):
        execute_run(config, runs_root=runs, previous_run=tmp_path)
    assert not runs.exists() or not any(runs.iterdir())  # nothing was started


def test_cli_exit_codes(carried: dict[str, Any], small_inputs: Path, tmp_path: Path) -> None:
    from omphalos.cli.app import main

    (tmp_path / "broken.jsonl").write_bytes(carried["log"].read_bytes().splitlines()[1] + b"\n")
    config = _config(tmp_path, small_inputs, "cli", "decisions: broken.jsonl\n")
    assert main(["run", "--config", str(config), "--runs-root", str(tmp_path / "r")]) == 2
    config = _config(tmp_path, small_inputs, "cli2")
    argv = ["run", "--config", str(config), "--runs-root", str(tmp_path / "r")]
    assert main([*argv, "--previous-run", str(tmp_path)]) == 2


def test_config_keys_resolve_against_the_config_folder(tmp_path: Path) -> None:
    config = _config(tmp_path, tmp_path, "keys", "decisions: d/log.jsonl\nprevious_run: ../run\n")
    cfg = load_config(config)
    assert cfg.decisions == (tmp_path / "d" / "log.jsonl").resolve()
    assert cfg.previous_run == (tmp_path.parent / "run").resolve()
    assert cfg.decisions_label == "d/log.jsonl"
    bad = _config(tmp_path, tmp_path, "bad", "decisions: ''\n")
    with pytest.raises(InputError, match="decisions: must not be empty"):
        load_config(bad)
    bad = _config(tmp_path, tmp_path, "bad2", "previous_runs: x\n")
    with pytest.raises(InputError, match="did you mean previous_run"):
        load_config(bad)
