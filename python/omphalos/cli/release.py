"""`omphalos release`: the command line of omphalos.evidence.release (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from omphalos.cli.trust import add_trust_arguments, trusted_keys_from_args
from omphalos.evidence.canonical import (
    canonical_bytes,
)
from omphalos.evidence.keys import KeyFileError
from omphalos.evidence.release import (
    BundleReadError,
    Preflight,
    ReleaseError,
    build_release,
    verify_bundle,
)

# ---------------------------------------------------------------------------------------------
# omphalos release


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos release`` (actions ``build`` and ``verify``)."""
    sub = parser.add_subparsers(dest="release_command", required=True, metavar="ACTION")
    build = sub.add_parser("build", help="write a reproducible release bundle of a sealed run")
    build.add_argument("--run-dir", required=True, type=Path, help="the sealed run directory")
    build.add_argument("--out", required=True, type=Path, help="the bundle to write (X.tar.gz)")
    build.add_argument(
        "--sign-key", type=Path, default=None, help="Ed25519 private key (NAME.key) to sign with"
    )
    build.add_argument(
        "--only",
        nargs="+",
        action="extend",
        default=None,
        metavar="PATH",
        help="disclose only these payload artifacts (paths relative to the run), with "
        "inclusion proofs",
    )
    build.add_argument(
        "--publishability-waiver",
        type=Path,
        help="suppression file (each entry with a reason) for findings of the publishability scan "
        "that are accepted for this release; without it, any HIGH finding refuses the build",
    )
    build.add_argument("--json", action="store_true", help="print the result as JSON")
    verify = sub.add_parser("verify", help="verify a release bundle without extracting it")
    verify.add_argument("--bundle", required=True, type=Path, help="the bundle (X.tar.gz)")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    add_trust_arguments(verify)


def _error(args: argparse.Namespace, action: str, message: str, code: str) -> None:
    if args.json:
        print(canonical_bytes({"ok": False, "code": code, "error": message}).decode("utf-8"))
    print(f"omphalos release {action}: {message}", file=sys.stderr)


def main_from_args(args: argparse.Namespace, *, preflight: Preflight | None = None) -> int:
    """``omphalos release build|verify``: 0 ok, 1 a check failed, 2 usage or unreadable input."""
    if args.release_command == "build":
        if preflight is None:
            from omphalos.tools.scan import ScanError, preflight_scan

            waiver = args.publishability_waiver

            def scan_gate(run: Path) -> list[str]:
                try:
                    return preflight_scan(run, suppressions=waiver)
                except ScanError as exc:
                    raise ReleaseError(
                        f"publishability scan failed: {exc}", "preflight_error", 2
                    ) from exc

            preflight = scan_gate
        try:
            built = build_release(
                args.run_dir, args.out, sign_key=args.sign_key, only=args.only, preflight=preflight
            )
        except ReleaseError as exc:
            _error(args, "build", str(exc), exc.code)
            return exc.exit_code
        except OSError as exc:
            _error(args, "build", f"cannot write the bundle: {exc}", "io_error")
            return 2
        if args.json:
            print(canonical_bytes(built.to_dict()).decode("utf-8"))
        else:
            d = built.to_dict()
            print(
                f"wrote {d['out']} sha256={d['sha256']} run={d['run_id']} "
                f"disclosure={d['disclosure']} run_members={d['run_members']} "
                f"signed_by={d['signed_by'] or 'unsigned'}"
            )
        return 0
    if args.release_command != "verify":  # pragma: no cover - argparse enforces the choice
        print(f"omphalos release: unknown action {args.release_command!r}", file=sys.stderr)
        return 2
    try:
        trusted = trusted_keys_from_args(args)
    except KeyFileError as exc:
        _error(args, "verify", str(exc), "trusted_key")
        return 2
    try:
        result = verify_bundle(args.bundle, trusted_keys=trusted or None)
    except BundleReadError as exc:
        _error(args, "verify", str(exc), "bundle_unreadable")
        return 2
    if args.json:
        print(result.to_json())
    elif result.ok:
        sigs = ", ".join(f"{s.member}: {s.status} ({s.key_id})" for s in result.signatures)
        print(
            f"OK {result.run_id} disclosure={result.disclosure} "
            f"payload_root={result.roots.get('payload_root')} "
            f"shipped={result.counts.get('artifacts_shipped')}/"
            f"{result.counts.get('artifacts_listed')} signatures: {sigs or 'none'}"
        )
        if not trusted:
            print(
                "note: no --trusted-key given: integrity checked, authorship not established",
                file=sys.stderr,
            )
    else:
        for problem in result.problems:
            print(problem)
        print(f"omphalos release verify: {len(result.problems)} problem(s)", file=sys.stderr)
    return 0 if result.ok else 1
