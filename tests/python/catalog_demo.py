"""The demo run the catalog and publishability tests share: generated inputs (5,000 shipments,
500 entities, seed 7) with a handful of planted faulty rows, so that admission rejects some, run
once per test session."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

from omphalos.pipeline.run import execute_run
from omphalos.tools.generate import generate

_LOCK = threading.Lock()
_CACHE: dict[str, Path] = {}

CONFIG = """\
name: catalogdemo
as_of_date: "2026-10-31"
inputs:
  shipments: shipments.csv
  registry_entities: registry_entities.csv
  registry_names: registry_names.csv
  registry_identifiers: registry_identifiers.csv
"""

# column -> bad value, each planted on a copy of the first shipment row.
_BAD_SHIPMENT_VALUES = {
    "ship_date": "2026-13-45",
    "consignee_country": "U5",
    "hs_code": "12AB",
    "value_usd": "-5.00",
}


def _plant_faults(folder: Path) -> None:
    path = folder / "shipments.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        first = next(reader)
    with path.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        for n, (column, value) in enumerate(sorted(_BAD_SHIPMENT_VALUES.items()), start=1):
            row = dict(first)
            row["shipment_id"] = f"SHP-BAD-{n:03d}"
            row[column] = value
            writer.writerow(row)
        writer.writerow(first)  # a duplicate key


def demo_run(base: Path) -> Path:
    """Build (once) and return the sealed demo run under ``base``."""
    with _LOCK:
        if "run" not in _CACHE:
            inputs = base / "inputs"
            generate(inputs, shipments=5000, entities=500, seed=7)
            _plant_faults(inputs)
            (inputs / "catalogdemo.yaml").write_text(CONFIG, encoding="utf-8")
            _CACHE["run"] = execute_run(
                inputs / "catalogdemo.yaml", runs_root=base / "runs", threads=2
            )
        return _CACHE["run"]
