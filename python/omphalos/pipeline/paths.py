"""Where the project lives: the dbt project root and the default runs folder."""

from __future__ import annotations

import os
from pathlib import Path

from omphalos.errors import OmphalosError


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


MANIFEST_FILE = "run_manifest.json"


class SealedRunPathError(OmphalosError, ValueError):
    """An output path lies inside a sealed run directory (usage error, exit 2)."""


def sealed_run_containing(path: Path) -> Path | None:
    """The sealed run directory (one holding ``run_manifest.json``) that ``path`` is in or is,
    looking at the path itself and every ancestor; None when there is none.

    The path need not exist; it is resolved (symbolic links followed as far as they exist), so
    ``run/../run/exports`` or a link into a run is caught too."""
    resolved = Path(os.path.realpath(os.path.abspath(path)))
    for folder in (resolved, *resolved.parents):
        if (folder / MANIFEST_FILE).is_file():
            return folder
    return None


def refuse_inside_sealed_run(path: Path, what: str = "output") -> None:
    """Raise SealedRunPathError when ``path`` (a file or folder to write) is inside a sealed
    run: nothing may be written into a sealed run, since any added or changed file breaks its
    seal (the run's own sealing step writes before the manifest exists)."""
    run = sealed_run_containing(path)
    if run is not None:
        raise SealedRunPathError(
            f"{what} {os.fspath(path)!r} is inside the sealed run {os.fspath(run)!r}; "
            "sealed runs are never written to: choose a path outside it"
        )
