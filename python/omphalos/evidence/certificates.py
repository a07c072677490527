"""Signed comparison certificates in an append-only, hash-chained log (JSONL).

See docs/evidence.md, "Certificate" and "Certificates log". Each line is the canonical JSON of one
certificate; ``prev_certificate_sha256`` is the SHA-256 of the previous line (without its newline),
or 64 zeros for the first. The Ed25519 signature covers the canonical bytes of the certificate
without its ``signature`` field. ``omphalos verify-certificates`` walks the chain from the first
line with keys the user trusts and reports the first bad line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from omphalos.errors import OmphalosError
from omphalos.evidence import hashchain
from omphalos.evidence.canonical import CanonicalJSONError, canonical_bytes, loads_strict
from omphalos.evidence.keys import (
    ALGORITHM,
    SigningKey,
    TrustedKey,
)
from omphalos.evidence.lineage import utc_now
from omphalos.evidence.merkle import leaf_hash, node_hash
from omphalos.evidence.problems import Problem

__all__ = [
    "CERTIFICATE_SCHEMA",
    "GENESIS",
    "HEAD_SCHEMA",
    "CertificateLogError",
    "append_certificate",
    "build_certificate",
    "default_log_path",
    "head_path",
    "log_head",
    "verify_certificates",
]

CERTIFICATE_SCHEMA = "omphalos.certificate/1"
HEAD_SCHEMA = "omphalos.certificates_head/1"
GENESIS = hashchain.GENESIS
_HEAD_FIELDS = frozenset(
    {"schema_version", "size", "root", "issued_at", "key_id", "algorithm", "signature"}
)
MAX_HEAD_FILE = 64 * 1024
VERDICTS = ("equivalent", "different")
_FIELDS = frozenset(
    {
        "schema_version",
        "seq",
        "run_a",
        "run_b",
        "verdict",
        "report_sha256",
        "key_id",
        "algorithm",
        "issued_at",
        "prev_certificate_sha256",
        "signature",
    }
)
_RUN_FIELDS = frozenset({"run_id", "payload_root", "metadata_sha256"})
HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"ed25519:[0-9a-f]{64}")
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")


class CertificateLogError(OmphalosError, RuntimeError):
    """The log cannot be appended to (broken chain, torn line, unreadable)."""


def default_log_path() -> Path:
    from omphalos.pipeline.paths import project_root

    return project_root() / "artifacts" / "certificates.jsonl"


def _run_ref(side: Mapping[str, Any]) -> dict[str, Any]:
    return {k: side.get(k) for k in sorted(_RUN_FIELDS)}


def build_certificate(
    report: Mapping[str, Any],
    key: SigningKey,
    *,
    seq: int,
    prev_sha256: str,
    issued_at: str,
) -> dict[str, Any]:
    """A signed certificate for a difference report (docs/evidence.md)."""
    runs = report["runs"]
    body: dict[str, Any] = {
        "schema_version": CERTIFICATE_SCHEMA,
        "seq": seq,
        "run_a": _run_ref(runs["a"]),
        "run_b": _run_ref(runs["b"]),
        "verdict": report["verdict"],
        "report_sha256": hashlib.sha256(canonical_bytes(report)).hexdigest(),
        "key_id": key.key_id,
        "algorithm": ALGORITHM,
        "issued_at": issued_at,
        "prev_certificate_sha256": prev_sha256,
    }
    body["signature"] = base64.b64encode(key.sign(canonical_bytes(body))).decode("ascii")
    return body


# ---------------------------------------------------------------------------------------------
# checking one line


def _check_shape(obj: object) -> str | None:
    """None when ``obj`` has the certificate's shape, else what is wrong."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    if set(obj) != _FIELDS:
        return (
            f"fields missing {sorted(_FIELDS - set(obj))}, unexpected {sorted(set(obj) - _FIELDS)}"
        )
    for side in ("run_a", "run_b"):
        ref = obj[side]
        if not isinstance(ref, dict) or set(ref) != _RUN_FIELDS:
            return f"{side} must have exactly {sorted(_RUN_FIELDS)}"
        if not isinstance(ref["run_id"], str):
            return f"{side}.run_id is not a string"
        for name in ("payload_root", "metadata_sha256"):
            if not isinstance(ref[name], str) or not HEX64.fullmatch(ref[name]):
                return f"{side}.{name} is not 64 lowercase hex digits"
    if obj["verdict"] not in VERDICTS:
        return f"verdict {obj['verdict']!r} is not one of {list(VERDICTS)}"
    if not isinstance(obj["report_sha256"], str) or not HEX64.fullmatch(obj["report_sha256"]):
        return "report_sha256 is not 64 lowercase hex digits"
    if not isinstance(obj["key_id"], str) or not _KEY_ID.fullmatch(obj["key_id"]):
        return f"key_id {obj['key_id']!r} is not 'ed25519:' + 64 hex digits"
    if obj["algorithm"] != ALGORITHM:
        return f"algorithm {obj['algorithm']!r} is not {ALGORITHM!r}"
    if not isinstance(obj["issued_at"], str) or not _RFC3339_UTC.fullmatch(obj["issued_at"]):
        return f"issued_at {obj['issued_at']!r} is not an RFC 3339 UTC timestamp"
    if not isinstance(obj["signature"], str):
        return "signature is not a string"
    return None


