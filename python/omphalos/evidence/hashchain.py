"""The hash-chained, append-only JSONL log both evidence logs are: the run's lineage log
(lineage.py) and the certificates log (certificates.py).

A log is JSONL: each line is the canonical JSON of one record, and each record names the SHA-256
of the previous line (without its newline), 64 zeros for the first. This module owns the chain:
``walk`` checks the links in order with the log's own per-line check and reports the first
break, or a torn last line (no newline: an interrupted write); ``append`` adds one line under an
exclusive ``flock`` after checking the chain it extends, and fsyncs it. What a line holds (its
fields, the name of its link field, a signature) is each log's own business: it passes the
per-line check to ``walk`` and the line builder to ``append``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from omphalos.evidence.canonical import fsync_dir
from omphalos.evidence.problems import Problem

__all__ = ["GENESIS", "Appended", "ChainState", "LineCheck", "append", "line_sha256", "walk"]

GENESIS = "0" * 64

#: ``check(line, lineno, index, expected_prev)``: None when the line (without its newline) is a
#: valid record linking to ``expected_prev``, else the located problem. ``index`` counts from 0.
LineCheck = Callable[[bytes, int, int, str], Problem | None]

#: What ``walk`` returns: (the first problem or nothing, records read before it, last good hash).
ChainState = tuple[list[Problem], int, str]


def line_sha256(line: bytes) -> str:
    """The hash the next record links to: SHA-256 (hex) of the line without its newline."""
    return hashlib.sha256(line).hexdigest()


def walk(
    raw: bytes, check: LineCheck, *, where: str, torn_code: str, torn_message: str
) -> ChainState:
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


@dataclasses.dataclass(frozen=True)
class Appended:
    """One appended record: its line (without newline), its 0-based index in the log (the number
    of records before it), the line's hash and the log's size in bytes after the write."""

    line: bytes
    index: int
    sha256: str
    size: int


def append(
    path: Path,
    scan: Callable[[bytes], ChainState],
    make_line: Callable[[int, str], bytes],
    *,
    refuse: Callable[[Problem], Exception],
    known: tuple[int, int, str] | None = None,
    after_write: Callable[[bytes], None] | None = None,
) -> Appended:
    """Append one record to the log at ``path`` (created if missing, never through a symlink).

    Under an exclusive ``flock`` on the file: the chain is walked with ``scan`` (skipped when
    ``known`` = (size, records, last hash) from this writer's previous append still matches the
    file's size), ``refuse(problem)`` is raised if it is broken or torn, ``make_line(index,
    prev_sha256)`` builds the canonical line, which is written with its newline and fsynced; then
    ``after_write`` (if given) sees the whole log's bytes, still under the lock. A new file's
    folder is fsynced too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not os.path.lexists(path)
    flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "r+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        size = os.fstat(f.fileno()).st_size
        if known is not None and known[0] == size:
            index, prev = known[1], known[2]
        else:
            f.seek(0)
            problems, index, prev = scan(f.read())
            if problems:
                raise refuse(problems[0])
        line = make_line(index, prev)
        f.write(line + b"\n")
        f.flush()
        os.fsync(f.fileno())
        size = os.fstat(f.fileno()).st_size
        if after_write is not None:
            f.seek(0)
            after_write(f.read())
    if created:
        fsync_dir(path.parent)
    return Appended(line=line, index=index, sha256=line_sha256(line), size=size)
