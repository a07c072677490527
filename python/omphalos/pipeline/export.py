"""The one writer of reader-facing tables, and their logical fingerprints.

Whatever engine computed a table, it reaches disk through here: an Arrow table cast to the schema
declared in the dbt contract (models/marts/_marts__models.yml), sorted by its declared key, written
as Parquet with fixed writer settings and as CSV. The same rows give the same bytes.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from omphalos.pipeline.paths import project_root
from omphalos.textsafe import spreadsheet_cell

# Fixed Parquet writer settings: part of the payload's definition. Change only with a new version.
#: The marts every run exports, by name: the dbt layer (schema suffix) each lives in.
MART_LAYERS = {"entity_matches": "marts", "entity_scores": "marts", "review_queue": "marts"}
#: The run report's aggregates (models/marts/reporting), exported with every run under
#: exports/reporting/: the report page reads them instead of computing its own.
REPORTING_MODELS = (
    "rpt_matches_by_status",
    "rpt_score_histogram",
    "rpt_alert_flows",
    "rpt_alert_flow_cells",
    "rpt_alert_totals",
    "rpt_top_exposed",
)
MART_LAYERS.update(dict.fromkeys(REPORTING_MODELS, "marts"))


PARQUET_SETTINGS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "version": "2.6",
    "data_page_version": "1.0",
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 262_144,
}
_DECIMAL_RE = re.compile(r"^(?:decimal|numeric)\((\d+),\s*(\d+)\)$")


@dataclasses.dataclass(frozen=True)
class TableContract:
    name: str
    key: tuple[str, ...]
    schema: pa.Schema


def arrow_type(data_type: str) -> pa.DataType:
    t = data_type.strip().lower()
    if t in ("varchar", "text", "string"):
        return pa.string()
    if t in ("bigint", "int8", "integer", "int", "int4"):
        return pa.int64()
    if t in ("boolean", "bool"):
        return pa.bool_()
    if t == "date":
        return pa.date32()
    m = _DECIMAL_RE.match(t)
    if m:
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"no Arrow type declared for contract data_type {data_type!r}")


@functools.cache
def contracts() -> dict[str, TableContract]:
    """Contracts of the mart models, read from their dbt properties file."""
    path = project_root() / "models" / "marts" / "_marts__models.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, TableContract] = {}
    for model in doc["models"]:
        key = tuple(
            model.get("meta", {}).get("export_key") or model["config"]["meta"]["export_key"]
        )
        fields = [
            pa.field(c["name"], arrow_type(c["data_type"]), nullable=True) for c in model["columns"]
        ]
        out[model["name"]] = TableContract(model["name"], key, pa.schema(fields))
    return out


def conform(table: pa.Table, contract: TableContract) -> pa.Table:
    """Cast to the declared schema (column order included) and sort by the declared key."""
    missing = [f.name for f in contract.schema if f.name not in table.column_names]
    if missing:
        raise ValueError(f"{contract.name}: result lacks declared column(s) {', '.join(missing)}")
    ordered = table.select([f.name for f in contract.schema])
    cast = ordered.cast(contract.schema)
    return cast.sort_by([(k, "ascending") for k in contract.key])


def write_table(table: pa.Table, out_dir: Path, name: str) -> list[Path]:
    """Write <name>.parquet, <name>.csv (the exact text) and spreadsheet/<name>.csv (the same
    rows neutralized for spreadsheets, see ``spreadsheet_table``); returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet_path = out_dir / f"{name}.parquet"
    csv_path = out_dir / f"{name}.csv"
    pq.write_table(table, parquet_path, **PARQUET_SETTINGS)
    pacsv.write_csv(
        table,
        csv_path,
        write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"),
    )
    sheet_path = out_dir / SPREADSHEET_DIR / f"{name}.csv"
    write_spreadsheet_csv(table, sheet_path)
    return [parquet_path, csv_path, sheet_path]


SPREADSHEET_DIR = "spreadsheet"


def spreadsheet_table(table: pa.Table) -> pa.Table:
    """The rows with every text cell (and header) that a spreadsheet would run as a formula
    prefixed with ``'`` (OWASP CSV injection: first character ``=``, ``+``, ``-``, ``@``, tab,
    CR, LF or a full-width form). Numbers, dates and booleans are left as they are: they cannot
    be formulas. The exact text is in the evidence CSV and Parquet beside it."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            values = [None if v is None else spreadsheet_cell(v) for v in column.to_pylist()]
            columns.append(pa.array(values, pa.string()))
        else:
            columns.append(column)
    names = [spreadsheet_cell(n) for n in table.column_names]
    return pa.Table.from_arrays(columns, names=names)


def write_spreadsheet_csv(table: pa.Table, path: Path) -> None:
    """``spreadsheet_table(table)`` as CSV for spreadsheets: UTF-8 with a byte-order mark (so
    that Excel reads non-Latin names right), every value quoted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sink = pa.BufferOutputStream()
    pacsv.write_csv(
        spreadsheet_table(table),
        sink,
        write_options=pacsv.WriteOptions(include_header=True, quoting_style="all_valid"),
    )
    path.write_bytes(b"\xef\xbb\xbf" + sink.getvalue().to_pybytes())


def logical_fingerprint(table: pa.Table, key: tuple[str, ...] | list[str]) -> str:
    """sha256 over canonical rows in key order (docs/formats.md, "Logical fingerprint")."""
    con = duckdb.connect()
    try:
        con.register("t", table)
        cols = ", ".join(f'cast("{c}" as varchar)' for c in table.column_names)
        order = ", ".join(f'"{k}" asc nulls last' for k in key)
        rows = con.execute(f"select sha256(to_json([{cols}])) from t order by {order}").fetchall()
    finally:
        con.close()
    h = hashlib.sha256()
    for (digest,) in rows:
        h.update(digest.encode("ascii"))
        h.update(b"\n")
    return h.hexdigest()
