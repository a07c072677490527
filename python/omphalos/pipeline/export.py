"""The one writer of reader-facing tables, and their logical fingerprints.

Whatever engine computed a table, it reaches disk through here: an Arrow table cast to the schema
declared in the dbt contract (models/marts/_marts__models.yml), sorted by its declared key, written
as Parquet with fixed writer settings and as CSV. The same rows give the same bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from omphalos.pipeline.paths import project_root
from omphalos.textsafe import FORMULA_TRIGGERS, spreadsheet_cell

# Fixed Parquet writer settings: part of the payload's definition. Change only with a new version.


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
    """An exported mart as its dbt properties declare it: the columns and their types (the
    contract), the export key (``meta.export_key``: the total order and the rows' identity), the
    dbt schema it is built in (``+schema``) and the run folder it is exported to
    (``meta.export_dir``: ``exports`` for the screening marts a config can name,
    ``exports/reporting`` for the report's aggregates)."""

    name: str
    key: tuple[str, ...]
    schema: pa.Schema
    layer: str = "marts"
    export_dir: str = "exports"


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


#: The dbt properties files that declare the exported marts.
MART_PROPERTIES = ("models/marts/_marts__models.yml",)


def _contract(node: Mapping[str, Any]) -> TableContract:
    """The contract of one model node: a dbt manifest node (``target/manifest.json``) or the same
    keys as written in a properties file (``config:``, ``columns:`` as a list)."""
    config = node.get("config") or {}
    meta = {**(node.get("meta") or {}), **(config.get("meta") or {})}
    columns = node["columns"]
    listed = list(columns.values()) if isinstance(columns, Mapping) else list(columns)
    fields = [pa.field(c["name"], arrow_type(c["data_type"]), nullable=True) for c in listed]
    return TableContract(
        name=node["name"],
        key=tuple(meta["export_key"]),
        schema=pa.schema(fields),
        layer=config.get("schema") or "marts",
        export_dir=meta.get("export_dir", "exports"),
    )


def _exported(node: Mapping[str, Any]) -> bool:
    config = node.get("config") or {}
    meta = {**(node.get("meta") or {}), **(config.get("meta") or {})}
    return "export_key" in meta


def contracts_from_manifest(manifest: Path) -> dict[str, TableContract]:
    """The exported marts of a dbt manifest (the run's ``dbt/target/manifest.json``): every model
    of this project with ``meta.export_key``, by name."""
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    nodes = [
        n
        for n in doc["nodes"].values()
        if n.get("resource_type") == "model" and n.get("package_name") == "omphalos"
    ]
    return {n["name"]: _contract(n) for n in sorted(nodes, key=lambda n: n["name"]) if _exported(n)}


@functools.cache
def contracts() -> dict[str, TableContract]:
    """The exported marts before dbt has parsed the project (a run config's exports, the Spark
    job's list): the same models and fields as ``contracts_from_manifest``, read from their dbt
    properties files, in the order they are declared there. After ``dbt build`` a run reads its
    own manifest; tests/python/test_dbt_docs.py checks that both agree."""
    project = yaml.safe_load((project_root() / "dbt_project.yml").read_text(encoding="utf-8"))
    schema = project["models"]["omphalos"]["marts"]["+schema"]  # as dbt resolves it for marts/
    out: dict[str, TableContract] = {}
    for rel in MART_PROPERTIES:
        doc = yaml.safe_load((project_root() / rel).read_text(encoding="utf-8"))
        for model in doc["models"]:
            if _exported(model):
                with_schema = {**model, "config": {"schema": schema, **model["config"]}}
                out[model["name"]] = _contract(with_schema)
    return out


#: Where a sealed run keeps the manifest its dbt build wrote.
RUN_MANIFEST = "dbt/target/manifest.json"


def run_contracts(run_dir: Path) -> dict[str, TableContract]:
    """The exported marts of a sealed run as its own dbt build declared them (``RUN_MANIFEST``);
    the project's properties files (``contracts()``) for a run folder without one."""
    manifest = run_dir / RUN_MANIFEST
    return contracts_from_manifest(manifest) if manifest.is_file() else contracts()


def screening_exports() -> tuple[str, ...]:
    """The marts a run config may name under ``exports:`` (exported to ``exports/``)."""
    return tuple(n for n, c in contracts().items() if c.export_dir == "exports")


def conform(table: pa.Table, contract: TableContract) -> pa.Table:
    """Cast to the declared schema (column order included) and sort by the declared key. The
    result may hold several chunks (an engine's batches): ``write_batches`` lays them out alike."""
    _check_columns(contract, table.column_names)
    ordered = table.select([f.name for f in contract.schema])
    cast = ordered.cast(contract.schema)
    if _strictly_ascending(cast, contract.key):  # the engine sorted it (fetch's key): as is
        return cast
    return cast.sort_by([(k, "ascending") for k in contract.key])


def _check_columns(contract: TableContract, names: Sequence[str]) -> None:
    """ValueError naming the declared columns an engine's result lacks."""
    missing = [f.name for f in contract.schema if f.name not in names]
    if missing:
        raise ValueError(f"{contract.name}: result lacks declared column(s) {', '.join(missing)}")


def _strictly_ascending(table: pa.Table, key: tuple[str, ...] | list[str]) -> bool:
    """True when ``table`` is in strictly ascending order of its one key column, as ``sort_by``
    would order it (no null, no repeat); False for a key of several columns or when not."""
    if len(key) != 1 or table.num_rows < 2:
        return bool(table.num_rows < 2)
    column = table.column(key[0])
    ascending = pc.less(column.slice(0, table.num_rows - 1), column.slice(1))
    return pc.all(ascending, skip_nulls=False).as_py() is True


class KeyOrderError(ValueError):
    """Rows an engine streamed were not in strictly ascending order of the export key."""


def conformed_batches(
    batches: Iterable[pa.RecordBatch], contract: TableContract
) -> Iterator[pa.RecordBatch]:
    """An engine's batches, already sorted by the export key (``ORDER BY``), cast to the declared
    schema one batch at a time: ``conform`` without holding the mart. Checks as it goes that the
    one key column ascends strictly across the batches, as ``sort_by`` would order it (no null, no
    repeat); raises ``KeyOrderError`` when not (and for a key of several columns), and the caller
    sorts the whole table instead."""
    if len(contract.key) != 1:
        raise KeyOrderError(f"{contract.name}: a key of {len(contract.key)} columns")
    names = [f.name for f in contract.schema]
    key = contract.key[0]
    last: pa.Scalar | None = None
    for batch in batches:
        _check_columns(contract, batch.schema.names)
        if batch.num_rows == 0:
            continue
        table = pa.Table.from_batches([batch]).select(names).cast(contract.schema)
        column = table.column(key)
        if column.null_count or not _strictly_ascending(table, contract.key):
            raise KeyOrderError(f"{contract.name}: rows not in ascending order of {key}")
        if last is not None and not pc.greater(column[0], last).as_py():
            raise KeyOrderError(f"{contract.name}: batches not in ascending order of {key}")
        last = column[table.num_rows - 1]
        yield from table.to_batches()


def write_table(table: pa.Table, out_dir: Path, name: str) -> list[Path]:
    """Write <name>.parquet, <name>.csv (the exact text) and spreadsheet/<name>.csv (the same
    rows neutralized for spreadsheets, see ``spreadsheet_table``); returns the paths written."""
    paths, _ = write_batches(table.to_batches(), table.schema, out_dir, name)
    return paths


def write_batches(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    out_dir: Path,
    name: str,
    digest: RowDigest | None = None,
) -> tuple[list[Path], int]:
    """``write_table`` of rows that arrive in batches, in the order given, with one Parquet row
    group (and one batch) in memory at a time. The bytes do not depend on the batches: Parquet's
    pages follow the Arrow chunks where a chunk crosses a row group's end, so the same rows in
    other batches (DuckDB streams a large mart in vectors; PostgreSQL and Spark rows are sorted
    into one chunk) would give other bytes, and the packets cite the file's sha256. Each row group
    is therefore written as one chunk: the bytes of the whole table in one chunk. ``digest``, when
    given, takes every batch too (the logical fingerprint of rows that arrive in key order).
    The two CSV files are written by a thread each (Arrow releases the GIL), batch by batch in
    order, while this thread writes the Parquet file and the digest: one batch ahead at most.
    Returns the paths written and the number of rows."""
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet_path = out_dir / f"{name}.parquet"
    csv_path = out_dir / f"{name}.csv"
    sheet_path = out_dir / SPREADSHEET_DIR / f"{name}.csv"
    sheet_path.parent.mkdir(parents=True, exist_ok=True)
    settings = dict(PARQUET_SETTINGS)
    group = int(settings.pop("row_group_size"))
    sheet_schema = pa.schema(
        [pa.field(spreadsheet_cell(f.name), f.type, nullable=f.nullable) for f in schema]
    )
    rows = 0
    with contextlib.ExitStack() as stack:
        parquet = stack.enter_context(pq.ParquetWriter(parquet_path, schema, **settings))
        text = stack.enter_context(
            pacsv.CSVWriter(
                str(csv_path),
                schema,
                write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"),
            )
        )
        sink = stack.enter_context(pa.OSFile(str(sheet_path), "wb"))
        sink.write(b"\xef\xbb\xbf")
        sheet = stack.enter_context(
            pacsv.CSVWriter(
                sink,
                sheet_schema,
                write_options=pacsv.WriteOptions(include_header=True, quoting_style="all_valid"),
            )
        )
        # one worker each: a writer's batches in order; shut down (joined) before the files close
        text_worker = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="csv"))
        sheet_worker = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="sheet"))
        writing: list[Future[None]] = []
        pending: list[pa.RecordBatch] = []
        buffered = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if batch.schema != schema:
                raise ValueError(f"{name}: a batch does not have the table's schema")
            rows += batch.num_rows
            for done in writing:  # the previous batch's CSV rows written (or their error raised)
                done.result()
            writing = [
                text_worker.submit(text.write_batch, batch),
                sheet_worker.submit(_write_sheet_batch, sheet, batch),
            ]
            if digest is not None:
                digest.update(batch)
            pending.append(batch)
            buffered += batch.num_rows
            while buffered >= group:  # Parquet pages follow the chunks: one per row group
                held = pa.Table.from_batches(pending, schema)
                parquet.write_table(held.slice(0, group).combine_chunks(), row_group_size=group)
                pending = held.slice(group).combine_chunks().to_batches()
                buffered -= group
        if buffered:
            parquet.write_table(
                pa.Table.from_batches(pending, schema).combine_chunks(), row_group_size=group
            )
        for done in writing:
            done.result()
    if rows == 0:  # an empty table: the files pyarrow writes for one, as before
        empty = schema.empty_table()
        pq.write_table(empty, parquet_path, **PARQUET_SETTINGS)
        write_spreadsheet_csv(empty, sheet_path)
    return [parquet_path, csv_path, sheet_path], rows


