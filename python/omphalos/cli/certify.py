"""`omphalos certify`: the command line of omphalos.evidence.certify (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from omphalos.cli.trust import add_trust_arguments, trusted_keys_from_args
from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.certificates import CertificateLogError, default_log_path
from omphalos.evidence.certify import EXIT_ERROR, CertifyError, certify
from omphalos.evidence.compare import summarize
from omphalos.evidence.keys import KeyFileError, load_signing_key
from omphalos.evidence.problems import Problem
from omphalos.pipeline.paths import SealedRunPathError, refuse_inside_sealed_run

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
