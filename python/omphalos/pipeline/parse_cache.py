"""A saved parse of the dbt project, reused by later runs (outside any sealed run).

Parsing the project (about 25 models, 90 data tests, 700 macros) took about 3 s of every sealed
run. dbt can reuse a saved parse (`--partial-parse`, its `partial_parse.msgpack`): it checks the
saved file against the command-line vars, the target, the profile's connection settings and the
checksum of every project file, and parses again whatever differs. A run points dbt at a saved
parse kept here (`--partial-parse-file-path`) and, once dbt has finished, saves the parse dbt wrote
into the run's own target folder for the next run.

The saved file is keyed by the SHA-256 of the project files dbt reads (models, macros, seeds,
tests, dbt_project.yml, profiles), the dbt version, the target, the vars and the profile settings
that vary between runs; so dbt only ever reuses a parse of byte-identical files under identical
settings, and a changed project or config starts from a full parse under a new key. The parse
holds no data: the warehouse a run builds is derived from the run's own inputs and the project's
seeds, whatever the cache holds. OMPHALOS_PARSE_CACHE=0 turns it off (every run parses in full);
OMPHALOS_CACHE_DIR moves it (default ~/.cache/omphalos).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import suppress
from importlib import metadata
from pathlib import Path
from typing import Any

from omphalos.pipeline.paths import project_root

CACHE_FORMAT = "omphalos.dbt_parse_cache/1"
# what dbt reads of the project (dbt_project.yml's paths) and the profiles
_PROJECT_DIRS = ("models", "macros", "seeds", "tests")
_PROJECT_FILES = ("dbt_project.yml", "packages.yml", "selectors.yml", "profiles/profiles.yml")
# dbt reads only these from its folders (tests/ also holds the Python test suite)
_DBT_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md", ".jinja", ".py")
KEEP = 8  # saved parses kept (the most recently used); older ones are removed


def enabled() -> bool:
    return os.environ.get("OMPHALOS_PARSE_CACHE", "1") != "0"


def cache_root() -> Path:
    env = os.environ.get("OMPHALOS_CACHE_DIR")
    base = Path(env) if env else Path.home() / ".cache" / "omphalos"
    return base / "dbt-parse"


def project_digest(root: Path | None = None) -> str:
    """SHA-256 over the path and content of every file dbt reads, in path order."""
    root = root or project_root()
    h = hashlib.sha256()
    files: list[Path] = []
    for part in _PROJECT_DIRS:
        base = root / part
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            rel = path.relative_to(root)
            if part == "tests" and rel.parts[1:2] == ("python",):
                continue  # the pytest suite, not dbt's
            if path.is_file() and path.suffix in _DBT_SUFFIXES and "__pycache__" not in rel.parts:
                files.append(path)
    files.extend(root / f for f in _PROJECT_FILES if (root / f).is_file())
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def dist_version(dist: str) -> str:
    """The installed version of ``dist``, or ``not installed``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def cache_file(target: str, dbt_vars: dict[str, Any], env: dict[str, str]) -> Path:
    """The saved parse for this project state, target, vars and profile environment."""
    settings = {k: v for k, v in sorted(env.items()) if k.startswith("OMPHALOS_")}
    key = hashlib.sha256(
        json.dumps(
            {
                "format": CACHE_FORMAT,
                "project": project_digest(),
                # dbt's saved parse holds absolute paths (seed files, macro paths): a copy of the
                # project elsewhere (another clone) must not reuse it, even with the same files.
                "root": str(project_root().resolve()),
                "dbt": [dist_version("dbt-core"), dist_version(f"dbt-{target}")],
                "target": target,
                "vars": dbt_vars,
                "env": settings,
            },
            sort_keys=True,
            default=str,
        ).encode("utf-8")
    ).hexdigest()
    return cache_root() / f"{key}.msgpack"


def save(written: Path, cached: Path) -> None:
    """Keep the parse dbt wrote (``written``) as ``cached``: atomically, never half a file; a
    cache that cannot be written is only slower, never an error of the run."""
    if not written.is_file():
        return
    with suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".tmp-", suffix=".msgpack")
        try:
            with os.fdopen(fd, "wb") as out, written.open("rb") as src:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            os.replace(tmp, cached)
        finally:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        _prune(cached.parent)


def touch(cached: Path) -> None:
    """Mark a saved parse as used (pruning keeps the most recently used)."""
    with suppress(OSError):
        os.utime(cached)


def _prune(folder: Path) -> None:
    saved = sorted(folder.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in saved[KEEP:]:
        with suppress(OSError):
            old.unlink()
