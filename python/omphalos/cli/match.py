"""`omphalos match`: the command line of omphalos.pipeline.match (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from omphalos.pipeline.match import KINDS, MatchInputError, screen


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the name to screen")
    parser.add_argument("--registry", required=True, help="registry folder (registry import --out)")
    parser.add_argument("--kind", choices=KINDS, help="what the name is (default: any)")
    parser.add_argument("--country", help="country of the name (ISO 3166-1 alpha-2)")
    parser.add_argument("--top", type=int, default=10, help="candidates to list (default 10)")
    parser.add_argument(
        "--match-threshold", help="MATCH threshold (default: match_threshold in dbt_project.yml)"
    )
    parser.add_argument(
        "--review-threshold",
        help="REVIEW threshold (default: review_threshold in dbt_project.yml)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _decimal(value: str | None, flag: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise MatchInputError(f"{flag}: not a number") from None


def main_from_args(args: argparse.Namespace) -> int:
    try:
        result = screen(
            args.name,
            Path(args.registry),
            kind=args.kind,
            country=args.country,
            top=args.top,
            match_threshold=_decimal(args.match_threshold, "--match-threshold"),
            review_threshold=_decimal(args.review_threshold, "--review-threshold"),
        )
    except MatchInputError as exc:
        print(f"omphalos match: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # the cache could not be built (dbt failed)
        print(f"omphalos match: {exc}", file=sys.stderr)
        return 1
    rejected = sum(v for k, v in result["registry"]["rows_rejected"].items() if k != "shipments")
    if rejected:
        print(
            f"omphalos match: {rejected} registry row(s) were rejected at admission and are not "
            "screened (omphalos run with this registry lists them in inputs/rejects.csv)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(result, sort_keys=True, default=str))
        return 0
    q = result["query"]
    print(
        f"query (normalized) {q['normalized'] or '-'}  kind {q['kind'] or 'any'}  "
        f"country {q['country'] or '-'}  MATCH >= {q['match_threshold']}  "
        f"REVIEW >= {q['review_threshold']}"
    )
    if not result["candidates"]:
        print("no candidate")
    for c in result["candidates"]:
        print(
            f"{c['candidate_rank']:>3}. {c['match_status']:<8} {c['score']:>6}  {c['entity_id']}  "
            f"{c['entity_kind']}  {c['entity_primary_name']}  [{c['programs']}]"
        )
        print(f"       matched {c['matched_name_type']} {c['matched_name']!r}: {c['evidence']}")
    print(f"({result['cache']['state']} cache, {result['seconds']:.2f}s)", file=sys.stderr)
    return 0
