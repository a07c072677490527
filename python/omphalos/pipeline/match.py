"""`omphalos match NAME --registry DIR`: screen one name against a registry folder.

The name goes through exactly the SQL of a run: the dbt model ``match_candidates`` (models/match/),
built from the normalization, blocking and scoring macros a run uses. Python only admits the
registry, keeps a cache and prints the rows the SQL returns.

The first call for a registry folder and a version of the rules builds a cache (outside any
sealed run): a DuckDB warehouse with the registry admitted, normalized and blocked
(match_registry_block_keys) and the compiled SQL of match_candidates. Later calls write the query
into the warehouse's one-row table and run that compiled SQL with the DuckDB Python API, without
starting dbt. The cache is keyed by the SHA-256 of the registry files and of the project's SQL
(models, macros, seeds, dbt_project.yml, profiles): a changed list or rule builds a new one.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from omphalos.errors import OmphalosError
from omphalos.pipeline.dbt_invoke import dbt_build
from omphalos.pipeline.paths import project_root

REGISTRY_FILES = ("registry_entities", "registry_names", "registry_identifiers")
KINDS = ("person", "organization", "vessel")
# Part of the cache key: a change to how this module builds or reads the cache.
CACHE_FORMAT = "omphalos.match_cache/1"
_PROJECT_PARTS = ("models", "macros", "seeds", "dbt_project.yml", "profiles/profiles.yml")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


class MatchInputError(OmphalosError):
    """The query or the registry folder cannot be used (exit 2)."""


def cache_root() -> Path:
    env = os.environ.get("OMPHALOS_CACHE_DIR")
    if env:
        return Path(env) / "match"
    return Path.home() / ".cache" / "omphalos" / "match"


def project_sql_digest(root: Path | None = None) -> str:
    """SHA-256 over the project's SQL and reference data: every file under models/, macros/,
    seeds/, and dbt_project.yml and the profiles (path and content, in path order)."""
    root = root or project_root()
    h = hashlib.sha256()
    for part in _PROJECT_PARTS:
        base = root / part
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def registry_files(registry: Path) -> dict[str, Path]:
    """The registry folder's three files (CSV or Parquet), as written by `registry import`."""
    if not registry.is_dir():
        raise MatchInputError(f"{registry}: registry folder not found")
    files: dict[str, Path] = {}
    for name in REGISTRY_FILES:
        found = [registry / f"{name}{ext}" for ext in (".csv", ".parquet")]
        existing = [p for p in found if p.is_file()]
        if not existing:
            raise MatchInputError(
                f"{registry}: no {name}.csv (or .parquet); a registry folder holds "
                + ", ".join(f"{n}.csv" for n in REGISTRY_FILES)
                + " (omphalos registry import --out DIR)"
            )
        files[name] = existing[0]
    return files


def cache_key(files: dict[str, Path], sql_digest: str) -> str:
    h = hashlib.sha256(CACHE_FORMAT.encode("utf-8") + b"\0" + sql_digest.encode("ascii"))
    for name in REGISTRY_FILES:
        h.update(name.encode("utf-8") + b"\0")
        h.update(hashlib.sha256(files[name].read_bytes()).digest())
    return h.hexdigest()


def default_thresholds() -> tuple[Decimal, Decimal]:
    doc = yaml.safe_load((project_root() / "dbt_project.yml").read_text(encoding="utf-8"))
    v = doc["vars"]
    return Decimal(str(v["match_threshold"])), Decimal(str(v["review_threshold"]))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _create_query_table(con: Any) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        "create or replace table raw.match_query (query_name varchar, query_kind varchar, "
        "query_country varchar, match_threshold decimal(9, 4), review_threshold decimal(9, 4))"
    )


