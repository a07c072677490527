"""Admission of input files: inputs are admitted, not trusted.

Each input (CSV or Parquet) is checked against its declared spec (docs/inputs.md): the header must
name every required column and no undeclared one (an optional column may be absent: it is then
null); every row is checked per column (required values, UTF-8, dates, decimals, country codes,
HS codes, enumerations, name bounds), for duplicate keys and for references to other inputs. Rows
that fail are rejected with file, row, column and reason, and kept in the rejects table; admitted
rows are typed and written in canonical key order. The checks run as vectorised SQL in DuckDB: an
input is streamed in batches into DuckDB (never whole into Python memory; DuckDB spills to disk
beyond its memory limit), checked there, and the admitted rows are streamed out to Parquet.

A CSV input is one record per physical line. Row numbers are line numbers: the header is row 1,
the line after it row 2, whatever comes before (blank lines are counted and skipped, a damaged
line is rejected on its own row). Every non-blank line is admitted or rejected: rows read equals
the data lines of the file.

Nothing read from an input appears in an error message (only in the rejects table): a file that
is not what it should be is named and located, never quoted.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from omphalos.errors import InputError
from omphalos.evidence.canonical import sha256_file
from omphalos.pipeline.limits import duckdb_memory_limit
from omphalos.registry.countries import ISO2_CODES

# --- the rules (docs/inputs.md) ----------------------------------------------------------------

# A name (party or registry name) longer than this, or of more words (runs of letters and digits)
# than this, is rejected: one such row must not take the run down (the longest name on the OFAC
# SDN and UN lists has 324 characters and 45 words).
MAX_NAME_CHARS = 512
MAX_NAME_TOKENS = 64
# Dates are admitted from MIN_DATE to MAX_DATE (a year 0000 or 9999 is a typo, not a shipment).
MIN_DATE = "1900-01-01"
MAX_DATE = "2099-12-31"
# A CSV line longer than this is rejected without being read into memory whole.
MAX_LINE_BYTES = 4 << 20
MAX_HEADER_BYTES = 64 << 10
# The ISO 3166-1 alpha-2 codes (one table: omphalos.registry.countries, which also maps the
# official lists' country names), plus XK (Kosovo, user-assigned and in common use).
COUNTRY_CODES = tuple(sorted(ISO2_CODES))
_COUNTRY_ALT = "(?:" + "|".join(COUNTRY_CODES) + ")"


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | name | date | decimal | country | country_list | hs6 | imo | enum
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
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=not c.required) for c in self.columns]
        )


def _t(name: str, required: bool = False) -> Column:
    return Column(name, "text", required)


def _n(name: str, required: bool = False) -> Column:
    return Column(name, "name", required)


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
            _n("shipper_name", True),
            _t("shipper_address"),
            _c("shipper_country", True),
            _n("consignee_name", True),
            _t("consignee_address"),
            _c("consignee_country", True),
            _n("notify_party_name"),
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
            _n("vessel_name"),
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
            _n("primary_name", True),
            Column("countries", "country_list"),
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
            _n("name", True),
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
    blank_lines: int = 0
    absent_columns: tuple[str, ...] = ()

    def read(self) -> pa.Table:
        """The admitted rows as one Arrow table (small inputs; engines stream the file)."""
        return pq.read_table(self.parquet)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "file": self.file_label,
            "format": self.fmt,
            "source_sha256": self.source_sha256,
            "source_size": self.source_size,
            "rows_read": self.rows_read,
            "rows_admitted": self.rows_admitted,
            "rows_rejected": self.rows_rejected,
        }
        # stated only when there is something to state (a clean input's record is unchanged)
        if self.blank_lines:
            out["blank_lines"] = self.blank_lines
        if self.absent_columns:
            out["absent_columns"] = list(self.absent_columns)
        return out


# Rows per batch read from a Parquet input; CSV inputs are read in blocks of CSV_BLOCK_BYTES (cut
# at a line end). A batch is the only part of an input ever held in Python memory.
BATCH_ROWS = 65_536
CSV_BLOCK_BYTES = 8 << 20

# Pseudo-files of the operating system: never data, whatever stat says.
_PSEUDO_ROOTS = ("/proc/", "/sys/")


def _check_file(path: Path, label: str) -> os.stat_result:
    """The input must be a readable, non-empty regular file on disk: no directory, fifo, device,
    socket or /proc, /sys pseudo-file (which stat as regular files of size 0 and would be read)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{label}: file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot stat: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a directory"
            if stat.S_ISDIR(st.st_mode)
            else "a fifo"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket or other special file"
        )
        raise InputError(f"{label}: not a regular file ({kind}): {path}")
    real = os.path.realpath(path)
    if real.startswith(_PSEUDO_ROOTS):
        raise InputError(f"{label}: not a regular file (an operating-system pseudo-file): {path}")
    if not os.access(path, os.R_OK):
        raise InputError(f"{label}: file not readable: {path}")
    if st.st_size == 0:
        raise InputError(f"{label}: empty file (0 bytes): {path}")
    return st