def _write_sheet_batch(writer: pacsv.CSVWriter, batch: pa.RecordBatch) -> None:
    """One batch of the spreadsheet copy (``spreadsheet_table``) to its writer."""
    writer.write_table(spreadsheet_table(pa.Table.from_batches([batch])))


SPREADSHEET_DIR = "spreadsheet"


#: ``FORMULA_TRIGGERS`` as one anchored RE2 class, for the vectorized test below.
_FORMULA_START = "^[" + "".join("\\" + c if c in "\\]^-[" else c for c in FORMULA_TRIGGERS) + "]"


def spreadsheet_table(table: pa.Table) -> pa.Table:
    """The rows with every text cell (and header) that a spreadsheet would run as a formula
    prefixed with ``'`` (OWASP CSV injection: first character ``=``, ``+``, ``-``, ``@``, tab,
    CR, LF or a full-width form). Numbers, dates and booleans are left as they are: they cannot
    be formulas. The exact text is in the evidence CSV and Parquet beside it. Column by column
    in Arrow (the same result as ``spreadsheet_cell`` on every value, without a Python call per
    cell: half a million candidates took seconds that way)."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            text = column.cast(pa.string())
            starts = pc.fill_null(pc.match_substring_regex(text, _FORMULA_START), False)
            columns.append(pc.if_else(starts, pc.binary_join_element_wise("'", text, ""), text))
        else:
            columns.append(column)
    names = [spreadsheet_cell(n) for n in table.column_names]
    return pa.Table.from_arrays(columns, names=names)


def write_spreadsheet_csv(table: pa.Table, path: Path) -> None:
    """``spreadsheet_table(table)`` as CSV for spreadsheets: UTF-8 with a byte-order mark (so
    that Excel reads non-Latin names right), every value quoted; streamed to the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(b"\xef\xbb\xbf")
        pacsv.write_csv(
            spreadsheet_table(table),
            sink,
            write_options=pacsv.WriteOptions(include_header=True, quoting_style="all_valid"),
        )


