"""`omphalos` command line. Exit codes: 0 ok, 1 check failed, 2 usage or input error.

JSON on request (`--json`), progress on stderr when it is a terminal (or with --progress).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from omphalos import __version__
from omphalos.cli.progress import progress_printer
from omphalos.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    InputError,
    OmphalosError,
    exit_code_for,
)

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def _refused_output(command: str, *targets: tuple[str, object]) -> bool:
    """Print the refusal and return True when an output path is inside a sealed run."""
    from omphalos.pipeline.paths import SealedRunPathError, refuse_inside_sealed_run

    for option, target in targets:
        if target is None:
            continue
        try:
            refuse_inside_sealed_run(Path(str(target)), option)
        except SealedRunPathError as exc:
            print(f"omphalos {command}: {exc}", file=sys.stderr)
            return True
    return False


def _cmd_generate(args: argparse.Namespace) -> int:
    from omphalos.cli import generate

    if _refused_output("generate", ("--out", args.out)):
        return EXIT_USAGE
    return generate.main_from_args(args)


def _run_error_kind(exc: OmphalosError) -> str:
    """How `omphalos run` names an error (the exit code comes from the error's class)."""
    from omphalos.evidence.keys import KeyFileError
    from omphalos.pipeline.engines import EngineError

    if isinstance(exc, InputError):
        return "input error"
    if isinstance(exc, KeyFileError):
        return "signing key error"
    if isinstance(exc, EngineError):
        return "engine error"
    return "run failed"


def _cmd_run(args: argparse.Namespace) -> int:
    from omphalos.pipeline.run import execute_run
    from omphalos.presentation.show import render_summary

    def _terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds: the run is marked FAILED, schemas dropped

    if _refused_output("run", ("--runs-root", args.runs_root)):
        return EXIT_USAGE
    signal.signal(signal.SIGTERM, _terminate)
    try:
        run_dir = execute_run(
            Path(args.config),
            runs_root=Path(args.runs_root) if args.runs_root else None,
            threads=args.threads,
            progress=progress_printer(args),
            target=args.target,
            keep_warehouse=args.keep_warehouse,
            sign_key=args.sign_key,
            previous_run=args.previous_run,
        )
    except OmphalosError as exc:
        print(f"omphalos run: {_run_error_kind(exc)}: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except OSError as exc:  # a disk error outside the run directory (inputs, keys): located
        where = f"{exc.filename}: " if exc.filename is not None else ""
        print(f"omphalos run: run failed: {where}{exc.strerror or exc}", file=sys.stderr)
        return exit_code_for(exc)
    if args.json:
        print(json.dumps({"run_dir": str(run_dir), "run_id": run_dir.name}, sort_keys=True))
    else:
        print(render_summary(run_dir))
    return EXIT_OK


def _cmd_load(args: argparse.Namespace) -> int:
    from omphalos.errors import InputError
    from omphalos.pipeline.run import load_warehouse

    if _refused_output("load", ("--warehouse", args.warehouse)):
        return EXIT_USAGE
    try:
        result = load_warehouse(
            Path(args.config), Path(args.warehouse), progress=progress_printer(args)
        )
    except InputError as exc:
        print(f"omphalos load: input error: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for i in result["inputs"]:
            print(f"{i['name']}: {i['rows_admitted']} admitted, {i['rows_rejected']} rejected")
        print(f"loaded into {result['warehouse']} (schema raw); now run: dbt build")
    return EXIT_OK


def _module_command(module_name: str) -> Callable[[argparse.Namespace], int]:
    """A subcommand whose module provides add_arguments(parser) and main_from_args(args)."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        result: int = importlib.import_module(module_name).main_from_args(args)
        return result

    return run


def _add_module_command(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    module_name: str,
    help_text: str,
    wanted: Callable[[str], bool] = lambda name: True,
) -> None:
    import importlib

    p = sub.add_parser(name, help=help_text)
    if not wanted(name):
        return  # listed in --help; its module (and what it imports) is loaded only when used
    importlib.import_module(module_name).add_arguments(p)
    p.set_defaults(func=_module_command(module_name))


def _cmd_verify(args: argparse.Namespace) -> int:
    from omphalos.cli import verify

    return verify.main_from_args(args)


def _cmd_show(args: argparse.Namespace) -> int:
    from omphalos.presentation.show import main_from_args

    return main_from_args(args)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``command``, only that subcommand's arguments are built (the
    others are listed by name and help), so a command does not import every other command's
    modules (``omphalos match`` starts in a fraction of the time)."""

    def wanted(name: str) -> bool:
        return command is None or command == name

    parser = argparse.ArgumentParser(prog="omphalos", description=__doc__)
    parser.add_argument("--version", action="version", version=f"omphalos {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("generate", help="write deterministic demo inputs (feed, registry, truth)")
    if wanted("generate"):
        from omphalos.cli import generate

        generate.add_arguments(p)
        p.add_argument(
            "--progress", action="store_true", help="progress on stderr even when not a terminal"
        )
        p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("run", help="perform a sealed screening run")
    p.add_argument("--config", required=True, help="run configuration (config/runs/*.yaml)")
    p.add_argument("--runs-root", help="folder of runs (default artifacts/runs)")
    p.add_argument("--threads", type=int, default=2, help="dbt and DuckDB threads (default 2)")
    p.add_argument(
        "--target",
        choices=["duckdb", "postgres", "spark"],
        default="duckdb",
        help="warehouse engine (default duckdb; postgres reads OMPHALOS_PG_* settings; spark "
        "needs the spark extra and reads OMPHALOS_SPARK_MASTER, docs/spark.md)",
    )
    p.add_argument(
        "--sign-key",
        type=Path,
        help="sign the sealed manifest with this Ed25519 private key (NAME.key)",
    )
    p.add_argument(
        "--keep-warehouse",
        action="store_true",
        help="postgres: keep the run's schemas for inspection (default: dropped after export)",
    )
    p.add_argument(
        "--previous-run",
        type=Path,
        metavar="DIR",
        help="a sealed earlier run to compare with (overrides the config's previous_run:): "
        "verified first; the changes are exported (docs/review.md)",
    )
    p.add_argument("--json", action="store_true", help="print the run directory as JSON")
    p.add_argument(
        "--progress", action="store_true", help="progress on stderr even when not a terminal"
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("load", help="admit a config's inputs into a warehouse for `dbt build`")
    p.add_argument("--config", required=True, help="run configuration (config/runs/*.yaml)")
    p.add_argument(
        "--warehouse",
        default="artifacts/dev/warehouse.duckdb",
        help="DuckDB file (the profile's default)",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=_cmd_load)

    _add_module_command(
        sub,
        "eval",
        "omphalos.cli.evaluate",
        "measure match quality on labelled name pairs (through the SQL)",
        wanted,
    )

    _add_module_command(
        sub,
        "registry",
        "omphalos.registry.command",
        "import, combine and compare official watchlists",
        wanted,
    )
    _add_module_command(
        sub,
        "review",
        "omphalos.cli.review",
        "record and list reviewer decisions on candidates",
        wanted,
    )
    _add_module_command(
        sub,
        "match",
        "omphalos.cli.match",
        "screen one name against a registry folder (the run's SQL; cached after the first call)",
        wanted,
    )

    p = sub.add_parser("verify", help="verify a sealed run from disk")
    if wanted("verify"):
        from omphalos.cli import verify

        verify.add_arguments(p)
        p.set_defaults(func=_cmd_verify)

    _add_module_command(
        sub,
        "keys",
        "omphalos.cli.keys",
        "create Ed25519 signing keys: keys generate --name NAME",
        wanted,
    )
    _add_module_command(
        sub,
        "sign",
        "omphalos.cli.sign",
        "sign a sealed run's manifest with an Ed25519 key (run_manifest.sig.json)",
        wanted,
    )
    _add_module_command(
        sub,
        "certify",
        "omphalos.cli.certify",
        "verify two runs and compare them: substantive or procedural differences, located row by row",
        wanted,
    )
    _add_module_command(
        sub,
        "verify-certificates",
        "omphalos.cli.certificates",
        "check every signature and link of a certificates log",
        wanted,
    )
    _add_module_command(
        sub, "release", "omphalos.cli.release", "build or verify a release bundle", wanted
    )
    _add_module_command(
        sub,
        "catalog",
        "omphalos.presentation.catalog",
        "the analyst SQL catalog: list, show, check, run queries over a sealed run",
        wanted,
    )
    _add_module_command(
        sub,
        "publishability",
        "omphalos.cli.publishability",
        "scan files for material that must not leave (pre-flight gate)",
        wanted,
    )
    _add_module_command(
        sub,
        "report",
        "omphalos.presentation.report",
        "write the run report with verification status and Merkle roots (outside the run)",
        wanted,
    )

    p = sub.add_parser("show", help="print the summary of a sealed run")
    p.add_argument("run_dir", help="the run directory")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(words[0] if words and not words[0].startswith("-") else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    result: int = args.func(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
