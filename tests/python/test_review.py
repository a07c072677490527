"""omphalos review: decisions bound to a verified run, in a hash-chained, optionally signed log."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from omphalos.cli.review import add_arguments, main_from_args
from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.keys import generate_keypair
from omphalos.evidence.review import (
    read_decisions,
    registry_entry_digests,
    verify_log,
)

REPO = Path(__file__).resolve().parents[2]


def review(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="omphalos review")
    add_arguments(parser)
    return main_from_args(parser.parse_args(list(argv)))


def _candidates(run: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(
        run / "exports" / "entity_matches.parquet"
    ).to_pylist()
    return rows


def _decide(run: Path, log: Path, match_id: str, decision: str, *extra: str) -> int:
    return review("decide", "--run-dir", str(run), "--match-id", match_id, "--decision", decision,
                  "--reason", "checked the address", "--reviewer", "Alice Reviewer",
                  "--log", str(log), *extra)  # fmt: skip


@pytest.fixture(scope="module")
def keypair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    key, pub, _ = generate_keypair("reviewer", folder, allow_in_repo=True)
    return Path(key), Path(pub)


def test_decide_binds_the_record_to_the_run_and_the_candidate(
    sealed_run: Path, tmp_path: Path, keypair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "decisions.jsonl"
    first, second = _candidates(sealed_run)[:2]
    capsys.readouterr()
    assert _decide(sealed_run, log, str(first["match_id"]), "false_positive",
                   "--sign-key", str(keypair[0]), "--json") == 0  # fmt: skip
    printed = json.loads(capsys.readouterr().out)
    assert _decide(sealed_run, log, str(second["match_id"]), "true_match") == 0
    records = read_decisions(log)
    assert records[0] == printed
    rec = records[0]
    manifest = json.loads((sealed_run / "run_manifest.json").read_text(encoding="utf-8"))
    assert rec["run_id"] == manifest["run_id"]
    assert rec["payload_root"] == manifest["merkle"]["payload_root"]
    for column in ("match_id", "party_name", "entity_id", "matched_name", "source_list"):
        assert rec[column] == first[column], column
    digests = registry_entry_digests(sealed_run / "inputs" / "admitted")
    assert rec["registry_entry_sha256"] == digests[str(first["entity_id"])]
    assert len(set(digests.values())) == len(digests)  # one digest per entry
    assert rec["decision"] == "false_positive" and rec["key_id"].startswith("ed25519:")
    assert records[1]["signature"] is None and records[1]["decision"] == "true_match"
    # the log is a lineage chain of review_decision events, outside the run
    lines = log.read_bytes().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events] == ["review_decision"] * 2
    assert [e["seq"] for e in events] == [0, 1]
    assert all(line == canonical_bytes(json.loads(line)) for line in lines)
    assert verify_log(log, None) == (2, 1, [])
    # the record matches its JSON Schema
    import jsonschema

    schema = json.loads((REPO / "contracts" / "review_decision.schema.json").read_text("utf-8"))
    for r in records:
        jsonschema.validate(r, schema)
    # list and show
    capsys.readouterr()
    assert review("list", "--log", str(log)) == 0
    out = capsys.readouterr().out
    assert "2 decision(s)" in out and rec["decision_id"] in out
    assert review("show", "--log", str(log), rec["decision_id"]) == 0
    assert json.loads(capsys.readouterr().out) == rec
    assert review("show", "--log", str(log), str(second["match_id"])) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "true_match"
    assert review("show", "--log", str(log), "D-0000") == 2


def test_signatures_verify_only_under_the_trusted_key(
    sealed_run: Path, tmp_path: Path, keypair: tuple[Path, Path]
) -> None:
    log = tmp_path / "d.jsonl"
    match_id = str(_candidates(sealed_run)[0]["match_id"])
    assert _decide(sealed_run, log, match_id, "escalated", "--sign-key", str(keypair[0])) == 0
    assert review("verify", "--log", str(log), "--trusted-key", str(keypair[1])) == 0
    _, other_pub, _ = generate_keypair("other", tmp_path / "k2", allow_in_repo=True)
    assert review("verify", "--log", str(log), "--trusted-key", str(other_pub)) == 1
    # an edited record (chain re-linked would need every later line; here: one line) is caught
    event = json.loads(log.read_bytes())
    event["data"]["reason"] = "changed afterwards"
    log.write_bytes(canonical_bytes(event) + b"\n")
    count, _, problems = verify_log(log, None)
    assert count == 1 and "decision_id does not match the record" in problems[0]
    assert review("list", "--log", str(log)) == 1


def test_decide_refuses_unknown_ids_logs_inside_runs_and_unverified_runs(
    sealed_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "d.jsonl"
    assert _decide(sealed_run, log, "SHP-NOPE:shipper:X", "false_positive") == 2
    assert "no candidate with that id" in capsys.readouterr().err
    match_id = str(_candidates(sealed_run)[0]["match_id"])
    assert _decide(sealed_run, sealed_run / "exports" / "d.jsonl", match_id, "true_match") == 2
    assert "is inside the run folder" in capsys.readouterr().err
    assert not (sealed_run / "exports" / "d.jsonl").exists()
    with pytest.raises(SystemExit):
        _decide(sealed_run, log, match_id, "maybe")
    tampered = tmp_path / "run"
    shutil.copytree(sealed_run, tampered)
    (tampered / "exports" / "entity_matches.csv").write_text("edited\n", encoding="utf-8")
    assert _decide(tampered, log, match_id, "true_match") == 1
    assert "does not verify" in capsys.readouterr().err
    assert not log.exists()
    # a log inside another sealed run is refused too
    assert _decide(sealed_run, tampered / "d.jsonl", match_id, "true_match") == 2


def test_a_broken_chain_is_reported_and_not_appended_to(sealed_run: Path, tmp_path: Path) -> None:
    log = tmp_path / "d.jsonl"
    ids = [str(c["match_id"]) for c in _candidates(sealed_run)[:3]]
    for match_id in ids[:2]:
        assert _decide(sealed_run, log, match_id, "false_positive") == 0
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[1])  # the first decision removed
    _, _, problems = verify_log(log, None)
    assert problems and "lineage_seq_gap" in problems[0]
    assert review("verify", "--log", str(log)) == 1
    assert _decide(sealed_run, log, ids[2], "false_positive") == 1
    assert log.read_bytes() == lines[1]