def _check_header(label: str, spec: InputSpec, names: Sequence[str]) -> list[str]:
    """Check the column names; return the optional columns absent from them. Names that are not
    declared columns are located by position, never quoted (they are input)."""
    declared = set(spec.column_names)
    seen: set[str] = set()
    dupes = sorted({n for n in names if n in declared and (n in seen or seen.add(n))})  # type: ignore[func-returns-value]
    undeclared_dupes = len(names) - len(set(names)) - sum(names.count(d) - 1 for d in dupes)
    if dupes or undeclared_dupes:
        what = ", ".join(dupes) if dupes else f"{undeclared_dupes} undeclared name(s)"
        raise InputError(f"{label}: row 1 (header): duplicate column(s): {what}")
    missing = [c for c in spec.required_names if c not in names]
    extra = [i + 1 for i, n in enumerate(names) if n not in declared]
    problems = []
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if extra:
        absent = [c for c in spec.column_names if c not in names]
        hints = []
        for i in extra:
            close = difflib.get_close_matches(names[i - 1], absent, n=1, cutoff=0.75)
            hints.append(f"{i} (did you mean {close[0]}?)" if close else str(i))
        problems.append("undeclared column(s) at position " + ", ".join(hints))
    if problems:
        raise InputError(
            f"{label}: row 1 (header): {'; '.join(problems)}; expected the columns of "
            f"'{spec.name}' in docs/inputs.md: {', '.join(spec.column_names)}"
        )
    return [c for c in spec.column_names if c not in names]


def _read_header(fh: BinaryIO, label: str) -> tuple[list[str], int]:
    """The header's column names and its length in bytes (line end included)."""
    first = fh.readline(MAX_HEADER_BYTES + 1)
    if not first.endswith(b"\n") and fh.read(1):
        raise InputError(
            f"{label}: row 1 (header): no line end (LF) within the first {MAX_HEADER_BYTES} bytes: "
            "not a CSV file, or a file with CR-only line ends (write LF or CRLF)"
        )
    try:
        header_text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: row 1 (header): not valid UTF-8 ({exc.reason})") from None
    header_text = header_text.removesuffix("\n").removesuffix("\r")
    if "\r" in header_text:
        raise InputError(
            f"{label}: row 1 (header): holds a CR (carriage return): CR-only line ends are not "
            "read; write LF or CRLF line ends"
        )
    if not header_text.strip():
        raise InputError(f"{label}: row 1 (header): empty header row")
    try:
        rows = list(csv.reader([header_text], strict=True))
    except csv.Error:
        raise InputError(f"{label}: row 1 (header): not a CSV header row") from None
    if len(rows) != 1:
        raise InputError(f"{label}: row 1 (header): not a CSV header row")
    return [n.strip() for n in rows[0]], len(first)


# One CSV field: quoted ("" inside for a quote) or unquoted (no comma or CR; a quote only after
# the first character, read literally). A line is one record of such fields.
_FIELD = r'(?:"(?:[^"]|"")*"|(?:[^",\r][^,\r]*)?)'
_LINE_RE = rf"^{_FIELD}(?:,{_FIELD})*$"
BAD_LINE = (
    "not one CSV record on one line (an unbalanced or stray quote, or a CR inside the line); "
    "a value cannot span lines"
)