def _check_line(
    line: bytes,
    lineno: int,
    expect_prev: str,
    where: str,
    trusted: Mapping[str, TrustedKey] | None,
) -> Problem | None:
    def bad(code: str, message: str) -> Problem:
        return Problem(code, where, f"line {lineno}: {message}")

    try:
        obj = loads_strict(line)
    except (UnicodeDecodeError, ValueError) as exc:
        return bad("certificate_bad_json", f"not a valid JSON certificate ({exc})")
    if isinstance(obj, dict) and obj.get("schema_version") != CERTIFICATE_SCHEMA:
        return bad(
            "certificate_unknown_schema",
            f"schema_version {obj.get('schema_version')!r}; this reader knows only "
            f"{CERTIFICATE_SCHEMA!r}",
        )
    shape = _check_shape(obj)
    if shape is not None:
        return bad("certificate_malformed", shape)
    assert isinstance(obj, dict)
    seq = obj["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq != lineno - 1:
        return bad("certificate_seq_gap", f"seq is {seq!r}, expected {lineno - 1}")
    if obj["prev_certificate_sha256"] != expect_prev:
        return bad(
            "certificate_prev_mismatch",
            f"prev_certificate_sha256 {obj['prev_certificate_sha256']!r} does not match the "
            f"previous line's hash {expect_prev}"
            + (" (an earlier line was altered, removed or inserted)" if lineno > 1 else ""),
        )
    try:
        if canonical_bytes(obj) != line:
            return bad("certificate_not_canonical", "line is not in canonical JSON form")
    except CanonicalJSONError as exc:
        return bad("certificate_not_canonical", str(exc))
    if trusted is None:
        return None
    key = trusted.get(obj["key_id"])
    if key is None:
        return bad(
            "certificate_untrusted_key",
            f"signed by {obj['key_id']}, which is not among the {len(trusted)} trusted key(s)",
        )
    try:
        sig = base64.b64decode(obj["signature"], validate=True)
    except (binascii.Error, ValueError):
        sig = b""
    body = {k: v for k, v in obj.items() if k != "signature"}
    if len(sig) != 64 or not key.verify(sig, canonical_bytes(body)):
        return bad(
            "certificate_signature_invalid",
            f"the signature does not verify under trusted key {obj['key_id']} "
            f"({key.name or key.source}): the certificate was edited or forged",
        )
    return None


def _scan(
    raw: bytes, where: str, trusted: Mapping[str, TrustedKey] | None
) -> tuple[list[Problem], int, str]:
    """Walk the chain; return (first problem or nothing, certificates read, last line hash)."""

    def check(line: bytes, lineno: int, _index: int, prev: str) -> Problem | None:
        return _check_line(line, lineno, prev, where, trusted)

    return hashchain.walk(
        raw,
        check,
        where=where,
        torn_code="certificate_torn_line",
        torn_message="last line has no newline (torn or truncated write)",
    )


def verify_certificates(
    log_path: Path, trusted: Mapping[str, TrustedKey]
) -> tuple[int, list[Problem]]:
    """Check every certificate, signature and link; return (certificates checked, problems)."""
    where = os.fspath(log_path)
    try:
        raw = read_nofollow(log_path)
    except OSError as exc:
        return 0, [Problem("certificates_unreadable", where, f"cannot read the log: {exc}")]
    problems, count, _ = _scan(raw, where, trusted)
    return count, problems


def read_nofollow(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        return f.read()


def append_certificate(
    log_path: Path,
    report: Mapping[str, Any],
    key: SigningKey,
    *,
    clock: Callable[[], str] = utc_now,
) -> tuple[dict[str, Any], int]:
    """Sign a certificate for ``report`` and append it (flock, fsync); return (cert, line number).

    Refuses to append to a log whose chain is broken or whose last line is torn."""
    issued_at = clock()
    certs: list[dict[str, Any]] = []

    def make_line(seq: int, prev: str) -> bytes:
        certs.append(build_certificate(report, key, seq=seq, prev_sha256=prev, issued_at=issued_at))
        return canonical_bytes(certs[-1])

    where = os.fspath(log_path)
    done = hashchain.append(
        log_path,
        lambda raw: _scan(raw, where, None),
        make_line,
        refuse=lambda p: CertificateLogError(f"refusing to append to a broken log: {p}"),
        after_write=lambda raw: _write_head(log_path, raw, key, issued_at),  # under the lock
    )
    return certs[-1], done.index + 1


# ---------------------------------------------------------------------------------------------
# the signed head: size and RFC 6962 root over every line, as Certificate Transparency's STH


def head_path(log_path: Path) -> Path:
    """The signed head beside a log: ``certificates.jsonl`` -> ``certificates.head.json``."""
    return log_path.with_name(log_path.name.removesuffix(".jsonl") + ".head.json")


def log_lines(raw: bytes) -> list[bytes]:
    lines = raw.split(b"\n")
    lines.pop()  # b"" after the last newline (a torn last line is not an entry)
    return lines


def prefix_roots(lines: list[bytes]) -> list[str]:
    """``roots[k]`` is the RFC 6962 Merkle root (hex) over the first ``k`` lines (leaf data: the
    line's bytes without its newline); ``roots[0]`` is the empty tree's."""
    roots = [hashlib.sha256(b"").hexdigest()]
    stack: list[tuple[int, bytes]] = []  # perfect subtrees (size, hash), largest first
    for line in lines:
        size, h = 1, leaf_hash(line)
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, h = left_size + size, node_hash(left, h)
        stack.append((size, h))
        acc = stack[-1][1]
        for _, left in reversed(stack[:-1]):
            acc = node_hash(left, acc)
        roots.append(acc.hex())
    return roots


def log_head(raw: bytes) -> dict[str, Any]:
    """``{"size", "root"}`` of a log's bytes (complete lines only)."""
    lines = log_lines(raw)
    return {"size": len(lines), "root": prefix_roots(lines)[-1]}


def build_head(size: int, root: str, key: SigningKey, issued_at: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schema_version": HEAD_SCHEMA,
        "size": size,
        "root": root,
        "issued_at": issued_at,
        "key_id": key.key_id,
        "algorithm": ALGORITHM,
    }
    body["signature"] = base64.b64encode(key.sign(canonical_bytes(body))).decode("ascii")
    return body


def parse_head(raw: bytes, where: str, trusted: Mapping[str, TrustedKey]) -> dict[str, Any]:
    """A signed head record, checked (shape, canonical form, trusted signature); raises
    ``CertificateLogError`` with a located message."""
    try:
        obj = loads_strict(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CertificateLogError(f"{where}: not a JSON head record ({exc})") from None
    if not isinstance(obj, dict) or obj.get("schema_version") != HEAD_SCHEMA:
        raise CertificateLogError(f"{where}: not an {HEAD_SCHEMA} record")
    if set(obj) != _HEAD_FIELDS:
        raise CertificateLogError(f"{where}: fields are not exactly {sorted(_HEAD_FIELDS)}")
    size, root = obj["size"], obj["root"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise CertificateLogError(f"{where}: size {size!r} is not a count")
    if not isinstance(root, str) or not HEX64.fullmatch(root):
        raise CertificateLogError(f"{where}: root is not 64 lowercase hex digits")
    if raw != canonical_bytes(obj) + b"\n":
        raise CertificateLogError(f"{where}: not canonical JSON plus one newline")
    key = trusted.get(obj["key_id"]) if isinstance(obj["key_id"], str) else None
    if key is None:
        raise CertificateLogError(f"{where}: signed by {obj['key_id']!r}, not a trusted key")
    try:
        sig = base64.b64decode(str(obj["signature"]), validate=True)
    except (binascii.Error, ValueError):
        sig = b""
    body = {k: v for k, v in obj.items() if k != "signature"}
    if len(sig) != 64 or not key.verify(sig, canonical_bytes(body)):
        raise CertificateLogError(f"{where}: the head's signature does not verify")
    return obj


def _write_head(log_path: Path, raw: bytes, key: SigningKey, issued_at: str) -> None:
    from omphalos.evidence.canonical import write_canonical_json

    head = log_head(raw)
    write_canonical_json(
        head_path(log_path), build_head(head["size"], head["root"], key, issued_at)
    )


def check_against_head(
    lines: list[bytes], size: int, root: str, where: str, what: str
) -> Problem | None:
    """The log against a head of ``size`` and ``root``: truncated, forked, or consistent."""
    if size > len(lines):
        return Problem(
            "certificates_truncated",
            where,
            f"{what} has {size} certificate(s), the log only {len(lines)}: entries were removed",
        )
    got = prefix_roots(lines[:size])[-1]
    if got != root:
        return Problem(
            "certificates_forked",
            where,
            f"the first {size} certificate(s) have root {got}, {what} says {root}: entries were "
            "replaced (a fork)",
        )
    return None


def check_pinned_root(
    lines: list[bytes], root: str, where: str
) -> tuple[int | None, Problem | None]:
    """A pinned root hash alone: some prefix of the log must have it."""
    for k, got in enumerate(prefix_roots(lines)):
        if got == root:
            return k, None
    return None, Problem(
        "certificates_head_mismatch",
        where,
        f"no prefix of the log has the pinned root {root}: entries were removed (truncated) or "
        "replaced (forked) since it was pinned",
    )
