"""`omphalos evaluate`: the command line of omphalos.tools.evaluate (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from omphalos.tools.evaluate import EvalInputError, eval_names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=["names"], help="what to evaluate")
    parser.add_argument(
        "--pairs", required=True, help="CSV with columns schema,name1,name2,is_match"
    )
    parser.add_argument(
        "--threshold", help="MATCH threshold (default: match_threshold in dbt_project.yml)"
    )
    parser.add_argument(
        "--errors", type=int, default=50, help="how many errors to list (default 50)"
    )
    parser.add_argument(
        "--scores-out",
        help="write every pair's score to this CSV "
        "(pair_id, schema, name1, name2, is_match, score, predicted)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def main_from_args(args: argparse.Namespace) -> int:
    try:
        threshold = Decimal(args.threshold) if args.threshold else None
    except InvalidOperation:
        print("omphalos eval: --threshold: not a number", file=sys.stderr)
        return 2
    scores_out = Path(args.scores_out) if args.scores_out else None
    if scores_out is not None and not scores_out.parent.is_dir():
        print(f"omphalos eval: --scores-out: {scores_out.parent}: no such folder", file=sys.stderr)
        return 2
    try:
        result = eval_names(Path(args.pairs), threshold, args.errors, scores_out)
    except EvalInputError as exc:
        print(f"omphalos eval: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return 0
    print(f"pairs {result['pairs']}  threshold {result['threshold']}")
    print(
        f"precision {result['precision']:.4f}  recall {result['recall']:.4f}  F1 {result['f1']:.4f}"
    )
    for schema, m in result["by_schema"].items():
        print(
            f"  {schema:<12} n={m['pairs']:<5} P {m['precision']:.4f}  R {m['recall']:.4f}  F1 {m['f1']:.4f}"
        )
    b = result["best_threshold"]
    print(f"best F1 {b['f1']:.4f} at threshold {b['threshold']}")
    print(f"errors ({result['errors_total']}, first {len(result['errors'])}):")
    for e in result["errors"]:
        rules = f"  [{'; '.join(e['rules'])}]" if e.get("rules") else ""
        print(
            f"  {e['kind']:<15} {e['score']:>7}  {e['name1']!r} ~ {e['name2']!r}  ({e['schema']})"
            + rules
        )
    return 0