def _value_text(line: bytes) -> str:
    """A rejected line as the rejects table shows it: its first 200 characters, or hex when it
    is not UTF-8."""
    try:
        return line.decode("utf-8")[:200]
    except UnicodeDecodeError:
        return "hex:" + line[:100].hex().upper()


class _Lines:
    """The data lines of a CSV file, block by block: (line bytes, physical line numbers). Lines
    longer than MAX_LINE_BYTES are never held whole: they come back cut to their first bytes,
    with their numbers in ``overlong``."""

    def __init__(self, fh: BinaryIO, first_line: int) -> None:
        self.fh = fh
        self.next_line = first_line
        self.overlong: set[int] = set()

    def blocks(self) -> Iterator[tuple[pa.Array, pa.Array]]:
        carry = b""
        skipping = False  # inside an overlong line: drop bytes up to its end
        while True:
            block = self.fh.read(CSV_BLOCK_BYTES)
            if not block:
                break
            if skipping:
                cut = block.find(b"\n")
                if cut < 0:
                    continue
                block = block[cut + 1 :]
                skipping = False
            data = carry + block
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > MAX_LINE_BYTES:
                    yield from self._emit([data[:1024]], overlong=True)
                    carry, skipping = b"", True
                else:
                    carry = data
                continue
            whole, carry = data[:cut], data[cut + 1 :]
            yield from self._split(whole)
            if len(carry) > MAX_LINE_BYTES:
                yield from self._emit([carry[:1024]], overlong=True)
                carry, skipping = b"", True
        if carry:
            yield from self._split(carry)

    def _split(self, data: bytes) -> Iterator[tuple[pa.Array, pa.Array]]:
        lines = pc.split_pattern(pa.array([data], pa.binary()), b"\n").flatten()
        long = pc.greater(pc.binary_length(lines), MAX_LINE_BYTES)
        if pc.any(long).as_py():
            lines = pc.if_else(long, pc.binary_slice(lines, 0, 1024), lines)
            first = self.next_line
            self.overlong.update(first + i for i, x in enumerate(long.to_pylist()) if x)
        yield from self._emit(lines)

    def _emit(self, lines: Any, overlong: bool = False) -> Iterator[tuple[pa.Array, pa.Array]]:
        arr = lines if isinstance(lines, pa.Array) else pa.array(lines, pa.binary())
        numbers = pa.array(range(self.next_line, self.next_line + len(arr)), pa.int64())
        if overlong:
            self.overlong.add(self.next_line)
        self.next_line += len(arr)
        yield arr, numbers


_DATA_FIELDS = ("_malformed", "_line")


def _batch_schema(spec: InputSpec) -> pa.Schema:
    return pa.schema(
        [
            *(pa.field(c, pa.binary()) for c in spec.column_names),
            pa.field("_row", pa.int64()),
            pa.field("_malformed", pa.string()),
            pa.field("_line", pa.string()),
        ]
    )


def _malformed_batch(
    spec: InputSpec, rows: list[int], reasons: list[str], values: list[str]
) -> pa.RecordBatch:
    n = len(rows)
    nulls = [pa.nulls(n, pa.binary()) for _ in spec.column_names]
    return pa.RecordBatch.from_arrays(
        [
            *nulls,
            pa.array(rows, pa.int64()),
            pa.array(reasons, pa.string()),
            pa.array(values, pa.string()),
        ],
        schema=_batch_schema(spec),
    )


class CsvStats:
    def __init__(self) -> None:
        self.blank_lines = 0
        self.absent: list[str] = []


def _csv_batches(
    path: Path, label: str, spec: InputSpec, stats: CsvStats
) -> Iterator[pa.RecordBatch]:
    """Every column as bytes, batch by batch, with its line number in `_row`. A line that is not
    one well-formed record, or has the wrong number of fields, comes as a row with `_malformed`
    (the reason) and `_line` (its first characters) set and every column null. The header is
    checked before the first batch is asked for."""
    fh = path.open("rb")
    try:
        names, _ = _read_header(fh, label)
        stats.absent = _check_header(label, spec, names)
    except BaseException:
        fh.close()
        raise
    return _csv_data(fh, label, names, spec, stats)