def logical_fingerprint(table: pa.Table, key: tuple[str, ...] | list[str]) -> str:
    """sha256 over canonical rows in key order (docs/formats.md, "Logical fingerprint")."""
    con = duckdb.connect()
    try:
        con.register("t", table)
        return logical_fingerprint_of(con, "t", table.column_names, key)
    finally:
        con.close()


class RowDigest:
    """``logical_fingerprint`` of rows that arrive in batches already in key order (an export's
    stream): the same row digests, by the same DuckDB expression, hashed in arrival order, so
    the mart is neither held nor sorted again. ``hexdigest()`` when every batch has been given;
    a context manager (its DuckDB connection closed on exit)."""

    def __init__(
        self,
        columns: Sequence[str],
        threads: int = 2,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        # ``con``: a connection of ``digest_connection`` shared by the marts of one export (one
        # digest at a time; the caller closes it), else one of its own
        self._owned = con is None
        self._con = con if con is not None else digest_connection(threads)
        self._query = f"select {_row_digest(columns)} || chr(10) as d from batch"
        self._hash = hashlib.sha256()

    def update(self, batch: pa.RecordBatch) -> None:
        self._con.register("batch", batch)
        try:
            digests = self._con.sql(self._query).to_arrow_table().column(0).combine_chunks()
        finally:
            self._con.unregister("batch")
        if len(digests) != batch.num_rows or digests.null_count:
            raise RuntimeError("row digests do not match the batch")  # pragma: no cover
        # every digest and its newline, as one run of bytes of the array's values buffer
        width = pa.int64() if pa.types.is_large_string(digests.type) else pa.int32()
        offsets = pa.Array.from_buffers(
            width, len(digests) + 1, [None, digests.buffers()[1]], offset=digests.offset
        )
        start, end = offsets[0].as_py(), offsets[len(digests)].as_py()
        self._hash.update(memoryview(digests.buffers()[2])[start:end])

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._owned:
            self._con.close()

    def __enter__(self) -> RowDigest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def digest_connection(threads: int = 2) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for ``RowDigest``: insertion order kept (DuckDB's guarantee
    for a query without ORDER BY), so the digests come back in the batch's row order on any
    number of threads."""
    return duckdb.connect(config={"threads": threads, "preserve_insertion_order": True})


def _row_digest(columns: Sequence[str]) -> str:
    """The SQL of one row's digest (docs/formats.md, "Logical fingerprint")."""
    cols = ", ".join(f"cast({_quoted(c)} as varchar)" for c in columns)
    return f"sha256(to_json([{cols}]))"


def logical_fingerprint_of(
    con: duckdb.DuckDBPyConnection, view: str, columns: Sequence[str], key: Sequence[str]
) -> str:
    """docs/formats.md "Logical fingerprint" of a table or view ``view`` of ``con`` (a file that
    certify reads, a registered Arrow table), computed by DuckDB and streamed: the row digests of
    a large mart are millions of strings."""
    order = ", ".join(f"{_quoted(k)} asc nulls last" for k in key)
    cur = con.execute(f"select {_row_digest(columns)} from {view} order by {order}")
    h = hashlib.sha256()
    while rows := cur.fetchmany(65_536):
        for (digest,) in rows:
            h.update(str(digest).encode("ascii"))
            h.update(b"\n")
    return h.hexdigest()


def _quoted(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'
