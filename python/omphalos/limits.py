"""Memory bounds for DuckDB work: a memory limit, and spill directories outside any run.

Admission and the DuckDB warehouse both run with a DuckDB memory limit; a query beyond it spills
to a temporary directory that is never inside a run directory and is removed afterwards. The
limit comes from OMPHALOS_DUCKDB_MEMORY_LIMIT (DuckDB's notation: "2GB", "512MB").
"""

from __future__ import annotations

import os
import re

# A run's peak memory is about this plus 0.5 GB of Python (dbt, the runner).
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"
_SIZE_RE = re.compile(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def duckdb_memory_limit() -> str:
    """The configured limit; InputError when OMPHALOS_DUCKDB_MEMORY_LIMIT is not a size."""
    from omphalos.admit import InputError

    value = os.environ.get("OMPHALOS_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    if not _SIZE_RE.fullmatch(value):
        raise InputError(
            f"OMPHALOS_DUCKDB_MEMORY_LIMIT={value!r}: expected a size such as 2GB or 512MB"
        )
    return value
