"""Reviewer decisions carried into a run (run config key ``decisions:``, docs/review.md).

The decisions log (``omphalos review decide``) is read once, before the run starts: its chain and
every record are checked by ``omphalos.evidence.review.read_decisions`` (a broken chain or an edited
record stops the run, exit 2). The run then admits it as an input: the log's bytes as given
(``inputs/review_decisions.jsonl``) and its records as a table (``inputs/admitted/
review_decisions.parquet``, one row per decision with its ``seq``), both payload, its digest in
the manifest's inputs. The warehouse gets two raw tables, ``review_decisions`` and
``registry_entry_digests`` (the digest of each entry of the run's admitted registry, computed by
``omphalos.evidence.review.registry_entry_digests``, the function ``review decide`` uses), which
``int_review_decisions_latest`` and ``entity_matches`` join. Without a decisions log both tables
are loaded empty, so the SQL is the same in every run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from omphalos.errors import InputError
from omphalos.evidence.review import (
    DECISION_FIELDS,
    ReviewError,
    read_decisions,
    registry_entry_digests,
)

DECISIONS_TABLE = "review_decisions"
DIGESTS_TABLE = "registry_entry_digests"
LOG_COPY = "inputs/review_decisions.jsonl"
ADMITTED = f"inputs/admitted/{DECISIONS_TABLE}.parquet"
MAX_LOG_BYTES = 256 << 20

DECISIONS_SCHEMA = pa.schema(
    [pa.field("seq", pa.int64())] + [pa.field(f, pa.string()) for f in DECISION_FIELDS]
)
DIGESTS_SCHEMA = pa.schema(
    [pa.field("entity_id", pa.string()), pa.field("registry_entry_sha256", pa.string())]
)


@dataclasses.dataclass(frozen=True)
class DecisionsLog:
    """A verified decisions log, read once: its bytes and its records in ``seq`` order."""

    label: str
    raw: bytes
    records: tuple[dict[str, Any], ...]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def entity_ids(self) -> set[str]:
        return {str(r["entity_id"]) for r in self.records}

    def summary(self) -> dict[str, Any]:
        """The log's entry in the manifest's inputs (docs/formats.md)."""
        return {
            "name": DECISIONS_TABLE,
            "file": self.label,
            "format": "jsonl",
            "source_sha256": self.sha256,
            "source_size": len(self.raw),
            "rows_read": len(self.records),
            "rows_admitted": len(self.records),
            "rows_rejected": 0,
        }

    def table(self) -> pa.Table:
        rows = [
            {"seq": i, **{k: None if r[k] is None else str(r[k]) for k in DECISION_FIELDS}}
            for i, r in enumerate(self.records)
        ]
        return pa.Table.from_pylist(rows, schema=DECISIONS_SCHEMA)


def read_log(path: Path, label: str) -> DecisionsLog:
    """Read and check a decisions log (InputError, exit 2, naming the config key, when it is
    missing, too large, or its chain or a record is broken). The bytes checked are the bytes
    admitted: the log is read once."""
    where = f"decisions: {label}"
    if not path.is_file():
        raise InputError(f"{where}: not found (or not a regular file)")
    try:
        size = path.stat().st_size
        if size > MAX_LOG_BYTES:
            raise InputError(f"{where}: larger than {MAX_LOG_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{where}: cannot be read: {exc.strerror}") from None
    with tempfile.TemporaryDirectory(prefix="omphalos-decisions-") as folder:
        copy = Path(folder) / "decisions.jsonl"
        copy.write_bytes(raw)
        try:
            records = read_decisions(copy) if raw else []
        except ReviewError as exc:
            message = str(exc).replace(str(copy), label).removeprefix(f"--log {label}: ")
            raise InputError(f"{where}: {message}; the run does not start") from None
    return DecisionsLog(label, raw, tuple(records))


def admit_log(log: DecisionsLog, run_dir: Path) -> Path:
    """Write the log's bytes and its admitted table into the run; returns the table's path."""
    copy = run_dir / LOG_COPY
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(log.raw)
    admitted = run_dir / ADMITTED
    admitted.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(log.table(), admitted, compression="zstd", compression_level=3)
    return admitted


def digests_table(digests: dict[str, str]) -> pa.Table:
    rows = [{"entity_id": k, "registry_entry_sha256": v} for k, v in sorted(digests.items())]
    return pa.Table.from_pylist(rows, schema=DIGESTS_SCHEMA)


def review_tables(
    log: DecisionsLog | None,
    admitted_dir: Path,
    scratch: Path,
    digests: dict[str, str] | None = None,
) -> dict[str, Path]:
    """The two raw review tables as Parquet files in ``scratch`` (outside the run): the admitted
    decisions and the registry entry digests of the entities they name (all of ``digests``
    when the caller computed them already). Both empty without a log."""
    scratch.mkdir(parents=True, exist_ok=True)
    decisions = log.table() if log is not None else DECISIONS_SCHEMA.empty_table()
    if log is None:
        current: dict[str, str] = {}
    elif digests is not None:
        current = digests
    else:
        current = registry_entry_digests(admitted_dir, log.entity_ids())
    out = {DECISIONS_TABLE: scratch / f"{DECISIONS_TABLE}.parquet"}
    pq.write_table(decisions, out[DECISIONS_TABLE])
    out[DIGESTS_TABLE] = scratch / f"{DIGESTS_TABLE}.parquet"
    pq.write_table(digests_table(current), out[DIGESTS_TABLE])
    return out
