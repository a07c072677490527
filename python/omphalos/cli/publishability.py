"""`omphalos publishability`: the command line of omphalos.tools.scan (arguments, printing, exit codes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from omphalos.pipeline.paths import SealedRunPathError, refuse_inside_sealed_run
from omphalos.tools.scan import ScanError, load_rule_pack, scan_path

# ---------------------------------------------------------------------------------------------
# Command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-commands of ``omphalos publishability``: scan, rules."""
    sub = parser.add_subparsers(dest="publishability_command", required=True, metavar="ACTION")
    p = sub.add_parser("scan", help="scan a file or folder for material that must not leave")
    p.add_argument("--path", required=True, type=Path, help="file or folder to scan")
    p.add_argument("--out", type=Path, help="write the JSON report here")
    p.add_argument("--sarif", type=Path, help="also write a SARIF 2.1.0 log here")
    p.add_argument("--suppressions", type=Path, help="suppression file (YAML)")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching GLOB (relative to --path; repeatable; recorded in the report)",
    )
    p.add_argument(
        "--git-files",
        action="store_true",
        help="scan only files git tracks or would track under --path (a repository checkout)",
    )
    p.add_argument(
        "--rules", type=Path, help="rule pack (default contracts/publishability_rules.yml)"
    )
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p = sub.add_parser("rules", help="list the rule pack")
    p.add_argument(
        "--rules", type=Path, help="rule pack (default contracts/publishability_rules.yml)"
    )


def main_from_args(args: argparse.Namespace) -> int:
    """Run ``omphalos publishability ...``; exit 0 clear, 1 HIGH findings remain, 2 usage."""
    try:
        if args.publishability_command == "rules":
            pack = load_rule_pack(args.rules)
            for r in pack.rules:
                print(f"{r.severity:<6} {r.id:<32} {r.title}")
            print(f"rule pack {pack.path} sha256 {pack.sha256}")
            return 0
        for option, target in (("--out", args.out), ("--sarif", args.sarif)):
            if target is not None:
                try:
                    refuse_inside_sealed_run(target, option)
                except SealedRunPathError as exc:
                    raise ScanError(str(exc)) from None
        report = scan_path(
            args.path,
            suppressions=args.suppressions,
            excludes=args.exclude,
            git_files=args.git_files,
            rules=args.rules,
        )
    except ScanError as exc:
        print(f"omphalos publishability: {exc}", file=sys.stderr)
        return 2
    if args.out is not None:
        report.write_json(args.out)
    if args.sarif is not None:
        report.write_sarif(args.sarif)
    if not args.quiet:
        for f in report.open_findings:
            digest = (f.value_sha256 or "")[:12]
            print(f"{f.severity:<6} {f.rule:<30} {f.where()}  {f.message}  {digest}")
    summary = report.to_dict()["summary"]
    counts = summary["findings"]
    print(
        f"omphalos publishability: {summary['files']} files; open findings HIGH {counts['HIGH']}, "
        f"MEDIUM {counts['MEDIUM']}, LOW {counts['LOW']}; suppressed {summary['suppressed']}; "
        + ("OK" if report.ok else "BLOCKED (HIGH findings remain)"),
        file=sys.stderr,
    )
    unused = [s.index for s in report.suppressions if s.matched == 0]
    if unused:
        print(f"omphalos publishability: unused suppressions: {unused}", file=sys.stderr)
    return 0 if report.ok else 1