def _csv_data(
    fh: BinaryIO, label: str, names: list[str], spec: InputSpec, stats: CsvStats
) -> Iterator[pa.RecordBatch]:
    schema = _batch_schema(spec)
    lines = _Lines(fh, first_line=2)
    with fh:
        for block, numbers in lines.blocks():
            block = pc.replace_substring_regex(block, r"\r$", b"")
            blank = pc.equal(pc.binary_length(block), 0)
            stats.blank_lines += int(pc.sum(blank.cast(pa.int64())).as_py() or 0)
            data = pc.invert(blank)
            block, numbers = block.filter(data), numbers.filter(data)
            if len(block) == 0:
                continue
            good = pc.match_substring_regex(block, _LINE_RE)
            too_long = pc.is_in(numbers, value_set=pa.array(sorted(lines.overlong), pa.int64()))
            good = pc.and_(good, pc.invert(too_long))
            bad_rows = numbers.filter(pc.invert(good)).to_pylist()
            if bad_rows:
                bad_lines = block.filter(pc.invert(good)).to_pylist()
                reasons = [
                    f"line longer than {MAX_LINE_BYTES} bytes" if r in lines.overlong else BAD_LINE
                    for r in bad_rows
                ]
                yield _malformed_batch(spec, bad_rows, reasons, [_value_text(b) for b in bad_lines])
            block, numbers = block.filter(good), numbers.filter(good)
            if len(block) == 0:
                continue
            yield from _parse_lines(block, numbers, label, names, spec, schema)


def _parse_lines(
    block: pa.Array,
    numbers: pa.Array,
    label: str,
    names: list[str],
    spec: InputSpec,
    schema: pa.Schema,
) -> Iterator[pa.RecordBatch]:
    """Parse well-formed lines (each exactly one record) with the Arrow CSV reader."""
    joined = pc.binary_join(
        pa.ListArray.from_arrays(pa.array([0, len(block)], pa.int32()), block), b"\n"
    )
    buffer = joined[0].as_buffer()
    invalid: list[tuple[int, str]] = []

    def on_invalid(row: Any) -> str:
        invalid.append(
            (
                int(row.number) - 1,
                f"expected {row.expected_columns} fields, found {row.actual_columns}",
            )
        )
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(buffer),
            read_options=pacsv.ReadOptions(
                use_threads=False,
                column_names=names,
                block_size=max(len(buffer) + 1, 1 << 20),
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=False, invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.binary() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        first = numbers[0].as_py()
        raise InputError(f"{label}: cannot parse the lines from row {first} as CSV") from None
    if invalid:
        idx = [i for i, _ in invalid]
        rows = pc.take(numbers, pa.array(idx, pa.int64())).to_pylist()
        values = [_value_text(v) for v in pc.take(block, pa.array(idx, pa.int64())).to_pylist()]
        yield _malformed_batch(spec, rows, [r for _, r in invalid], values)
        keep = pc.invert(
            pc.is_in(pa.array(range(len(block)), pa.int64()), value_set=pa.array(idx, pa.int64()))
        )
        numbers = numbers.filter(keep)
    if table.num_rows != len(numbers):  # pragma: no cover - each line is one record by the grammar
        raise InputError(f"{label}: CSV reader and line count disagree")
    n = table.num_rows
    if n == 0:
        return
    cols = [
        table.column(c).combine_chunks() if c in table.column_names else pa.nulls(n, pa.binary())
        for c in spec.column_names
    ]
    yield pa.RecordBatch.from_arrays(
        [*cols, numbers, pa.nulls(n, pa.string()), pa.nulls(n, pa.string())], schema=schema
    )


def _parquet_kind(dtype: pa.DataType) -> str:
    for test, kind in (
        (pa.types.is_floating, "floating-point"),
        (pa.types.is_timestamp, "timestamp"),
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_struct, "struct"),
        (pa.types.is_map, "map"),
        (lambda t: pa.types.is_list(t) or pa.types.is_large_list(t), "list"),
        (pa.types.is_time, "time"),
        (pa.types.is_duration, "duration"),
    ):
        if test(dtype):
            return kind
    return "other"


