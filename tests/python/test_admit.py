"""Admission: bad input gets a located error or a located reject, never a silent drop."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from omphalos.admit import SPECS, InputError, admit_all, admit_one

HEADER = ",".join(SPECS["shipments"].column_names)
GOOD = "S1,2026-01-02,Orion LLC,,RU,Acme Inc,,US,,,RU,,US,847130,computers,100.50"


def _entities(tmp: Path) -> dict[str, Path]:
    files = {
        "registry_entities": "entity_id,source_list,list_date,entity_kind,primary_name,countries,programs,remarks\n"
        "E1,DEMO,2026-10-01,organization,ORION LLC,RU,IRAN,\n",
        "registry_names": "name_id,entity_id,name,name_type,script\nN1,E1,ORION LLC,primary,latin\n",
        "registry_identifiers": "identifier_id,entity_id,id_type,id_value,id_country\nI1,E1,TAX_ID,77,RU\n",
    }
    out = {}
    for name, text in files.items():
        p = tmp / f"{name}.csv"
        p.write_text(text, encoding="utf-8")
        out[name] = p
    return out


def _admit_shipments(tmp: Path, body: bytes) -> tuple[object, pa.Table]:
    path = tmp / "shipments.csv"
    path.write_bytes(body)
    con = duckdb.connect()
    try:
        return admit_one(con, SPECS["shipments"], path, "shipments.csv", tmp / "admitted")
    finally:
        con.close()


def _rows(rejects: pa.Table) -> list[tuple[int, str | None, str]]:
    return [(r["row"], r["column"], r["reason"]) for r in rejects.to_pylist()]


def test_good_rows_are_admitted_typed_and_sorted(tmp_path: Path) -> None:
    body = f"{HEADER}\n{GOOD.replace('S1', 'S2')}\n{GOOD}\n".encode()
    record, rejects = _admit_shipments(tmp_path, body)
    assert rejects.num_rows == 0
    table = record.read()  # type: ignore[attr-defined]
    assert table.column("shipment_id").to_pylist() == ["S1", "S2"]
    assert table.schema.field("value_usd").type == pa.decimal128(18, 2)
    assert table.schema.field("ship_date").type == pa.date32()


def test_each_bad_value_is_located_by_row_and_column(tmp_path: Path) -> None:
    bad = "S9,2026-13-01,X,,RUS,Y,,US,,,RU,,US,84713,,-5"
    body = f"{HEADER}\n{GOOD}\n{bad}\n".encode()
    record, rejects = _admit_shipments(tmp_path, body)
    got = _rows(rejects)
    assert (3, "ship_date", "not a date (YYYY-MM-DD)") in got
    assert (3, "shipper_country", "not an ISO 3166-1 alpha-2 code") in got
    assert (3, "hs_code", "not a 6-digit HS code") in got
    assert (3, "value_usd", "not a non-negative decimal with at most 2 decimal places") in got
    assert record.rows_admitted == 1 and record.rows_rejected == 1  # type: ignore[attr-defined]
    assert set(rejects.column("file").to_pylist()) == {"shipments.csv"}


def test_malformed_row_is_rejected_with_its_row_number(tmp_path: Path) -> None:
    body = f"{HEADER}\n{GOOD}\nonly,two\n{GOOD.replace('S1', 'S3')}\n".encode()
    record, rejects = _admit_shipments(tmp_path, body)
    assert _rows(rejects) == [(3, None, "expected 16 fields, found 2")]
    assert record.read().column("shipment_id").to_pylist() == ["S1", "S3"]  # type: ignore[attr-defined]


def test_invalid_utf8_is_rejected_with_hex_value(tmp_path: Path) -> None:
    bad = GOOD.replace("S1", "S2").replace("Orion LLC", "Ori\xffon").encode("latin-1")
    body = f"{HEADER}\n{GOOD}\n".encode() + bad + b"\n"
    _record, rejects = _admit_shipments(tmp_path, body)
    rows = rejects.to_pylist()
    assert [(r["row"], r["column"], r["reason"]) for r in rows] == [
        (3, "shipper_name", "not valid UTF-8")
    ]
    assert rows[0]["value"].startswith("hex:")


def test_duplicate_key_keeps_first_and_rejects_the_rest(tmp_path: Path) -> None:
    body = f"{HEADER}\n{GOOD}\n{GOOD}\n".encode()
    record, rejects = _admit_shipments(tmp_path, body)
    assert _rows(rejects) == [(3, "shipment_id", "duplicate key shipment_id (first at row 2)")]
    assert record.rows_admitted == 1  # type: ignore[attr-defined]


def test_missing_required_value(tmp_path: Path) -> None:
    body = f"{HEADER}\n{GOOD.replace('Orion LLC', '')}\n".encode()
    _record, rejects = _admit_shipments(tmp_path, body)
    assert _rows(rejects) == [(2, "shipper_name", "required value is missing")]


def test_missing_and_extra_columns_stop_admission_naming_them(tmp_path: Path) -> None:
    header = HEADER.replace(",value_usd", ",amount")
    with pytest.raises(
        InputError,
        match=r"shipments.csv: row 1 \(header\): missing column\(s\) value_usd; unexpected column\(s\) amount",
    ):
        _admit_shipments(tmp_path, f"{header}\n".encode())


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    con = duckdb.connect()
    with pytest.raises(InputError, match="file not found"):
        admit_one(con, SPECS["shipments"], tmp_path / "nope.csv", "nope.csv", tmp_path / "out")


def test_directory_instead_of_file_is_an_input_error(tmp_path: Path) -> None:
    con = duckdb.connect()
    with pytest.raises(InputError, match="not a regular file"):
        admit_one(con, SPECS["shipments"], tmp_path, "dir", tmp_path / "out")


def test_names_must_reference_admitted_entities(tmp_path: Path) -> None:
    files = _entities(tmp_path)
    files["registry_names"].write_text(
        "name_id,entity_id,name,name_type,script\nN1,E1,ORION LLC,primary,latin\nN2,E404,GHOST,alias,latin\n",
        encoding="utf-8",
    )
    shipments = tmp_path / "shipments.csv"
    shipments.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    files["shipments"] = shipments
    records, rejects = admit_all(files, {k: v.name for k, v in files.items()}, tmp_path / "out")
    got = [(r["input"], r["row"], r["column"]) for r in rejects.to_pylist()]
    assert got == [("registry_names", 3, "entity_id")]
    assert {r.name: r.rows_admitted for r in records}["registry_names"] == 1


def test_parquet_input_is_checked_the_same_way(tmp_path: Path) -> None:
    table = pa.table(
        {
            "name_id": ["N1", "N1"],
            "entity_id": ["E1", "E1"],
            "name": ["ORION", "ORION 2"],
            "name_type": ["primary", "nickname"],
            "script": ["latin", None],
        }
    )
    path = tmp_path / "names.parquet"
    pq.write_table(table, path)
    con = duckdb.connect()
    record, rejects = admit_one(
        con, SPECS["registry_names"], path, "names.parquet", tmp_path / "out"
    )
    got = sorted(_rows(rejects))
    assert got == [
        (3, "name_id", "duplicate key name_id (first at row 2)"),
        (3, "name_type", "not one of primary, alias, weak_alias"),
    ]
    assert record.rows_admitted == 1


def test_float_money_in_parquet_is_refused(tmp_path: Path) -> None:
    cols = {c: ["x"] for c in SPECS["shipments"].column_names}
    cols["value_usd"] = [1.5]  # type: ignore[list-item]
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table(cols), path)
    con = duckdb.connect()
    with pytest.raises(InputError, match="value_usd: floating-point"):
        admit_one(con, SPECS["shipments"], path, "s.parquet", tmp_path / "out")


def test_row_numbers_hold_across_batches_and_malformed_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed is read in small blocks (many batches): malformed rows in different batches and
    bad values after them are reported at their own spreadsheet rows."""
    import omphalos.admit as admit

    monkeypatch.setattr(admit, "CSV_BLOCK_BYTES", 2048)
    lines = [HEADER]
    malformed_at: list[int] = []
    bad_date_at: list[int] = []
    for i in range(600):
        row = len(lines) + 1  # spreadsheet row of the line about to be added
        if i % 97 == 13:
            lines.append("only,two")
            malformed_at.append(row)
        elif i % 89 == 40:
            lines.append(GOOD.replace("S1", f"S{i:04d}").replace("2026-01-02", "2026-02-30"))
            bad_date_at.append(row)
        else:
            lines.append(GOOD.replace("S1", f"S{i:04d}"))
    record, rejects = _admit_shipments(tmp_path, ("\n".join(lines) + "\n").encode())
    got = _rows(rejects)
    assert [r for r, c, _ in got if c is None] == malformed_at
    assert [r for r, c, _ in got if c == "ship_date"] == bad_date_at
    assert record.rows_admitted == 600 - len(malformed_at) - len(bad_date_at)  # type: ignore[attr-defined]
    assert record.rows_read == 600  # type: ignore[attr-defined]


def test_error_while_streaming_is_reported_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB pulls the batches; an InputError raised by the reader after the first batch (a
    file that breaks half-way) reaches the caller as that InputError, not as a stream error."""
    import omphalos.admit as admit

    real = admit._csv_batches

    def breaks_after_one(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        batches = real(*args, **kwargs)  # type: ignore[arg-type]
        yield next(batches)
        raise InputError("shipments.csv: cannot parse as CSV: broken half-way")

    monkeypatch.setattr(admit, "_csv_batches", breaks_after_one)
    body = f"{HEADER}\n{GOOD}\n".encode()
    with pytest.raises(InputError, match="broken half-way"):
        _admit_shipments(tmp_path, body)


def test_unclosed_quote_at_the_end_is_a_located_reject(tmp_path: Path) -> None:
    good = [GOOD.replace("S1", f"S{i:04d}") for i in range(200)]
    body = "\n".join([HEADER, *good, 'S9999,2026-01-02,"never closed']) + "\n"
    record, rejects = _admit_shipments(tmp_path, body.encode())
    assert [(r, c) for r, c, _ in _rows(rejects)] == [(202, None)]
    assert record.rows_admitted == 200  # type: ignore[attr-defined]
