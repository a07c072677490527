"""One side build of the project's dbt models outside a sealed run (``omphalos match``'s
candidate model, ``omphalos evaluate``'s scored pairs): the same dbt command line for both, on
the DuckDB target, with its own target and log folders and no partial parse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from omphalos.pipeline.paths import project_root

__all__ = ["dbt_build", "dbt_build_argv", "dbt_executable"]


def dbt_executable() -> str:
    """The dbt beside the running Python (the virtual environment's), else ``dbt`` on PATH."""
    dbt_bin = Path(sys.executable).with_name("dbt")
    return str(dbt_bin) if dbt_bin.exists() else "dbt"


def dbt_build_argv(
    selection: Sequence[str], work: Path, dbt_vars: Mapping[str, object]
) -> list[str]:
    """``dbt build`` with ``selection`` (the selection flags: --select, --exclude, ...) on the
    DuckDB target of the project's profiles, writing under ``work``, with ``dbt_vars``."""
    root = project_root()
    return [
        dbt_executable(),
        "build",
        *selection,
        "--project-dir",
        str(root),
        "--profiles-dir",
        str(root / "profiles"),
        "--target",
        "duckdb",
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        json.dumps(dict(dbt_vars)),
        "--no-partial-parse",
        "--no-use-colors",
    ]


def dbt_build(
    selection: Sequence[str],
    work: Path,
    dbt_vars: Mapping[str, object],
    env: Mapping[str, str],
    what: str,
) -> None:
    """Run ``dbt_build_argv`` with the environment plus ``env``; raise ``RuntimeError`` (with
    the end of dbt's output) when it fails, naming ``what`` was built."""
    full_env = {**os.environ, **env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        dbt_build_argv(selection, work, dbt_vars),
        env=full_env,
        cwd=project_root(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build of {what} failed:\n" + proc.stdout[-3000:])