def _parquet_column_ok(col: Column, dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_binary(dtype)
        or pa.types.is_large_binary(dtype)
        or pa.types.is_null(dtype)
    ):
        return True
    if pa.types.is_date(dtype):
        return col.kind in ("date", "text")
    if pa.types.is_integer(dtype) or pa.types.is_decimal(dtype):
        return col.kind in ("decimal", "text")
    return False


def _parquet_batches(
    path: Path, label: str, spec: InputSpec, stats: CsvStats
) -> Iterator[pa.RecordBatch]:
    try:
        source = pq.ParquetFile(path)
        names = source.schema_arrow.names
        types = {f.name: f.type for f in source.schema_arrow}
    except (pa.ArrowException, OSError):
        raise InputError(
            f"{label}: cannot read as Parquet (not a Parquet file, or damaged)"
        ) from None
    stats.absent = _check_header(label, spec, names)
    for col in spec.columns:
        if col.name in types and not _parquet_column_ok(col, types[col.name]):
            kind = _parquet_kind(types[col.name])
            advice = (
                "write money as decimal or text" if kind == "floating-point" else "write it as text"
            )
            raise InputError(
                f"{label}: column {col.name}: Parquet {kind} type is not admitted for a "
                f"{col.kind} column; {advice}"
            )
    present = [c for c in spec.column_names if c in types]
    return _parquet_data(source, label, spec, present)


def _parquet_data(
    source: pq.ParquetFile, label: str, spec: InputSpec, present: list[str]
) -> Iterator[pa.RecordBatch]:
    schema = _batch_schema(spec)
    next_row = 2
    try:
        for batch in source.iter_batches(batch_size=BATCH_ROWS, columns=present):
            n = batch.num_rows
            cols = []
            for name in spec.column_names:
                if name not in present:
                    cols.append(pa.nulls(n, pa.binary()))
                    continue
                col = batch.column(name)
                if pa.types.is_dictionary(col.type):
                    col = col.cast(col.type.value_type)
                if not (pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type)):
                    col = col.cast(pa.string())
                cols.append(col.cast(pa.binary()))
            rows = pa.array(range(next_row, next_row + n), pa.int64())
            next_row += n
            yield pa.RecordBatch.from_arrays(
                [*cols, rows, pa.nulls(n, pa.string()), pa.nulls(n, pa.string())], schema=schema
            )
    except (pa.ArrowException, OSError):
        raise InputError(
            f"{label}: cannot read as Parquet from row {next_row} (damaged file)"
        ) from None


def _load_decoded(
    con: duckdb.DuckDBPyConnection, batches: Iterator[pa.RecordBatch], spec: InputSpec
) -> int:
    """Create table `decoded` from the batches in one streaming statement (DuckDB pulls the
    batches; Python holds one at a time): per column the text value (null when empty or not
    UTF-8), a flag for bytes that are not UTF-8 and, for those only, the bytes themselves; and
    per row `_malformed` and `_line` for a line that is no record. Returns its rows."""
    failure: list[BaseException] = []

    def guarded() -> Iterator[pa.RecordBatch]:
        try:
            yield from batches
        except BaseException as exc:  # surfaced below: DuckDB sees only a broken stream
            failure.append(exc)
            raise

    reader = pa.RecordBatchReader.from_batches(_batch_schema(spec), guarded())
    decoded = ",\n".join(
        f"case when octet_length({c.name}) = 0 then null else try(decode({c.name})) end as {c.name},\n"
        f"octet_length({c.name}) > 0 and try(decode({c.name})) is null as {c.name}__bad_utf8,\n"
        # the bytes are kept only where they are not UTF-8 (the reject shows them in hex)
        f"case when octet_length({c.name}) > 0 and try(decode({c.name})) is null then {c.name} end "
        f"as {c.name}__bytes"
        for c in spec.columns
    )
    con.register("raw_input", reader)
    try:
        con.execute(
            f"create or replace table decoded as select _row, _malformed, _line, {decoded} "
            "from raw_input"
        )
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
    from omphalos.pipeline.export import PARQUET_SETTINGS

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


