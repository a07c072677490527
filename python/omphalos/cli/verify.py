"""`omphalos verify`: the command line of omphalos.evidence.verify (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from omphalos.cli.trust import add_trust_arguments, trusted_keys_from_args
from omphalos.evidence.canonical import (
    canonical_bytes,
)
from omphalos.evidence.keys import KeyFileError
from omphalos.evidence.verify import verify_run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos verify``."""
    parser.add_argument("--run-dir", required=True, type=Path, help="the sealed run directory")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_trust_arguments(parser)


def main_from_args(args: argparse.Namespace) -> int:
    """Run ``omphalos verify``; exit 0 when verified, 1 on any problem, 2 when no run dir."""
    run_dir: Path = args.run_dir
    if not run_dir.is_dir():
        message = f"run directory {os.fspath(run_dir)!r} does not exist or is not a directory"
        if args.json:
            print(canonical_bytes({"ok": False, "error": message}).decode("utf-8"))
        print(f"omphalos verify: {message}", file=sys.stderr)
        return 2
    try:
        trusted = trusted_keys_from_args(args)
    except KeyFileError as exc:
        if args.json:
            print(canonical_bytes({"ok": False, "error": str(exc)}).decode("utf-8"))
        print(f"omphalos verify: {exc}", file=sys.stderr)
        return 2
    result = verify_run(run_dir, trusted_keys=trusted or None)
    if args.json:
        print(result.to_json())
    elif result.ok:
        print(
            f"OK {result.run_id} payload_root={result.roots['payload_root']} "
            f"all_root={result.roots['all_root']} artifacts={result.counts['artifacts_listed']} "
            f"signature={_signature_text(result.signature)}"
        )
    else:
        for problem in result.problems:
            print(problem)
        print(f"omphalos verify: {len(result.problems)} problem(s)", file=sys.stderr)
    return 0 if result.ok else 1


def _signature_text(sig: Mapping[str, str | None]) -> str:
    status = sig.get("status")
    if status == "valid":
        return f"valid ({sig.get('key_id')}, {sig.get('signer') or 'unnamed'})"
    if status == "unchecked":
        return f"present-unchecked ({sig.get('key_id')}; pass --trusted-key to check it)"
    return str(status)
