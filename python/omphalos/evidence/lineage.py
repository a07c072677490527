"""Append-only, hash-chained lineage log (``lineage/events.jsonl``).

Each line is the canonical JSON of one event::

    {"schema_version": "omphalos.lineage_event/1", "seq": n, "at": "...Z", "event": "...",
     "data": {...}, "prev_sha256": "<sha256 of the previous line, or 64 zeros>"}

The hash of an event is the SHA-256 of its line without the trailing newline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from omphalos.errors import OmphalosError
from omphalos.evidence import hashchain
from omphalos.evidence.canonical import CanonicalJSONError, canonical_bytes, loads_strict
from omphalos.evidence.problems import Problem

__all__ = [
    "GENESIS",
    "SCHEMA_VERSION",
    "LineageError",
    "LineageLog",
    "scan_chain",
    "utc_now",
    "verify_chain",
]

SCHEMA_VERSION = "omphalos.lineage_event/1"
GENESIS = hashchain.GENESIS
_FIELDS = frozenset({"schema_version", "seq", "at", "event", "data", "prev_sha256"})
_HEX64 = re.compile(r"[0-9a-f]{64}")
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")


class LineageError(OmphalosError, RuntimeError):
    """The lineage log cannot be appended to (broken chain, torn line, bad event)."""


def utc_now() -> str:
    """RFC 3339 UTC timestamp with microseconds and a ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_line(
    line: bytes, lineno: int, expect_seq: int, expect_prev: str, where: str
) -> Problem | None:
    """Check one line (without newline) against the chain state; None when it links correctly."""

    def bad(code: str, message: str) -> Problem:
        return Problem(code, where, f"line {lineno}: {message}")

    try:
        obj = loads_strict(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return bad("lineage_bad_json", f"not a valid JSON event ({exc})")
    if not isinstance(obj, dict):
        return bad("lineage_bad_event", "event is not a JSON object")
    version = obj.get("schema_version")
    if version != SCHEMA_VERSION:
        return bad(
            "lineage_unknown_schema",
            f"schema_version {version!r} is not {SCHEMA_VERSION!r}",
        )
    if set(obj) != _FIELDS:
        missing = sorted(_FIELDS - set(obj))
        extra = sorted(set(obj) - _FIELDS)
        return bad("lineage_bad_event", f"fields missing {missing}, unexpected {extra}")
    seq, at, event, data, prev = (obj[k] for k in ("seq", "at", "event", "data", "prev_sha256"))
    if isinstance(seq, bool) or not isinstance(seq, int):
        return bad("lineage_bad_event", f"seq {seq!r} is not an integer")
    if seq != expect_seq:
        return bad("lineage_seq_gap", f"seq is {seq}, expected {expect_seq}")
    if not isinstance(at, str) or not _RFC3339_UTC.fullmatch(at):
        return bad("lineage_bad_event", f"at {at!r} is not an RFC 3339 UTC timestamp")
    if not isinstance(event, str) or not event:
        return bad("lineage_bad_event", f"event {event!r} is not a non-empty string")
    if not isinstance(data, dict):
        return bad("lineage_bad_event", "data is not a JSON object")
    if not isinstance(prev, str) or prev != expect_prev:
        return bad(
            "lineage_prev_mismatch",
            f"prev_sha256 {prev!r} does not match the previous event's hash {expect_prev}"
            + (" (an earlier line was altered or removed)" if lineno > 1 else ""),
        )
    try:
        canonical = canonical_bytes(obj)
    except CanonicalJSONError as exc:
        return bad("lineage_not_canonical", f"line cannot be canonical JSON ({exc})")
    if canonical != line:
        return bad("lineage_not_canonical", "line is not in canonical JSON form")
    return None


def scan_chain(raw: bytes, where: str) -> tuple[list[Problem], int, str]:
    """Walk the chain; return (problems [first break only], next seq, last hash)."""

    def check(line: bytes, lineno: int, index: int, prev: str) -> Problem | None:
        return _check_line(line, lineno, index, prev, where)

    return hashchain.walk(
        raw,
        check,
        where=where,
        torn_code="lineage_torn_line",
        torn_message="last line has no newline (torn write)",
    )


def verify_chain(path: Path | str, display_path: str | None = None) -> list[Problem]:
    """Check the whole chain; report the first broken link (with its 1-based line number)."""
    where = display_path if display_path is not None else os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return [Problem("lineage_unreadable", where, f"cannot read the lineage log: {exc}")]
    problems, _, _ = scan_chain(raw, where)
    return problems


class LineageLog:
    """Appends events to a hash-chained JSONL file, resuming an existing chain.

    Each append takes an exclusive ``flock`` on the file (``hashchain.append``), so concurrent
    writers cannot fork the chain; an existing file is verified (once, then tracked by size)
    before the first append.
    """

    def __init__(self, path: Path | str, clock: Callable[[], str] = utc_now) -> None:
        self.path = Path(path)
        self._clock = clock
        self._state: tuple[int, int, str] | None = None  # (file size, next seq, last hash)

    def append(self, event: str, data: Mapping[str, object]) -> str:
        """Append one event (fsynced) and return its hash (hex sha256 of the line)."""
        if not isinstance(event, str) or not event:
            raise LineageError(f"event name {event!r} is not a non-empty string")
        at = self._clock()
        if not isinstance(at, str) or not _RFC3339_UTC.fullmatch(at):
            raise LineageError(f"clock returned {at!r}, not an RFC 3339 UTC timestamp")
        body = dict(data)
        try:
            canonical_bytes(body)
        except CanonicalJSONError as exc:
            raise LineageError(f"lineage event {event!r}: {exc}") from exc

        def make_line(seq: int, prev: str) -> bytes:
            return canonical_bytes(
                {
                    "schema_version": SCHEMA_VERSION,
                    "seq": seq,
                    "at": at,
                    "event": event,
                    "data": body,
                    "prev_sha256": prev,
                }
            )

        where = os.fspath(self.path)
        done = hashchain.append(
            self.path,
            lambda raw: scan_chain(raw, where),
            make_line,
            refuse=lambda p: LineageError(f"refusing to append to a broken lineage log: {p}"),
            known=self._state,
        )
        self._state = (done.size, done.index + 1, done.sha256)
        return done.sha256