_VISIBLE = r"[^\s\p{{Z}}\p{{Cc}}\p{{Cf}}]"  # braces doubled: used in str.format


def _check_sql(col: Column) -> list[tuple[str, str]]:
    """(condition that flags a bad value, reason) pairs; `{v}` stands for the decoded text value."""
    checks: list[tuple[str, str]] = []
    if col.required:
        checks.append(("{v} is null", "required value is missing"))
    if col.kind == "name":
        checks.append(
            (
                "{v} is not null and not regexp_matches({v}, '[\\p{{L}}\\p{{N}}]')",
                "a name needs a letter or a digit (this one is blank or punctuation only)",
            )
        )
        checks.append(
            (
                f"{{v}} is not null and length({{v}}) > {MAX_NAME_CHARS}",
                f"name longer than {MAX_NAME_CHARS} characters",
            )
        )
        # more than MAX_NAME_TOKENS words need at least 2 x MAX_NAME_TOKENS + 1 characters (a
        # word and a separator each): shorter names, nearly all, skip the regular expression
        checks.append(
            (
                f"{{v}} is not null and length({{v}}) <= {MAX_NAME_CHARS} and "
                f"length({{v}}) > {2 * MAX_NAME_TOKENS} and "
                "len(regexp_extract_all({v}, '[\\p{{L}}\\p{{N}}]+')) > " + str(MAX_NAME_TOKENS),
                f"name of more than {MAX_NAME_TOKENS} words",
            )
        )
    elif col.required:
        checks.append(
            (
                f"{{v}} is not null and not regexp_matches({{v}}, '{_VISIBLE}')",
                "required value is blank (white space only)",
            )
        )
    if col.kind == "date":
        checks.append(
            (
                "{v} is not null and (not regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                "or try_strptime({v}, '%Y-%m-%d') is null)",
                "not a date (YYYY-MM-DD)",
            )
        )
        checks.append(
            (
                "{v} is not null and regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                "and try_strptime({v}, '%Y-%m-%d') is not null "
                f"and {{v}} not between '{MIN_DATE}' and '{MAX_DATE}'",
                f"date out of range ({MIN_DATE} to {MAX_DATE})",
            )
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
                f"{{v}} is not null and not regexp_full_match(upper({{v}}), '{_COUNTRY_ALT}')",
                "not an ISO 3166-1 alpha-2 code",
            )
        )
    elif col.kind == "country_list":
        checks.append(
            (
                f"{{v}} is not null and not regexp_full_match(upper({{v}}), "
                f"'{_COUNTRY_ALT}(;{_COUNTRY_ALT})*')",
                "not a ;-joined list of ISO 3166-1 alpha-2 codes",
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
    stats = CsvStats()
    batches = (
        _csv_batches(path, file_label, spec, stats)
        if fmt == "csv"
        else _parquet_batches(path, file_label, spec, stats)
    )
    rows_loaded = _load_decoded(con, batches, spec)
    digest, size = sha256_file(path)
    con.execute(
        "create or replace temp view wellformed as select * from decoded where _malformed is null"
    )

    reject_selects = [
        "select _row as row, null as col, _malformed as reason, _line as value "
        "from decoded where _malformed is not null"
    ]
    for c in spec.columns:
        value = (
            f"case when {c.name}__bad_utf8 then 'hex:' || hex({c.name}__bytes) "
            f"else left({c.name}, 200) end"
        )
        reject_selects.append(
            f"select _row as row, '{c.name}' as col, 'not valid UTF-8' as reason, {value} as value "
            f"from wellformed where {c.name}__bad_utf8"
        )
        for cond, reason in _check_sql(c):
            cond_sql = cond.format(v=c.name)
            reject_selects.append(
                f"select _row as row, '{c.name}' as col, '{reason}' as reason, {value} as value "
                f"from wellformed where not {c.name}__bad_utf8 and ({cond_sql})"
            )
    reject_selects.append(
        f"select wellformed._row as row, '{spec.key}' as col, "
        f"'duplicate key {spec.key} (first at row ' || firsts.first_row || ')' as reason, "
        f"left(wellformed.{spec.key}, 200) as value from wellformed inner join ("
        f"select {spec.key}, min(_row) as first_row from wellformed where {spec.key} is not null "
        f"group by {spec.key} having count(*) > 1) as firsts on wellformed.{spec.key} = firsts.{spec.key} "
        "where wellformed._row <> firsts.first_row"
    )
    for ref in spec.references:
        keys_table = (admitted_keys or {}).get(ref.to_input)
        if keys_table is None:
            continue
        reject_selects.append(
            f"select _row as row, '{ref.column}' as col, "
            f"'unknown {ref.column}: no admitted {ref.to_input} row has this {ref.to_column}' as reason, "
            f"left({ref.column}, 200) as value from wellformed "
            f"where {ref.column} is not null and {ref.column} not in (select k from {keys_table})"
        )
    con.execute("create or replace table row_rejects as " + "\nunion all\n".join(reject_selects))
    rejects = (
        con.sql(
            f"select '{spec.name}' as input, $file as file, row, col as \"column\", reason, value "
            "from row_rejects order by row, col nulls first, reason",
            params={"file": file_label},
        )
        .to_arrow_table()
        .cast(REJECTS_SCHEMA)
    )

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
        f"create or replace table admitted_{spec.name} as select {', '.join(typed)} from wellformed "
        "where _row not in (select row from row_rejects)"
    )
    con.execute("drop view wellformed")
    con.execute("drop table decoded")
    rejected_rows = int(con.execute("select count(distinct row) from row_rejects").fetchall()[0][0])
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

    record = AdmittedInput(
        name=spec.name,
        path=path,
        file_label=file_label,
        fmt=fmt,
        source_sha256=digest,
        source_size=size,
        rows_read=rows_loaded,
        rows_admitted=admitted_rows,
        rows_rejected=rejected_rows,
        parquet=parquet,
        blank_lines=stats.blank_lines,
        absent_columns=tuple(stats.absent),
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

    The work happens in DuckDB under its memory limit (omphalos.pipeline.limits), spilling to a temporary
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


def check_registry_not_empty(records: Sequence[AdmittedInput]) -> None:
    """Refuse to screen against an empty registry (no admitted entity or no admitted name): a run
    would seal "0 matches" that mean nothing. InputError (exit 2)."""
    counts = {r.name: r.rows_admitted for r in records}
    empty = [n for n in ("registry_entities", "registry_names") if counts.get(n, 0) == 0]
    if empty:
        detail = ", ".join(
            f"{r.name}: {r.rows_admitted} of {r.rows_read} rows admitted"
            for r in records
            if r.name in empty
        )
        raise InputError(
            f"the registry is empty ({detail}); refusing to screen against no listed entity "
            "(see inputs/rejects.csv for rejected rows)"
        )


def check_reject_limits(
    records: Sequence[AdmittedInput], max_rows: int | None, max_share: float | None
) -> None:
    """The config's admission limits (docs/config.md): for any one input, more rejected rows than
    ``max_rows`` or a larger share of its rows read than ``max_share`` is an InputError."""
    over = []
    for r in records:
        share = r.rows_rejected / r.rows_read if r.rows_read else 0.0
        if max_rows is not None and r.rows_rejected > max_rows:
            over.append(
                f"{r.name}: {r.rows_rejected} rows rejected > admission.max_rejected_rows {max_rows}"
            )
        elif max_share is not None and share > max_share:
            over.append(
                f"{r.name}: {r.rows_rejected} of {r.rows_read} rows rejected ({share:.2%}) > "
                f"admission.max_rejected_share {max_share}"
            )
    if over:
        raise InputError("too many rejected rows: " + "; ".join(over) + " (see inputs/rejects.csv)")
