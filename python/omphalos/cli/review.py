"""`omphalos review`: the command line of omphalos.evidence.review (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.review import (
    DECISIONS,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ReviewError,
    append_decision,
    build_decision,
    check_log_path,
    read_decisions,
    verify_log,
)

# ---------------------------------------------------------------------------------------------
# CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos review`` (decide, list, show, verify)."""
    from omphalos.cli.trust import add_trust_arguments

    sub = parser.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    p = sub.add_parser("decide", help="record a reviewer's decision on a candidate of a run")
    p.add_argument("--run-dir", required=True, type=Path, help="the sealed run")
    p.add_argument("--match-id", required=True, help="the candidate (entity_matches.match_id)")
    p.add_argument("--decision", required=True, choices=DECISIONS)
    p.add_argument("--reason", required=True, help="why (free text, one line)")
    p.add_argument("--reviewer", required=True, help="who decided")
    p.add_argument("--log", required=True, type=Path, help="the decisions log (JSONL) to append to")
    p.add_argument("--sign-key", type=Path, help="sign the record with this Ed25519 key (NAME.key)")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p = sub.add_parser("list", help="the decisions of a log")
    p.add_argument("--log", required=True, type=Path)
    p.add_argument("--json", action="store_true", help="print the records as JSON")
    p = sub.add_parser("show", help="one decision (by decision id) or a candidate's decisions")
    p.add_argument("--log", required=True, type=Path)
    p.add_argument("id", help="a decision_id (D-…) or a match_id")
    p = sub.add_parser("verify", help="check a log's chain, records and signatures")
    p.add_argument("--log", required=True, type=Path)
    add_trust_arguments(p)
    p.add_argument("--json", action="store_true")


def _decide(args: argparse.Namespace) -> int:
    from omphalos.evidence.keys import KeyFileError, load_signing_key
    from omphalos.evidence.lineage import utc_now

    key = None
    if args.sign_key is not None:
        try:
            key = load_signing_key(args.sign_key)
        except KeyFileError as exc:
            raise ReviewError(f"--sign-key: {exc}") from None
    check_log_path(args.log, args.run_dir)
    record = build_decision(
        args.run_dir, args.match_id, args.decision, args.reason, args.reviewer, utc_now(), key
    )
    append_decision(args.log, record, args.run_dir)
    if args.json:
        print(canonical_bytes(record).decode("utf-8"))
    else:
        print(
            f"{record['decision_id']}: {record['decision']} for {record['match_id']} "
            f"({record['party_name']} ~ {record['matched_name']}, {record['entity_id']}) by "
            f"{record['reviewer']}{', signed by ' + record['key_id'] if key else ''}; "
            f"appended to {args.log}"
        )
    return EXIT_OK


def main_from_args(args: argparse.Namespace) -> int:
    action: str = args.review_command
    try:
        if action == "decide":
            return _decide(args)
        if action == "list":
            records = read_decisions(args.log)
            if args.json:
                print(canonical_bytes(records).decode("utf-8"))
            else:
                for r in records:
                    print(
                        f"{r['decision_id']}  {r['decided_at']}  {r['decision']:<14}  "
                        f"{r['reviewer']}  {r['match_id']}  {r['party_name']} ~ "
                        f"{r['matched_name']}"
                    )
                print(f"{len(records)} decision(s) in {args.log}")
            return EXIT_OK
        if action == "show":
            records = [
                r for r in read_decisions(args.log) if args.id in (r["decision_id"], r["match_id"])
            ]
            if not records:
                raise ReviewError(f"no decision or match id {args.id!r} in {args.log}")
            for r in records:
                print(canonical_bytes(r).decode("utf-8"))
            return EXIT_OK
        if action == "verify":
            from omphalos.cli.trust import trusted_keys_from_args
            from omphalos.evidence.keys import KeyFileError

            try:
                trusted = trusted_keys_from_args(args) or None
            except KeyFileError as exc:
                raise ReviewError(str(exc)) from None
            count, signed, problems = verify_log(args.log, trusted)
            if args.json:
                doc = {"ok": not problems, "records": count, "signed": signed}
                print(canonical_bytes({**doc, "problems": problems}).decode("utf-8"))
            else:
                for p in problems:
                    print(f"omphalos review verify: {p}", file=sys.stderr)
                state = "signatures checked" if trusted else "signatures not checked"
                print(
                    f"{'OK' if not problems else 'FAILED'}: {count} decision(s), {signed} signed "
                    f"({state}) in {os.fspath(args.log)}"
                )
            return EXIT_OK if not problems else EXIT_FAILED
    except ReviewError as exc:
        print(f"omphalos review {action}: {exc}", file=sys.stderr)
        return exc.code
    print(f"omphalos review: unknown action {action!r}", file=sys.stderr)
    return EXIT_USAGE
