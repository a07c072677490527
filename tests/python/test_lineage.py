"""Hash-chained lineage log: append, resume, and every kind of broken link."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.lineage import (
    GENESIS,
    SCHEMA_VERSION,
    LineageError,
    LineageLog,
    verify_chain,
)


def _clock() -> str:
    return "2026-01-02T03:04:05.000006Z"


def _log(tmp_path: Path, n: int = 4) -> tuple[Path, list[str]]:
    path = tmp_path / "lineage" / "events.jsonl"
    log = LineageLog(path, clock=_clock)
    hashes = [log.append(f"step_{i}", {"i": i, "note": "\u00e9"}) for i in range(n)]
    return path, hashes


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def _write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def _codes(path: Path) -> list[tuple[str, str]]:
    return [(p.code, p.message.split(":")[0]) for p in verify_chain(path)]


def test_append_builds_a_verifiable_chain(tmp_path: Path) -> None:
    path, hashes = _log(tmp_path)
    lines = _lines(path)
    assert len(lines) == 4
    prev = GENESIS
    for seq, (line, digest) in enumerate(zip(lines, hashes, strict=True)):
        event = json.loads(line)
        assert event == {
            "schema_version": SCHEMA_VERSION,
            "seq": seq,
            "at": _clock(),
            "event": f"step_{seq}",
            "data": {"i": seq, "note": "\u00e9"},
            "prev_sha256": prev,
        }
        assert canonical_bytes(event) == line
        assert hashlib.sha256(line).hexdigest() == digest
        prev = digest
    assert verify_chain(path) == []


def test_default_clock_is_rfc3339_utc(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    LineageLog(path).append("start", {})
    assert json.loads(path.read_bytes())["at"].endswith("Z")
    assert verify_chain(path) == []


def test_new_instance_resumes_the_chain(tmp_path: Path) -> None:
    path, hashes = _log(tmp_path, 2)
    digest = LineageLog(path, clock=_clock).append("later", {"k": "v"})
    last = json.loads(_lines(path)[-1])
    assert last["seq"] == 2
    assert last["prev_sha256"] == hashes[-1]
    assert hashlib.sha256(_lines(path)[-1]).hexdigest() == digest
    assert verify_chain(path) == []


def test_empty_or_absent_log_has_no_problems(tmp_path: Path) -> None:
    empty = tmp_path / "events.jsonl"
    empty.write_bytes(b"")
    assert verify_chain(empty) == []
    assert [p.code for p in verify_chain(tmp_path / "absent.jsonl")] == ["lineage_unreadable"]


def test_tampered_data_breaks_the_next_link(tmp_path: Path) -> None:
    path, _ = _log(tmp_path)
    lines = _lines(path)
    event = json.loads(lines[1])
    event["data"]["i"] = 99
    lines[1] = canonical_bytes(event)
    _write_lines(path, lines)
    assert _codes(path) == [("lineage_prev_mismatch", "line 3")]


def test_deleted_line_is_a_seq_gap(tmp_path: Path) -> None:
    path, _ = _log(tmp_path)
    lines = _lines(path)
    del lines[1]
    _write_lines(path, lines)
    assert _codes(path) == [("lineage_seq_gap", "line 2")]


def test_bad_json_line(tmp_path: Path) -> None:
    path, _ = _log(tmp_path)
    lines = _lines(path)
    lines[2] = lines[2][:-5]
    _write_lines(path, lines)
    assert _codes(path) == [("lineage_bad_json", "line 3")]


def test_float_in_line_is_bad_json(tmp_path: Path) -> None:
    path, _ = _log(tmp_path, 1)
    path.write_bytes(_lines(path)[0].replace(b'"i":0', b'"i":0.5') + b"\n")
    assert _codes(path) == [("lineage_bad_json", "line 1")]


def test_unknown_schema_version(tmp_path: Path) -> None:
    path, _ = _log(tmp_path)
    lines = _lines(path)
    lines[0] = lines[0].replace(b"lineage_event/1", b"lineage_event/9")
    _write_lines(path, lines)
    assert _codes(path) == [("lineage_unknown_schema", "line 1")]


def test_non_canonical_line(tmp_path: Path) -> None:
    path, _ = _log(tmp_path, 1)
    event = json.loads(_lines(path)[0])
    path.write_bytes(json.dumps(event, indent=1).replace("\n", "").encode() + b"\n")
    assert _codes(path) == [("lineage_not_canonical", "line 1")]


def test_torn_last_line(tmp_path: Path) -> None:
    path, _ = _log(tmp_path, 3)
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    assert _codes(path) == [("lineage_torn_line", "line 3")]
    with pytest.raises(LineageError, match="torn"):
        LineageLog(path, clock=_clock).append("more", {})


def test_append_refuses_a_broken_chain_and_floats(tmp_path: Path) -> None:
    path, _ = _log(tmp_path, 3)
    lines = _lines(path)
    del lines[0]
    _write_lines(path, lines)
    with pytest.raises(LineageError, match="seq"):
        LineageLog(path, clock=_clock).append("more", {})
    other = tmp_path / "other.jsonl"
    with pytest.raises(LineageError, match="float"):
        LineageLog(other, clock=_clock).append("x", {"ratio": 0.5})
    assert not other.exists()


def test_two_writers_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    first, second = LineageLog(path, clock=_clock), LineageLog(path, clock=_clock)
    for i in range(3):
        first.append("a", {"i": i})
        second.append("b", {"i": i})
    assert [json.loads(line)["seq"] for line in _lines(path)] == list(range(6))
    assert verify_chain(path) == []
