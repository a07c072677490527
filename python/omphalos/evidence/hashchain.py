"""The hash chain both append-only logs share: the run's lineage log (lineage.py) and the
certificates log (certificates.py).

A log is JSONL: each line is the canonical JSON of one record, and each record names the SHA-256
of the previous line (without its newline), 64 zeros for the first. ``walk`` checks the links
in order with the log's own per-line check and reports the first break, or a torn last line (no
newline: an interrupted write). What a line must hold is each log's own business.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from omphalos.evidence.problems import Problem

__all__ = ["GENESIS", "LineCheck", "line_sha256", "walk"]

GENESIS = "0" * 64

#: ``check(line, lineno, index, expected_prev)``: None when the line (without its newline) is a
#: valid record linking to ``expected_prev``, else the located problem. ``index`` counts from 0.
LineCheck = Callable[[bytes, int, int, str], Problem | None]


def line_sha256(line: bytes) -> str:
    """The hash the next record links to: SHA-256 (hex) of the line without its newline."""
    return hashlib.sha256(line).hexdigest()


def walk(
    raw: bytes, check: LineCheck, *, where: str, torn_code: str, torn_message: str
) -> tuple[list[Problem], int, str]:
    """Walk the chain of ``raw`` (the whole file); return (the first problem or nothing, the
    number of records read before it, the hash of the last good record)."""
    if not raw:
        return [], 0, GENESIS
    lines = raw.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    prev = GENESIS
    for i, line in enumerate(lines):
        problem = check(line, i + 1, i, prev)
        if problem is not None:
            return [problem], i, prev
        prev = line_sha256(line)
    if tail:
        message = f"line {len(lines) + 1}: {torn_message}"
        return [Problem(torn_code, where, message)], len(lines), prev
    return [], len(lines), prev
