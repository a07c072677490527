"""Where the project lives: the dbt project root and the default runs folder."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The folder holding dbt_project.yml (OMPHALOS_PROJECT_DIR overrides)."""
    env = os.environ.get("OMPHALOS_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "dbt_project.yml").is_file():
            return parent
    raise RuntimeError(
        "cannot find dbt_project.yml above the omphalos package; set OMPHALOS_PROJECT_DIR"
    )


def default_runs_root() -> Path:
    return project_root() / "artifacts" / "runs"
