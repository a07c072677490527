"""The saved dbt parse: keyed by the project files, the vars and the profile environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from omphalos.pipeline import parse_cache
from omphalos.pipeline.paths import project_root


def _copy_project(dest: Path) -> Path:
    root = project_root()
    for part in ("models", "macros", "seeds"):
        shutil.copytree(root / part, dest / part)
    (dest / "tests" / "generic").mkdir(parents=True)
    (dest / "tests" / "python").mkdir(parents=True)
    shutil.copy(root / "dbt_project.yml", dest / "dbt_project.yml")
    return dest


def test_project_digest_follows_dbt_files_only(tmp_path: Path) -> None:
    root = _copy_project(tmp_path / "p")
    before = parse_cache.project_digest(root)
    (root / "tests" / "python" / "test_new.py").write_text("x = 1\n", encoding="utf-8")
    assert parse_cache.project_digest(root) == before  # the pytest suite is not dbt's
    model = next((root / "models").rglob("*.sql"))
    model.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert parse_cache.project_digest(root) != before
    (root / "tests" / "generic" / "t.sql").write_text("select 1\n", encoding="utf-8")
    assert parse_cache.project_digest(root) != before


def test_key_changes_with_vars_env_and_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMPHALOS_CACHE_DIR", str(tmp_path))
    base = parse_cache.cache_file("duckdb", {"match_threshold": 0.9}, {"OMPHALOS_THREADS": "2"})
    assert base.parent == tmp_path / "dbt-parse"
    assert base == parse_cache.cache_file(
        "duckdb", {"match_threshold": 0.9}, {"OMPHALOS_THREADS": "2", "HOME": "/elsewhere"}
    )
    others = {
        parse_cache.cache_file("duckdb", {"match_threshold": 0.91}, {"OMPHALOS_THREADS": "2"}),
        parse_cache.cache_file("duckdb", {"match_threshold": 0.9}, {"OMPHALOS_THREADS": "1"}),
        parse_cache.cache_file("postgres", {"match_threshold": 0.9}, {"OMPHALOS_THREADS": "2"}),
    }
    assert base not in others and len(others) == 3


def test_key_changes_with_the_project_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt's saved parse holds absolute paths: a clone elsewhere with the same files (a CI
    checkout beside a deleted one) gets a key of its own, never the other folder's parse."""
    monkeypatch.setenv("OMPHALOS_CACHE_DIR", str(tmp_path / "cache"))
    here = parse_cache.cache_file("duckdb", {}, {})
    clone = _copy_project(tmp_path / "clone")
    digest = parse_cache.project_digest(clone)
    monkeypatch.setattr(parse_cache, "project_root", lambda: clone)
    monkeypatch.setattr(parse_cache, "project_digest", lambda root=None: digest)
    elsewhere = parse_cache.cache_file("duckdb", {}, {})
    assert elsewhere != here
    monkeypatch.setattr(parse_cache, "project_root", project_root)
    monkeypatch.setattr(parse_cache, "project_digest", lambda root=None: digest)
    assert parse_cache.cache_file("duckdb", {}, {}) != elsewhere


def test_save_is_atomic_and_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_cache, "KEEP", 2)
    written = tmp_path / "partial_parse.msgpack"
    written.write_bytes(b"parse")
    folder = tmp_path / "cache"
    for i in range(4):
        parse_cache.save(written, folder / f"{i}.msgpack")
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == 2 and not any(n.startswith(".tmp-") for n in kept)
    parse_cache.save(tmp_path / "missing.msgpack", folder / "x.msgpack")  # nothing to keep
    assert not (folder / "x.msgpack").exists()


def test_off_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMPHALOS_PARSE_CACHE", "0")
    assert not parse_cache.enabled()
    monkeypatch.delenv("OMPHALOS_PARSE_CACHE")
    assert parse_cache.enabled()
