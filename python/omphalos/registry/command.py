"""``omphalos registry import | combine | diff``. Exit codes: 0 ok, 2 usage or input error."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from pathlib import Path
from typing import Any

from omphalos.evidence.canonical import canonical_bytes

__all__ = ["SOURCES", "add_arguments", "main_from_args", "run_import"]

SOURCES = ("ofac-sdn", "ofac-cons", "ofac-sdn-csv", "un-xml", "csl", "bis-dpl", "ftm", "mapping")
_RAW_OFAC = ("ofac-sdn", "ofac-cons")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EXIT_OK = 0
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``omphalos registry`` (three actions)."""
    sub = parser.add_subparsers(dest="registry_command", required=True, metavar="ACTION")

    p = sub.add_parser(
        "import",
        help="convert an official list file into registry input files",
        description="Convert an official watchlist into registry_entities.csv, registry_names.csv, "
        "registry_identifiers.csv (docs/inputs.md), registry_addresses.csv and "
        "registry_source.json (docs/registries.md).",
    )
    p.add_argument("--source", required=True, choices=SOURCES, help="the list format")
    p.add_argument(
        "--sdn",
        "--prim",
        dest="sdn",
        type=Path,
        help="ofac-sdn: SDN.CSV; ofac-cons: CONS_PRIM.CSV (raw OFAC format, no header)",
    )
    p.add_argument("--alt", type=Path, help="ofac-sdn/ofac-cons: ALT.CSV (aliases)")
    p.add_argument(
        "--add", type=Path, help="ofac-sdn/ofac-cons/ofac-sdn-csv: ADD.CSV (addresses, countries)"
    )
    p.add_argument(
        "--file",
        type=Path,
        help="ofac-sdn-csv: the packaged CSV; un-xml: the UN consolidated XML; csl: the trade.gov "
        "CSV; bis-dpl: the tab-separated Denied Persons List; ftm: FollowTheMoney entities (JSON "
        "lines); mapping: the CSV, TSV or XML list the --mapping file describes",
    )
    p.add_argument(
        "--mapping",
        type=Path,
        help="mapping: the YAML file that maps the list to the registry (docs/registries.md)",
    )
    p.add_argument(
        "--list-date",
        help="publication date of this list version, YYYY-MM-DD (un-xml: defaults to the file's "
        "dateGenerated; mapping: to where the mapping's list_date says)",
    )
    p.add_argument("--out", required=True, type=Path, help="folder to write")
    p.add_argument("--force", action="store_true", help="replace registry files already in --out")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = sub.add_parser(
        "combine",
        help="combine imported registries of different lists into one",
        description="Combine registry folders; fails (exit 2) when an entity id occurs twice.",
    )
    p.add_argument(
        "--in", dest="inputs", action="append", required=True, type=Path, help="a registry folder"
    )
    p.add_argument("--out", required=True, type=Path, help="folder to write")
    p.add_argument("--force", action="store_true", help="replace registry files already in --out")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = sub.add_parser(
        "diff",
        help="entities added, removed and renamed between two versions of a registry",
    )
    p.add_argument("--old", required=True, type=Path, help="registry folder of the older version")
    p.add_argument("--new", required=True, type=Path, help="registry folder of the newer version")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--limit", type=int, help="text output: at most N lines per section")


def _list_date(value: str | None, required: bool) -> str | None:
    from omphalos.registry.model import RegistryError

    if value is None:
        if required:
            raise RegistryError("--list-date YYYY-MM-DD is required for this source")
        return None
    try:
        if not _DATE.match(value):
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        raise RegistryError(f"--list-date {value!r} is not a date YYYY-MM-DD") from None
    return value


