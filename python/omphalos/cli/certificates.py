"""`omphalos certificates`: the command line of omphalos.evidence.certificates (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omphalos.cli.trust import add_trust_arguments, trusted_keys_from_args
from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.certificates import (
    HEX64,
    MAX_HEAD_FILE,
    CertificateLogError,
    check_against_head,
    check_pinned_root,
    default_log_path,
    head_path,
    log_lines,
    parse_head,
    prefix_roots,
    read_nofollow,
    verify_certificates,
)
from omphalos.evidence.keys import KeyFileError, TrustedKey
from omphalos.evidence.problems import Problem

# ---------------------------------------------------------------------------------------------
# omphalos verify-certificates


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos verify-certificates``."""
    parser.add_argument(
        "--log",
        type=Path,
        default=None,
        help="the certificates log (default artifacts/certificates.jsonl)",
    )
    parser.add_argument(
        "--head",
        default=None,
        metavar="HASH|FILE",
        help="a head pinned earlier: the root hash printed as head.root, or a copy of a signed "
        "head file; reports a truncated or forked log",
    )
    add_trust_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _read_head_file(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(f"{path}: not a regular file")
        data = f.read(MAX_HEAD_FILE + 1)
    if len(data) > MAX_HEAD_FILE:
        raise OSError(f"{path}: too large to be a head record")
    return data


def check_heads(
    log: Path,
    trusted: Mapping[str, TrustedKey],
    pinned: str | None,
) -> tuple[dict[str, Any], list[Problem]]:
    """The log's head (size, root), its signed head beside it, and a pinned head if given.
    Raises ``CertificateLogError`` when ``pinned`` names a head file that cannot be used."""
    where = os.fspath(log)
    try:
        raw = read_nofollow(log)
    except OSError:
        return {}, []  # already reported as certificates_unreadable
    lines = log_lines(raw)
    roots = prefix_roots(lines)
    head: dict[str, Any] = {"size": len(lines), "root": roots[-1]}
    problems: list[Problem] = []
    signed_path = head_path(log)
    signed: dict[str, Any] = {"file": os.fspath(signed_path), "status": "absent"}
    if os.path.lexists(signed_path):
        try:
            record = parse_head(_read_head_file(signed_path), os.fspath(signed_path), trusted)
        except (CertificateLogError, OSError) as exc:
            signed["status"] = "invalid"
            problems.append(Problem("certificates_head_invalid", os.fspath(signed_path), str(exc)))
        else:
            signed.update(
                status="valid",
                size=record["size"],
                root=record["root"],
                issued_at=record["issued_at"],
                key_id=record["key_id"],
            )
            found = check_against_head(
                lines, record["size"], record["root"], where, "the signed head"
            )
            if found is None and record["size"] < len(lines):
                found = Problem(
                    "certificates_head_stale",
                    os.fspath(signed_path),
                    f"the signed head covers {record['size']} certificate(s), the log has "
                    f"{len(lines)}: appended without a new head (an interrupted append?)",
                )
            if found is not None:
                signed["status"] = "mismatch"
                problems.append(found)
    head["signed"] = signed
    if pinned is not None:
        if HEX64.fullmatch(pinned):
            size, found = check_pinned_root(lines, pinned, where)
            head["pinned"] = {"root": pinned, "size": size}
        else:
            try:
                record = parse_head(_read_head_file(Path(pinned)), pinned, trusted)
            except OSError as exc:
                raise CertificateLogError(f"cannot read the head file {pinned}: {exc}") from None
            head["pinned"] = {"root": record["root"], "size": record["size"]}
            found = check_against_head(
                lines, record["size"], record["root"], where, f"the pinned head {pinned}"
            )
        head["pinned"]["status"] = "consistent" if found is None else "mismatch"
        if found is not None:
            problems.append(found)
    return head, problems


def main_from_args(args: argparse.Namespace) -> int:
    """0 every certificate verifies, 1 a bad line (the first is reported) or a head that the log
    contradicts, 2 usage error."""
    log: Path = args.log if args.log is not None else default_log_path()

    def usage(message: str) -> int:
        if args.json:
            print(canonical_bytes({"ok": False, "error": message}).decode("utf-8"))
        print(f"omphalos verify-certificates: {message}", file=sys.stderr)
        return 2

    if not log.is_file():
        return usage(f"{log} is not an existing file")
    try:
        trusted = trusted_keys_from_args(args)
    except KeyFileError as exc:
        return usage(str(exc))
    if not trusted:
        return usage("no trusted keys: pass --trusted-key FILE or --trust-file FILE")
    count, problems = verify_certificates(log, trusted)
    try:
        head, head_problems = check_heads(log, trusted, getattr(args, "head", None))
    except CertificateLogError as exc:
        return usage(str(exc))
    problems = problems + head_problems
    if args.json:
        out = {
            "ok": not problems,
            "log": os.fspath(log),
            "certificates_verified": count,
            "head": head,
            "problems": [p.to_dict() for p in problems],
        }
        print(canonical_bytes(out).decode("utf-8"))
    elif problems:
        for p in problems:
            print(p)
        print(
            f"omphalos verify-certificates: {count} certificate(s) verified before the first bad line",
            file=sys.stderr,
        )
    else:
        signed = head["signed"]["status"]
        print(
            f"OK {count} certificate(s) in {log}: every signature and link verifies; "
            f"head size={head['size']} root={head['root']} signed_head={signed}"
        )
    return 1 if problems else 0
