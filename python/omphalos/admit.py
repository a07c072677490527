"""Admission of input files: inputs are admitted, not trusted.

Each input (CSV or Parquet) is checked against its declared spec (docs/inputs.md): the header must
name exactly the declared columns; every row is checked per column (required values, UTF-8, dates,
decimals, country codes, HS codes, enumerations), for duplicate keys and for references to other
inputs. Rows that fail are rejected with file, row, column and reason, and kept in the rejects
table; admitted rows are typed and written in canonical key order. The checks run as vectorised
SQL in DuckDB: an input is streamed in batches into DuckDB (never whole into Python memory; DuckDB
spills to disk beyond its memory limit), checked there, and the admitted rows are streamed out to Parquet. No Python loop touches
rows.

Row numbers follow spreadsheet convention: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from omphalos.canonical import sha256_file
from omphalos.limits import duckdb_memory_limit


class InputError(Exception):
    """An input cannot be admitted at all (missing file, wrong columns, unreadable)."""


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | date | decimal | country | hs6 | imo | enum
    required: bool = False
    values: tuple[str, ...] = ()

    @property
    def arrow_type(self) -> pa.DataType:
        if self.kind == "date":
            return pa.date32()
        if self.kind == "decimal":
            return pa.decimal128(18, 2)
        return pa.string()


@dataclasses.dataclass(frozen=True)
class Reference:
    column: str
    to_input: str
    to_column: str


@dataclasses.dataclass(frozen=True)
class InputSpec:
    name: str
    key: str
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=not c.required) for c in self.columns]
        )


def _t(name: str, required: bool = False) -> Column:
    return Column(name, "text", required)


def _c(name: str, required: bool = False) -> Column:
    return Column(name, "country", required)


# The kinds a trade party can be (a vessel is named in its own columns, vessel_name / vessel_imo).
PARTY_KINDS = ("person", "organization")

SPECS: dict[str, InputSpec] = {
    "shipments": InputSpec(
        "shipments",
        "shipment_id",
        (
            _t("shipment_id", True),
            Column("ship_date", "date", True),
            _t("shipper_name", True),
            _t("shipper_address"),
            _c("shipper_country", True),
            _t("consignee_name", True),
            _t("consignee_address"),
            _c("consignee_country", True),
            _t("notify_party_name"),
            _c("notify_party_country"),
            _c("origin_country", True),
            _c("transit_country"),
            _c("destination_country", True),
            Column("hs_code", "hs6", True),
            _t("goods_description"),
            Column("value_usd", "decimal", True),
            # Optional columns (docs/inputs.md): the kind of each party when the feed knows it,
            # and the vessel that carried the goods (name and IMO number).
            Column("shipper_kind", "enum", False, PARTY_KINDS),
            Column("consignee_kind", "enum", False, PARTY_KINDS),
            Column("notify_party_kind", "enum", False, PARTY_KINDS),
            _t("vessel_name"),
            Column("vessel_imo", "imo"),
        ),
    ),
    "registry_entities": InputSpec(
        "registry_entities",
        "entity_id",
        (
            _t("entity_id", True),
            _t("source_list", True),
            Column("list_date", "date", True),
            Column("entity_kind", "enum", True, ("person", "organization", "vessel", "aircraft")),
            _t("primary_name", True),
            _t("countries"),
            _t("programs"),
            _t("remarks"),
        ),
    ),
    "registry_names": InputSpec(
        "registry_names",
        "name_id",
        (
            _t("name_id", True),
            _t("entity_id", True),
            _t("name", True),
            Column("name_type", "enum", True, ("primary", "alias", "weak_alias")),
            _t("script"),
        ),
        (Reference("entity_id", "registry_entities", "entity_id"),),
    ),
    "registry_identifiers": InputSpec(
        "registry_identifiers",
        "identifier_id",
        (
            _t("identifier_id", True),
            _t("entity_id", True),
            _t("id_type", True),
            _t("id_value", True),
            _c("id_country"),
        ),
        (Reference("entity_id", "registry_entities", "entity_id"),),
    ),
}

# Admission order: referenced inputs first.
ADMISSION_ORDER = ("registry_entities", "registry_names", "registry_identifiers", "shipments")

REJECTS_SCHEMA = pa.schema(
    [
        pa.field("input", pa.string(), nullable=False),
        pa.field("file", pa.string(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("column", pa.string(), nullable=True),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=True),
    ]
)


@dataclasses.dataclass
class AdmittedInput:
    name: str
    path: Path
    file_label: str
    fmt: str
    source_sha256: str
    source_size: int
    rows_read: int
    rows_admitted: int
    rows_rejected: int
    parquet: Path  # the admitted rows, typed, in key order (the spec's Arrow schema)

    def read(self) -> pa.Table:
        """The admitted rows as one Arrow table (small inputs; engines stream the file)."""
        return pq.read_table(self.parquet)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file_label,
            "format": self.fmt,
            "source_sha256": self.source_sha256,
            "source_size": self.source_size,
            "rows_read": self.rows_read,
            "rows_admitted": self.rows_admitted,
            "rows_rejected": self.rows_rejected,
        }


# Rows per batch read from an input and appended to the admission database: the only part of an
# input ever held in Python memory.
BATCH_ROWS = 65_536
CSV_BLOCK_BYTES = 8 << 20


def _check_file(path: Path, label: str) -> None:
    if not path.exists():
        raise InputError(f"{label}: file not found: {path}")
    if not path.is_file():
        raise InputError(f"{label}: not a regular file: {path}")
    if not os.access(path, os.R_OK):
        raise InputError(f"{label}: file not readable: {path}")


def _check_header(label: str, spec: InputSpec, names: Sequence[str]) -> None:
    seen: set[str] = set()
    dupes = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dupes:
        raise InputError(f"{label}: row 1: duplicate column(s) {', '.join(dupes)}")
    missing = [c for c in spec.column_names if c not in names]
    extra = [n for n in names if n not in spec.column_names]
    problems = []
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if extra:
        problems.append("unexpected column(s) " + ", ".join(extra))
    if problems:
        raise InputError(
            f"{label}: row 1 (header): {'; '.join(problems)}; expected the columns of "
            f"'{spec.name}' in docs/inputs.md: {', '.join(spec.column_names)}"
        )


class _RowNumbers:
    """Spreadsheet row numbers of the rows a CSV reader returns, in order: 2, 3, ... skipping the
    malformed rows (reported by the reader before the batch that follows them is returned)."""

    def __init__(self, malformed: list[dict[str, Any]]) -> None:
        self.malformed = malformed
        self.next_row = 2

    def take(self, count: int) -> pa.Array:
        bad = sorted({m["row"] for m in self.malformed if m["row"] >= self.next_row})
        candidates = pa.array(range(self.next_row, self.next_row + count + len(bad)), pa.int64())
        if bad:
            keep = pc.invert(pc.is_in(candidates, value_set=pa.array(bad, pa.int64())))
            candidates = candidates.filter(keep)
        rows = candidates.slice(0, count)
        if count:
            self.next_row = rows[-1].as_py() + 1
        return rows


def _csv_batches(
    path: Path, label: str, spec: InputSpec, malformed: list[dict[str, Any]]
) -> Iterator[pa.RecordBatch]:
    """Every column as bytes, batch by batch, with its row number in `_row`; rows with the wrong
    number of fields are appended to `malformed` instead."""
    try:
        with path.open("rb") as fh:
            first = fh.readline()
        header_text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: row 1 (header): not valid UTF-8 ({exc.reason})") from exc
    if not header_text.strip():
        raise InputError(f"{label}: empty file or empty header row")
    names = [n.strip() for n in next(csv.reader([header_text]))]
    _check_header(label, spec, names)

    def on_invalid(row: Any) -> str:
        malformed.append(
            {
                "row": int(row.number) if row.number is not None else -1,
                "column": None,
                "reason": f"expected {row.expected_columns} fields, found {row.actual_columns}",
                "value": str(row.text)[:200],
            }
        )
        return "skip"

    numbers = _RowNumbers(malformed)
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                column_names=names,
                skip_rows=1,
                block_size=CSV_BLOCK_BYTES,
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.binary() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            columns = [batch.column(n) for n in spec.column_names]
            yield pa.RecordBatch.from_arrays(
                [*columns, numbers.take(batch.num_rows)], names=[*spec.column_names, "_row"]
            )
    except pa.ArrowInvalid as exc:
        raise InputError(f"{label}: cannot parse as CSV: {exc}") from exc


def _parquet_batches(path: Path, label: str, spec: InputSpec) -> Iterator[pa.RecordBatch]:
    try:
        source = pq.ParquetFile(path)
        _check_header(label, spec, source.schema_arrow.names)
        types = {f.name: f.type for f in source.schema_arrow}
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{label}: cannot read as Parquet: {exc}") from exc
    for name, dtype in types.items():
        if pa.types.is_floating(dtype):
            raise InputError(
                f"{label}: column {name}: floating-point type {dtype} is not admitted; "
                "write money as decimal or text"
            )
    next_row = 2
    try:
        for batch in source.iter_batches(batch_size=BATCH_ROWS, columns=list(spec.column_names)):
            cols = []
            for name in spec.column_names:
                col = batch.column(name)
                if (
                    pa.types.is_decimal(col.type)
                    or pa.types.is_date(col.type)
                    or pa.types.is_integer(col.type)
                ):
                    col = col.cast(pa.string())
                cols.append(col.cast(pa.binary()))
            rows = pa.array(range(next_row, next_row + batch.num_rows), pa.int64())
            next_row += batch.num_rows
            yield pa.RecordBatch.from_arrays([*cols, rows], names=[*spec.column_names, "_row"])
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{label}: cannot read as Parquet: {exc}") from exc


def _load_decoded(
    con: duckdb.DuckDBPyConnection, batches: Iterator[pa.RecordBatch], spec: InputSpec
) -> int:
    """Create table `decoded` from the batches in one streaming statement (DuckDB pulls the
    batches; Python holds one at a time): per column the text value (null when empty or not
    UTF-8), a flag for bytes that are not UTF-8 and the bytes themselves. Returns its rows."""
    failure: list[BaseException] = []

    def guarded() -> Iterator[pa.RecordBatch]:
        try:
            yield from batches
        except BaseException as exc:  # surfaced below: DuckDB sees only a broken stream
            failure.append(exc)
            raise

    stream = guarded()
    first = next(stream, None)  # reads the header: a bad header fails here, plainly
    schema = pa.schema(
        [*(pa.field(c, pa.binary()) for c in spec.column_names), pa.field("_row", pa.int64())]
    )
    reader = pa.RecordBatchReader.from_batches(
        schema, itertools.chain([first] if first is not None else [], stream)
    )
    decoded = ",\n".join(
        f"case when octet_length({c.name}) = 0 then null else try(decode({c.name})) end as {c.name},\n"
        f"octet_length({c.name}) > 0 and try(decode({c.name})) is null as {c.name}__bad_utf8,\n"
        f"{c.name} as {c.name}__bytes"
        for c in spec.columns
    )
    con.register("raw_input", reader)
    try:
        con.execute(f"create or replace table decoded as select _row, {decoded} from raw_input")
    except duckdb.Error:
        if failure:
            raise failure[0] from None
        raise
    finally:
        con.unregister("raw_input")
    rows = con.execute("select count(*) from decoded").fetchall()
    return int(rows[0][0])


def _write_admitted(
    con: duckdb.DuckDBPyConnection, query: str, schema: pa.Schema, out: Path
) -> int:
    """Stream a query's rows into a Parquet file with the fixed writer settings, in row groups
    of exactly PARQUET_SETTINGS' row_group_size rows (so the bytes do not depend on how DuckDB
    batches its output). Returns the rows written."""
    from omphalos.export import PARQUET_SETTINGS

    settings = dict(PARQUET_SETTINGS)
    group = int(settings.pop("row_group_size"))
    out.parent.mkdir(parents=True, exist_ok=True)
    reader = con.sql(query).to_arrow_reader(group)
    written = 0
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    with pq.ParquetWriter(out, schema, **settings) as writer:
        for batch in reader:
            pending.append(batch.cast(schema))
            pending_rows += batch.num_rows
            while pending_rows >= group:
                table = pa.Table.from_batches(pending, schema)
                writer.write_table(table.slice(0, group), row_group_size=group)
                rest = table.slice(group)
                pending = rest.to_batches()
                pending_rows = rest.num_rows
                written += group
        if pending_rows or written == 0:
            writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=group)
            written += pending_rows
    return written


def _check_sql(col: Column) -> list[tuple[str, str]]:
    """(condition that flags a bad value, reason) pairs; `{v}` stands for the decoded text value."""
    checks: list[tuple[str, str]] = []
    if col.required:
        checks.append(("{v} is null", "required value is missing"))
    if col.kind == "date":
        checks.append(
            ("{v} is not null and try_strptime({v}, '%Y-%m-%d') is null", "not a date (YYYY-MM-DD)")
        )
    elif col.kind == "decimal":
        checks.append(
            (
                "{v} is not null and not regexp_full_match({v}, '[0-9]{{1,16}}(\\.[0-9]{{1,2}})?')",
                "not a non-negative decimal with at most 2 decimal places",
            )
        )
    elif col.kind == "country":
        checks.append(
            (
                "{v} is not null and not regexp_full_match({v}, '[A-Za-z]{{2}}')",
                "not an ISO 3166-1 alpha-2 code",
            )
        )
    elif col.kind == "hs6":
        checks.append(
            (
                "{v} is not null and not regexp_full_match({v}, '[0-9]{{6}}')",
                "not a 6-digit HS code",
            )
        )
    elif col.kind == "imo":
        # IMO ship identification number: 7 digits (optionally written "IMO 1234567"); the last
        # is the check digit, the sum of the first six times 7, 6, 5, 4, 3, 2, modulo 10.
        digits = "regexp_replace({v}, '^IMO ?', '')"
        weighted = " + ".join(
            f"try_cast(substr({digits}, {i + 1}, 1) as integer) * {7 - i}" for i in range(6)
        )
        checks.append(
            (
                "{v} is not null and (not regexp_full_match({v}, '(IMO ?)?[0-9]{{7}}')"
                f" or ({weighted}) % 10 <> try_cast(substr({digits}, 7, 1) as integer))",
                "not an IMO number (7 digits with a valid check digit)",
            )
        )
    elif col.kind == "enum":
        allowed = ", ".join(f"'{v}'" for v in col.values)
        checks.append(
            (
                f"{{v}} is not null and lower({{v}}) not in ({allowed})",
                f"not one of {', '.join(col.values)}",
            )
        )
    return checks


def admit_one(
    con: duckdb.DuckDBPyConnection,
    spec: InputSpec,
    path: Path,
    file_label: str,
    out_dir: Path,
    admitted_keys: Mapping[str, str] | None = None,
) -> tuple[AdmittedInput, pa.Table]:
    """Admit one input file into ``out_dir/<name>.parquet``. The file is read batch by batch
    into ``con`` (give it a memory limit and a temp_directory for large inputs, as admit_all
    does), checked there, and the admitted rows are streamed out in key order.

    ``admitted_keys`` maps an input already admitted to the table in ``con`` holding its keys
    (column ``k``), for reference checks. Returns the admission record and its rejects
    (REJECTS_SCHEMA)."""
    _check_file(path, file_label)
    fmt = "parquet" if path.suffix.lower() == ".parquet" else "csv"
    malformed: list[dict[str, Any]] = []
    batches = (
        _csv_batches(path, file_label, spec, malformed)
        if fmt == "csv"
        else _parquet_batches(path, file_label, spec)
    )
    rows_loaded = _load_decoded(con, batches, spec)
    digest, size = sha256_file(path)

    reject_selects = []
    for c in spec.columns:
        value = (
            f"case when {c.name}__bad_utf8 then 'hex:' || hex({c.name}__bytes) "
            f"else left({c.name}, 200) end"
        )
        reject_selects.append(
            f"select _row as row, '{c.name}' as col, 'not valid UTF-8' as reason, {value} as value "
            f"from decoded where {c.name}__bad_utf8"
        )
        for cond, reason in _check_sql(c):
            cond_sql = cond.format(v=c.name)
            reject_selects.append(
                f"select _row as row, '{c.name}' as col, '{reason}' as reason, {value} as value "
                f"from decoded where not {c.name}__bad_utf8 and ({cond_sql})"
            )
    reject_selects.append(
        f"select decoded._row as row, '{spec.key}' as col, "
        f"'duplicate key {spec.key} (first at row ' || firsts.first_row || ')' as reason, "
        f"decoded.{spec.key} as value from decoded inner join ("
        f"select {spec.key}, min(_row) as first_row from decoded where {spec.key} is not null "
        f"group by {spec.key} having count(*) > 1) as firsts on decoded.{spec.key} = firsts.{spec.key} "
        "where decoded._row <> firsts.first_row"
    )
    for ref in spec.references:
        keys_table = (admitted_keys or {}).get(ref.to_input)
        if keys_table is None:
            continue
        reject_selects.append(
            f"select _row as row, '{ref.column}' as col, "
            f"'unknown {ref.column}: no admitted {ref.to_input} row has this {ref.to_column}' as reason, "
            f"{ref.column} as value from decoded "
            f"where {ref.column} is not null and {ref.column} not in (select k from {keys_table})"
        )
    con.execute("create or replace table row_rejects as " + "\nunion all\n".join(reject_selects))
    rejects_rel = con.sql(
        f"select '{spec.name}' as input, $file as file, row, col as \"column\", reason, value "
        "from row_rejects order by row, col, reason",
        params={"file": file_label},
    ).to_arrow_table()
    if malformed:
        malformed_table = pa.table(
            {
                "input": [spec.name] * len(malformed),
                "file": [file_label] * len(malformed),
                "row": [m["row"] for m in malformed],
                "column": [m["column"] for m in malformed],
                "reason": [m["reason"] for m in malformed],
                "value": [m["value"] for m in malformed],
            }
        )
        rejects_rel = pa.concat_tables(
            [malformed_table.cast(REJECTS_SCHEMA), rejects_rel.cast(REJECTS_SCHEMA)]
        )
    rejects = rejects_rel.cast(REJECTS_SCHEMA)

    typed = []
    for c in spec.columns:
        if c.kind == "date":
            typed.append(f"cast(strptime({c.name}, '%Y-%m-%d') as date) as {c.name}")
        elif c.kind == "decimal":
            typed.append(f"cast({c.name} as decimal(18, 2)) as {c.name}")
        elif c.kind in ("country",):
            typed.append(f"upper({c.name}) as {c.name}")
        elif c.kind == "enum":
            typed.append(f"lower({c.name}) as {c.name}")
        else:
            typed.append(c.name)
    con.execute(
        f"create or replace table admitted_{spec.name} as select {', '.join(typed)} from decoded "
        "where _row not in (select row from row_rejects)"
    )
    con.execute("drop table decoded")
    con.execute("drop table row_rejects")
    parquet = out_dir / f"{spec.name}.parquet"
    admitted_rows = _write_admitted(
        con,
        f"select * from admitted_{spec.name} order by {spec.key}",
        spec.arrow_schema,
        parquet,
    )
    con.execute(
        f"create or replace table keys_{spec.name} as select {spec.key} as k from admitted_{spec.name}"
    )
    con.execute(f"drop table admitted_{spec.name}")

    rejected_rows = len(set(rejects.column("row").to_pylist()))
    record = AdmittedInput(
        name=spec.name,
        path=path,
        file_label=file_label,
        fmt=fmt,
        source_sha256=digest,
        source_size=size,
        rows_read=rows_loaded + len(malformed),
        rows_admitted=admitted_rows,
        rows_rejected=rejected_rows,
        parquet=parquet,
    )
    return record, rejects


def admit_all(
    inputs: Mapping[str, Path],
    labels: Mapping[str, str],
    out_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[AdmittedInput], pa.Table]:
    """Admit every declared input into ``out_dir`` (one Parquet file each). Raises InputError
    when an input is missing or unusable.

    The work happens in DuckDB under its memory limit (omphalos.limits), spilling to a temporary
    directory that is never inside a run, so an input of any size is admitted in bounded memory:
    Python holds one batch of it at a time."""
    unknown = sorted(set(inputs) - set(SPECS))
    if unknown:
        raise InputError(
            f"unknown input name(s) in config: {', '.join(unknown)}; known: {', '.join(SPECS)}"
        )
    missing = [n for n in ADMISSION_ORDER if n not in inputs]
    if missing:
        raise InputError(f"config names no file for input(s): {', '.join(missing)}")
    records: list[AdmittedInput] = []
    rejects: list[pa.Table] = []
    keys: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="omphalos-admit-") as work:
        con = duckdb.connect(
            ":memory:",
            config={
                "memory_limit": duckdb_memory_limit(),
                "temp_directory": str(Path(work) / "spill"),
                "threads": 2,
                # admitted rows are written in key order (order by), never in insertion order
                "preserve_insertion_order": False,
            },
        )
        try:
            for name in ADMISSION_ORDER:
                if progress:
                    progress(f"admitting {name} from {labels[name]}")
                record, rej = admit_one(con, SPECS[name], inputs[name], labels[name], out_dir, keys)
                records.append(record)
                rejects.append(rej)
                keys[name] = f"keys_{name}"
        finally:
            con.close()
    all_rejects = pa.concat_tables(rejects) if rejects else REJECTS_SCHEMA.empty_table()
    return records, all_rejects