def _build_cache(files: dict[str, Path], final: Path) -> None:
    """Admit the registry, build the match models with dbt, keep the compiled SQL."""
    from omphalos.errors import InputError
    from omphalos.pipeline.admit import SPECS, admit_all
    from omphalos.pipeline.engines import DuckDBEngine

    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    try:
        work = tmp / "work"
        work.mkdir()
        empty_feed = work / "shipments.csv"
        with empty_feed.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerow([c.name for c in SPECS["shipments"].columns])
        inputs = {**files, "shipments": empty_feed}
        labels = {name: path.name for name, path in inputs.items()}
        try:
            records, rejects = admit_all(inputs, labels, work / "admitted")
        except InputError as exc:
            raise MatchInputError(str(exc)) from exc
        engine = DuckDBEngine(tmp / "match.duckdb", threads=2)
        try:
            engine.load_raw(records)
            import duckdb

            con = duckdb.connect(str(engine.warehouse))
            try:
                _create_query_table(con)
                con.execute("insert into raw.match_query values ('ACME', null, null, 0.9, 0.8)")
            finally:
                con.close()
            dbt_build(
                [
                    "--select",
                    "+match_candidates",
                    "stg_registry__identifiers",
                    "--exclude-resource-type",
                    "unit_test",
                    # only the data tests of what is built (not a test that also reads the marts)
                    "--indirect-selection",
                    "cautious",
                ],
                work,
                {"enable_match": True, **engine.dbt_vars()},
                {**engine.dbt_env(), "OMPHALOS_THREADS": "2"},
                "match_candidates",
            )
        finally:
            engine.finish()
        compiled = work / "target" / "compiled" / "omphalos" / "models" / "match"
        shutil.copyfile(compiled / "match_candidates.sql", tmp / "match_candidates.sql")
        meta = {
            "format": CACHE_FORMAT,
            "registry": {n: str(p) for n, p in files.items()},
            "rows_admitted": {r.name: r.rows_admitted for r in records},
            "rows_rejected": {r.name: r.rows_rejected for r in records},
            "rejects": rejects.num_rows,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
        shutil.rmtree(work)
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def screen(
    name: str,
    registry: Path,
    *,
    kind: str | None = None,
    country: str | None = None,
    top: int = 10,
    match_threshold: Decimal | None = None,
    review_threshold: Decimal | None = None,
) -> dict[str, Any]:
    """Screen one name; returns the query, the cache used and the ranked candidates."""
    started = time.perf_counter()
    if not name.strip():
        raise MatchInputError("NAME must not be empty")
    if kind is not None and kind not in KINDS:
        raise MatchInputError(f"--kind: not one of {', '.join(KINDS)}")
    if country is not None and not _COUNTRY.match(country):
        raise MatchInputError("--country: not a two-letter ISO 3166-1 country code")
    if top < 1:
        raise MatchInputError("--top: must be at least 1")
    default_match, default_review = default_thresholds()
    t_match = default_match if match_threshold is None else match_threshold
    t_review = default_review if review_threshold is None else review_threshold
    if not (Decimal(0) <= t_review <= t_match <= Decimal(1)):
        raise MatchInputError("thresholds: need 0 <= review threshold <= match threshold <= 1")
    files = registry_files(registry)
    key = cache_key(files, project_sql_digest())
    folder = cache_root() / key[:32]
    with _locked(cache_root() / f"{key[:32]}.lock"):
        state = "warm"
        if not (folder / "match_candidates.sql").is_file():
            state = "built"
            _build_cache(files, folder)
        rows = _run_query(folder, name, kind, country, t_match, t_review, top)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return {
        "query": {
            "kind": kind,
            "country": country.upper() if country else None,
            "match_threshold": str(t_match),
            "review_threshold": str(t_review),
            "normalized": rows[0]["query_name_sorted"] if rows else None,
        },
        "registry": {
            "folder": str(registry),
            "rows_admitted": meta["rows_admitted"],
            "rows_rejected": meta["rows_rejected"],
        },
        "cache": {"state": state, "key": key, "folder": str(folder)},
        "candidates": rows,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _run_query(
    folder: Path,
    name: str,
    kind: str | None,
    country: str | None,
    t_match: Decimal,
    t_review: Decimal,
    top: int,
) -> list[dict[str, Any]]:
    import duckdb

    sql = (folder / "match_candidates.sql").read_text(encoding="utf-8")
    con = duckdb.connect(str(folder / "match.duckdb"), config={"threads": 2})
    try:
        # The query runs in a fraction of a second; planning its SQL (the normalization and
        # romanized-syllable tables inlined as literals) takes most of the call. These two
        # optimizer passes cost over a second on it and gain nothing on a one-name query
        # (optimizers never change results; tests/python/test_match.py checks the answers).
        con.execute("set disabled_optimizers = 'projection_pullup,cte_inlining'")
        con.execute("delete from raw.match_query")
        con.execute(
            "insert into raw.match_query values (?, ?, ?, ?, ?)",
            [name, kind, country.upper() if country else None, t_match, t_review],
        )
        cur = con.execute(
            f"select * from ({sql}) as match_candidates order by candidate_rank limit ?", [top]
        )
        columns = [d[0] for d in cur.description]
        out = []
        for values in cur.fetchall():
            row = dict(zip(columns, values, strict=True))
            out.append({k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()})
        return out
    finally:
        con.close()
