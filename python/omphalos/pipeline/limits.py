"""Memory bounds for DuckDB work: a memory limit, and spill directories outside any run.

Admission and the DuckDB warehouse both run with a DuckDB memory limit; a query beyond it spills
to a temporary directory that is never inside a run directory and is removed afterwards.

The limit is OMPHALOS_DUCKDB_MEMORY_LIMIT when set (DuckDB's notation: "2GB", "512MB"). Otherwise
it follows the size of the feed: 2 GB up to 3.3M shipments, 2.5 GB up to 10M (measured
2026-12-03: every model of a 10M x full SDN run fits, spilling, and the whole run's process tree
stays under 4 GB; it had been 6 GB, which took the tree to 6.8 GB), then 0.25 GB more per million
shipments, never more than half of the machine's memory. A run records the limit it used in its
manifest (engine.memory_limit).
"""

from __future__ import annotations

import os
import re

from omphalos.errors import InputError

BASE_LIMIT_MB = 2048
LARGE_FEED_SHIPMENTS = 3_300_000  # above it, LARGE_LIMIT_MB
LARGE_LIMIT_MB = 2560
MB_PER_MILLION_BEYOND_10M = 256
_SIZE_RE = re.compile(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _machine_mb() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux
        return None


def default_memory_limit(shipments: int | None) -> str:
    """The limit for a feed of `shipments` rows (None: not known yet, the base limit)."""
    mb = BASE_LIMIT_MB
    if shipments is not None and shipments > LARGE_FEED_SHIPMENTS:
        beyond = max(0, shipments - 10_000_000)
        mb = LARGE_LIMIT_MB + beyond * MB_PER_MILLION_BEYOND_10M // 1_000_000
    machine = _machine_mb()
    if machine is not None:
        mb = min(mb, machine // 2)
    return f"{mb}MB"


def duckdb_memory_limit(shipments: int | None = None) -> str:
    """OMPHALOS_DUCKDB_MEMORY_LIMIT when set (InputError when it is not a size), else the default
    for the feed size."""
    value = os.environ.get("OMPHALOS_DUCKDB_MEMORY_LIMIT", "").strip()
    if not value:
        return default_memory_limit(shipments)
    if not _SIZE_RE.fullmatch(value):
        raise InputError(
            f"OMPHALOS_DUCKDB_MEMORY_LIMIT={value!r}: expected a size such as 2GB or 512MB"
        )
    return value


_UNIT_MB = {"kb": 1 / 1000, "mb": 1, "gb": 1000, "tb": 1_000_000}
_UNIT_MIB = {"kib": 1 / 1024, "mib": 1, "gib": 1024, "tib": 1024 * 1024}


def fraction_of(limit: str, fraction: float) -> str:
    """``fraction`` of a memory limit in DuckDB's notation ("2560MB", "2GB", "2GiB": DuckDB reads
    KB/MB/GB as powers of 1000 and KiB/MiB/GiB as powers of 1024), in MB, at least 256MB."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*", limit)
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in {**_UNIT_MB, **_UNIT_MIB}:
        raise InputError(f"memory limit {limit!r}: expected a size such as 2GB or 512MB")
    value = float(m.group(1))
    mb = value * _UNIT_MB[unit] if unit in _UNIT_MB else value * _UNIT_MIB[unit] * 1.048576
    return f"{max(256, int(mb * fraction))}MB"
