"""The DuckDB memory limit: the setting wins, otherwise it follows the feed, capped by the machine."""

from __future__ import annotations

import pytest

from omphalos.errors import InputError
from omphalos.pipeline import limits


def test_setting_wins_and_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMPHALOS_DUCKDB_MEMORY_LIMIT", "3GB")
    assert limits.duckdb_memory_limit(10_000_000) == "3GB"
    monkeypatch.setenv("OMPHALOS_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(InputError, match="OMPHALOS_DUCKDB_MEMORY_LIMIT='lots'"):
        limits.duckdb_memory_limit()


def test_default_follows_the_feed_and_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMPHALOS_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(limits, "_machine_mb", lambda: 24 * 1024)
    assert limits.duckdb_memory_limit() == "2048MB"
    assert limits.duckdb_memory_limit(1_000_000) == "2048MB"
    assert limits.duckdb_memory_limit(3_300_000) == "2048MB"
    assert limits.duckdb_memory_limit(10_000_000) == "2560MB"  # a 10M run's tree under 4 GB
    assert limits.duckdb_memory_limit(20_000_000) == f"{2560 + 2560}MB"
    assert limits.duckdb_memory_limit(100_000_000) == f"{12 * 1024}MB"  # half the machine
    monkeypatch.setattr(limits, "_machine_mb", lambda: 2048)
    assert limits.duckdb_memory_limit(10_000_000) == "1024MB"  # a small machine: half of it


def test_fraction_of_a_limit() -> None:
    assert limits.fraction_of("2560MB", 0.5) == "1280MB"
    assert limits.fraction_of("2GB", 0.5) == "1000MB"
    assert limits.fraction_of("2GiB", 0.5) == "1073MB"
    assert limits.fraction_of("300MB", 0.5) == "256MB"  # never below 256MB
    with pytest.raises(InputError, match="expected a size"):
        limits.fraction_of("2 parsecs", 0.5)
