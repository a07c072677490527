"""`omphalos generate`: the command line of omphalos.tools.generate (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from omphalos.cli.progress import progress_printer
from omphalos.tools.generate import FORMATS, generate


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `omphalos generate`."""
    parser.add_argument(
        "--out", required=True, type=Path, help="output folder (created if missing)"
    )
    parser.add_argument(
        "--shipments", type=_count, default=20_000, help="trade feed rows (default 20000)"
    )
    parser.add_argument(
        "--entities",
        type=_count,
        default=None,
        help="listed entities of the generated registry (default 2000)",
    )
    parser.add_argument(
        "--registry",
        type=Path,
        default=None,
        help="plant the entities of this registry folder (as `omphalos registry import` writes "
        "it) instead of generating a registry; only shipments and truth are written",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--format", dest="format", choices=FORMATS, default="csv", help="file format (default csv)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def main_from_args(args: argparse.Namespace) -> int:
    """Run `omphalos generate`; progress goes to stderr, the summary to stdout."""
    if args.registry is not None and args.entities is not None:
        print("omphalos generate: --entities and --registry exclude each other", file=sys.stderr)
        return 2
    try:
        summary = generate(
            Path(args.out),
            shipments=args.shipments,
            entities=2_000 if args.entities is None else args.entities,
            seed=args.seed,
            fmt=args.format,
            progress=progress_printer(args),
            registry=args.registry,
        )
    except (ValueError, OSError) as exc:
        print(f"omphalos generate: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(summary, sort_keys=True))
    else:
        files = summary["files"]
        assert isinstance(files, dict)
        for name, rows in files.items():
            print(f"{name}.{args.format}: {rows:,} rows")
        print(
            f"planted: {summary['true_matches_total']} true matches, "
            f"{summary['lookalikes']} look-alikes (see truth.{args.format}); in {summary['out_dir']}"
        )
        if "registry" in summary:
            planted = summary["planted_from"]
            assert isinstance(planted, dict)
            print(
                f"from {summary['registry']}: {planted['entities']:,} entities to plant, "
                f"{planted['shared_name_left_out']:,} left out (a name another entity shares)"
            )
    return 0