def run_import(args: argparse.Namespace) -> dict[str, Any]:
    """Import one list as the arguments say; returns the written registry_source.json document."""
    from omphalos.registry.model import RegistryError, check_out_dir, write_registry

    source: str = args.source
    if source not in _RAW_OFAC and (args.sdn is not None or args.alt is not None):
        raise RegistryError(f"--sdn/--prim and --alt are for ofac-sdn and ofac-cons, not {source}")
    if source not in (*_RAW_OFAC, "ofac-sdn-csv") and args.add is not None:
        raise RegistryError(f"--add is for the OFAC sources, not {source}")
    mapping_file = getattr(args, "mapping", None)
    if (source == "mapping") != (mapping_file is not None):
        raise RegistryError(
            "--source mapping needs --mapping FILE.yml"
            if source == "mapping"
            else f"--mapping is for --source mapping, not {source}"
        )
    if source in _RAW_OFAC:
        main_file = args.sdn or args.file
        if main_file is None:
            raise RegistryError(
                f"{source} needs --sdn FILE (the raw {'SDN.CSV' if source == 'ofac-sdn' else 'CONS_PRIM.CSV'}"
                "); ALT/ADD files only add aliases and addresses to its entries"
            )
    else:
        main_file = args.file
        if main_file is None:
            raise RegistryError(f"{source} needs --file FILE")
    list_date = _list_date(args.list_date, required=source not in ("un-xml", "mapping"))
    mapping = None
    if source == "mapping":
        from omphalos.registry.mapping import load_mapping

        assert isinstance(mapping_file, Path)
        mapping = load_mapping(mapping_file)
    check_out_dir(args.out, args.force)

    if source in _RAW_OFAC:
        from omphalos.registry.ofac import parse_ofac_raw

        assert list_date is not None
        entities, record = parse_ofac_raw(
            main_file,
            list_date,
            alt=args.alt,
            add=args.add,
            consolidated=source == "ofac-cons",
        )
    elif source == "ofac-sdn-csv":
        from omphalos.registry.ofac import parse_ofac_packaged

        assert list_date is not None
        entities, record = parse_ofac_packaged(main_file, list_date, add=args.add)
    elif source == "un-xml":
        from omphalos.registry.un import parse_un_xml

        entities, record = parse_un_xml(main_file, list_date)
    elif source == "ftm":
        from omphalos.registry.ftm import parse_ftm

        assert list_date is not None
        entities, record = parse_ftm(main_file, list_date)
    elif source == "mapping":
        from omphalos.registry.mapping import parse_with_mapping

        assert mapping is not None
        entities, record = parse_with_mapping(mapping, main_file, list_date)
    elif source == "csl":
        from omphalos.registry.csl import parse_csl

        assert list_date is not None
        entities, record = parse_csl(main_file, list_date)
    else:
        from omphalos.registry.dpl import parse_dpl

        assert list_date is not None
        entities, record = parse_dpl(main_file, list_date)
    return write_registry(args.out, entities, [record.to_json(entities)])


def _warnings(doc: dict[str, Any]) -> list[str]:
    out = []
    for s in doc.get("sources", []):
        parse = s.get("parse", {})
        label = f"{s.get('source')} {s.get('list_date')}"
        for key in ("alt_rows_orphaned", "add_rows_orphaned"):
            if parse.get(key):
                out.append(
                    f"{label}: {parse[key]} {key.split('_')[0].upper()} row(s) name an entry "
                    "not in the main file (different list versions?): skipped"
                )
        if parse.get("remarks_truncated"):
            out.append(
                f"{label}: {parse['remarks_truncated']} Remarks field(s) cut at 1,000 characters "
                "by OFAC: their last partial item was dropped"
            )
        unmapped = parse.get("unmapped_country_names") or {}
        if unmapped:
            names = ", ".join(f"{k} ({v})" for k, v in sorted(unmapped.items()))
            out.append(f"{label}: country names without an ISO code (left out): {names}")
    return out


def _summary(doc: dict[str, Any], out: Path, seconds: float) -> str:
    lines = []
    for s in doc["sources"]:
        c = s["counts"]
        kinds = ", ".join(f"{v} {k}" for k, v in c["entities_by_kind"].items() if v)
        types = ", ".join(f"{v} {k}" for k, v in c["names_by_type"].items() if v)
        files = ", ".join(
            f"{f['file']} ({f['records']} records, {f['encoding']})" for f in s["files"]
        )
        lines.append(
            f"{s['source_list']} {s['list_date']}: {c['entities']} entities ({kinds}); "
            f"{c['names']} names ({types}); {c['identifiers']} identifiers; "
            f"{c['addresses']} addresses; from {files}"
        )
    lines.append(f"wrote {out} in {seconds:.2f}s")
    return "\n".join(lines)


def main_from_args(args: argparse.Namespace) -> int:
    """Run ``omphalos registry <action>``; 0 ok, 2 on a usage or input error."""
    from omphalos.registry.model import RegistryError

    action: str = args.registry_command
    started = time.perf_counter()
    try:
        if action == "import":
            doc = run_import(args)
            seconds = time.perf_counter() - started
            for warning in _warnings(doc):
                print(f"omphalos registry import: warning: {warning}", file=sys.stderr)
            if args.json:
                result = {"out": str(args.out), "seconds": f"{seconds:.3f}", **doc}
                print(canonical_bytes(result).decode("utf-8"))
            else:
                print(_summary(doc, args.out, seconds))
            return EXIT_OK
        if action == "combine":
            from omphalos.registry.combine import combine_registries
            from omphalos.registry.model import check_out_dir

            check_out_dir(args.out, args.force)
            doc = combine_registries(args.inputs, args.out)
            if args.json:
                print(canonical_bytes({"out": str(args.out), **doc}).decode("utf-8"))
            else:
                rows = doc["outputs"]
                print(
                    f"wrote {args.out}: "
                    + ", ".join(f"{name} {v['rows']} rows" for name, v in sorted(rows.items()))
                )
            return EXIT_OK
        if action == "diff":
            from omphalos.registry.diff import diff_registries, render_diff

            report = diff_registries(args.old, args.new)
            if args.json:
                print(canonical_bytes(report).decode("utf-8"))
            else:
                print(render_diff(report, args.limit))
            return EXIT_OK
    except RegistryError as exc:
        print(f"omphalos registry {action}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"omphalos registry: unknown action {action!r}", file=sys.stderr)
    return EXIT_USAGE
