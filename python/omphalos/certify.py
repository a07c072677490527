"""``omphalos certify``: verify two runs from disk, compare them, optionally sign a certificate.

Exit codes: 0 equivalent, 1 different, 2 error (a run does not verify, bad arguments, a key or
certificates-log problem). A run that fails verification is an error, never a "different" verdict.
See docs/evidence.md, "Difference report" and "Certificate".
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omphalos.canonical import canonical_bytes, write_canonical_json
from omphalos.certificates import CertificateLogError, append_certificate, default_log_path
from omphalos.compare import compare_runs, summarize
from omphalos.keys import (
    KeyFileError,
    SigningKey,
    TrustedKey,
    add_trust_arguments,
    load_signing_key,
    trusted_keys_from_args,
)
from omphalos.manifest import MANIFEST_NAME, ManifestError, read_manifest
from omphalos.paths import SealedRunPathError, refuse_inside_sealed_run
from omphalos.problems import Problem
from omphalos.verify import verify_run

__all__ = [
    "CertifyError",
    "CertifyOutcome",
    "add_arguments",
    "certify",
    "main_from_args",
    "report_sha256",
]

EXIT_EQUIVALENT = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


class CertifyError(RuntimeError):
    """The runs cannot be compared; ``problems`` holds each run's verification problems."""

    def __init__(self, message: str, problems: Mapping[str, list[Problem]] | None = None) -> None:
        super().__init__(message)
        self.problems: dict[str, list[Problem]] = dict(problems or {})


@dataclass
class CertifyOutcome:
    report: dict[str, Any]
    report_sha256: str
    certificate: dict[str, Any] | None = None
    certificate_line: int | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_EQUIVALENT if self.report["verdict"] == "equivalent" else EXIT_DIFFERENT


def report_sha256(report: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical bytes of the report (what a certificate binds)."""
    return hashlib.sha256(canonical_bytes(report)).hexdigest()


def certify(
    run_a: Path,
    run_b: Path,
    *,
    examples: int = 5,
    trusted_keys: Mapping[str, TrustedKey] | None = None,
    sign_key: SigningKey | None = None,
    certificates_log: Path | None = None,
    out: Path | None = None,
) -> CertifyOutcome:
    """Verify both runs from disk, compare them, write the report, append a certificate.

    Raises ``CertifyError`` when a run is missing or does not verify."""
    if examples < 0:
        raise CertifyError("--examples must be 0 or more")
    failures: dict[str, list[Problem]] = {}
    manifests: dict[str, dict[str, Any]] = {}
    for label, run_dir in (("a", run_a), ("b", run_b)):
        if not run_dir.is_dir():
            raise CertifyError(f"run {label.upper()}: {run_dir} is not an existing directory")
        result = verify_run(run_dir, trusted_keys=trusted_keys or None)
        if not result.ok:
            failures[label] = result.problems
            continue
        try:
            manifests[label] = read_manifest(run_dir / MANIFEST_NAME)[0]
        except ManifestError as exc:  # pragma: no cover - verify_run just read it
            failures[label] = [Problem(exc.code, MANIFEST_NAME, str(exc))]
    if failures:
        which = " and ".join(f"run {k.upper()}" for k in sorted(failures))
        raise CertifyError(
            f"{which} failed verification; runs that do not verify are not compared", failures
        )
    report = compare_runs(run_a, manifests["a"], run_b, manifests["b"], examples=examples)
    outcome = CertifyOutcome(report, report_sha256(report))
    if out is not None:
        write_canonical_json(out, report)
    if sign_key is not None:
        log = certificates_log if certificates_log is not None else default_log_path()
        outcome.certificate, outcome.certificate_line = append_certificate(log, report, sign_key)
    return outcome


# ---------------------------------------------------------------------------------------------
# omphalos certify


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos certify``."""
    parser.add_argument("--run-a", required=True, type=Path, help="the first sealed run directory")
    parser.add_argument("--run-b", required=True, type=Path, help="the second sealed run directory")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="list every differing file (by default the review packets are counted, not listed)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the report to this file")
    parser.add_argument(
        "--examples",
        type=int,
        default=5,
        metavar="N",
        help="example rows per kind of difference (default 5)",
    )
    parser.add_argument(
        "--sign-key",
        type=Path,
        default=None,
        help="sign a certificate with this Ed25519 private key and append it to the log",
    )
    parser.add_argument(
        "--certificates-log",
        type=Path,
        default=None,
        help="certificates log (JSONL) to append to (default artifacts/certificates.jsonl)",
    )
    add_trust_arguments(parser)


def main_from_args(args: argparse.Namespace) -> int:
    """0 equivalent, 1 different, 2 error."""

    def error(message: str, problems: Mapping[str, list[Problem]] | None = None) -> int:
        if args.json:
            body = {
                "ok": False,
                "error": message,
                "problems": {k: [p.to_dict() for p in v] for k, v in (problems or {}).items()},
            }
            print(canonical_bytes(body).decode("utf-8"))
        else:
            for label, found in sorted((problems or {}).items()):
                for p in found:
                    print(f"run {label.upper()}: {p}")
        print(f"omphalos certify: {message}", file=sys.stderr)
        return EXIT_ERROR

    if args.certificates_log is not None and args.sign_key is None:
        return error("--certificates-log needs --sign-key (certificates are always signed)")
    try:
        if args.out is not None:
            refuse_inside_sealed_run(args.out, "--out")
            refuse_inside_sealed_run(args.out.with_suffix(".html"), "--out (its .html page)")
        if args.sign_key is not None:
            log = args.certificates_log if args.certificates_log is not None else default_log_path()
            refuse_inside_sealed_run(log, "--certificates-log")
    except SealedRunPathError as exc:
        return error(str(exc))
    try:
        trusted = trusted_keys_from_args(args)
        key = load_signing_key(args.sign_key) if args.sign_key is not None else None
    except KeyFileError as exc:
        return error(str(exc))
    try:
        outcome = certify(
            args.run_a,
            args.run_b,
            examples=args.examples,
            trusted_keys=trusted,
            sign_key=key,
            certificates_log=args.certificates_log,
            out=args.out,
        )
    except CertifyError as exc:
        return error(str(exc), exc.problems)
    except (CertificateLogError, OSError) as exc:
        return error(str(exc))
    page = None
    if args.out is not None:
        from omphalos.presentation.certify_page import write_certify_html

        page = write_certify_html(outcome.report, args.out.with_suffix(".html"))
    if args.json:
        print(canonical_bytes(outcome.report).decode("utf-8"))
    else:
        print(summarize(outcome.report, verbose=args.verbose))
        print(f"A {outcome.report['runs']['a']['run_id']}  ({os.fspath(args.run_a)})")
        print(f"B {outcome.report['runs']['b']['run_id']}  ({os.fspath(args.run_b)})")
        print(f"report_sha256 {outcome.report_sha256}")
        if args.out is not None:
            print(f"report written to {args.out} (page: {page})")
        if outcome.certificate is not None:
            log = args.certificates_log or default_log_path()
            print(
                f"certificate {outcome.certificate_line} appended to {log} "
                f"(signed by {outcome.certificate['key_id']})"
            )
    return outcome.exit_code
