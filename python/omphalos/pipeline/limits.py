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
LARGE_LIMIT_UP_TO_SHIPMENTS = 10_000_000  # beyond it, MB_PER_MILLION_BEYOND more per million
MB_PER_MILLION_BEYOND = 256
_SIZE_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)
#: Bytes per unit as DuckDB reads a size: KB, MB, GB, TB powers of 1000; KiB ... TiB of 1024.
_UNIT_BYTES = {
    **{u: 1000 ** (i + 1) for i, u in enumerate(("kb", "mb", "gb", "tb"))},
    **{u: 1024 ** (i + 1) for i, u in enumerate(("kib", "mib", "gib", "tib"))},
}


def _machine_mb() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux
        return None


def default_memory_limit(shipments: int | None) -> str:
    """The limit for a feed of `shipments` rows (None: not known yet, the base limit)."""
    mb = BASE_LIMIT_MB
    if shipments is not None and shipments > LARGE_FEED_SHIPMENTS:
        beyond = max(0, shipments - LARGE_LIMIT_UP_TO_SHIPMENTS)
        mb = LARGE_LIMIT_MB + beyond * MB_PER_MILLION_BEYOND // 1_000_000
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


def fraction_of(limit: str, fraction: float) -> str:
    """``fraction`` of a memory limit in DuckDB's notation ("2560MB", "2GB", "2GiB"), in MB
    (10^6 bytes), at least 256MB."""
    m = _SIZE_RE.fullmatch(limit)
    if m is None:
        raise InputError(f"memory limit {limit!r}: expected a size such as 2GB or 512MB")
    mb = float(m.group(1)) * _UNIT_BYTES[m.group(2).lower()] / 1_000_000
    return f"{max(256, int(mb * fraction))}MB"
