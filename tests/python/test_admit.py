"""Admission: bad input gets a located error or a located reject, never a silent drop."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from omphalos.errors import InputError
from omphalos.pipeline.admit import SPECS, admit_all, admit_one

HEADER = ",".join(SPECS["shipments"].column_names)
# (the last five fields: the optional party kinds and the vessel, empty)
GOOD = "S1,2026-01-02,Orion LLC,,RU,Acme Inc,,US,,,RU,,US,847130,computers,100.50,,,,,"


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
    bad = "S9,2026-13-01,X,,RUS,Y,,US,,,RU,,US,84713,,-5,,,,,"
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
    assert _rows(rejects) == [(3, None, "expected 21 fields, found 2")]
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
        match=r"shipments.csv: row 1 \(header\): missing column\(s\) value_usd; undeclared column\(s\) at position 16",
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
    with pytest.raises(
        InputError, match="column value_usd: Parquet floating-point type is not admitted"
    ):
        admit_one(con, SPECS["shipments"], path, "s.parquet", tmp_path / "out")


def test_row_numbers_hold_across_batches_and_malformed_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed is read in small blocks (many batches): malformed rows in different batches and
    bad values after them are reported at their own spreadsheet rows."""
    import omphalos.pipeline.admit as admit

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
    import omphalos.pipeline.admit as admit

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


# --- issue 14: nothing lost, nothing leaked -----------------------------------------------------

from omphalos.pipeline.admit import (  # noqa: E402
    BAD_LINE,
    MAX_NAME_CHARS,
    MAX_NAME_TOKENS,
    check_registry_not_empty,
    check_reject_limits,
)


def _ship(i: int, **changes: str) -> str:
    """A good shipment line with shipment id S<i>, columns replaced by name."""
    values = dict(zip(SPECS["shipments"].column_names, GOOD.split(","), strict=True))
    values["shipment_id"] = f"S{i:04d}"
    values.update(changes)
    return ",".join(values.values())


def test_unbalanced_quote_mid_file_loses_no_line(tmp_path: Path) -> None:
    """An unbalanced quote on one line rejects that line alone: the next line is admitted and
    every data line is counted."""
    lines = [_ship(i) for i in range(200)]
    lines[49] = _ship(49, shipper_name='"Orion LLC')  # row 51: quote never closed
    lines[120] = _ship(120, consignee_name='Acme "Inc" ,x')  # row 122: one field too many
    body = "\n".join([HEADER, *lines]) + "\n"
    record, rejects = _admit_shipments(tmp_path, body.encode())
    assert _rows(rejects) == [(51, None, BAD_LINE), (122, None, "expected 21 fields, found 22")]
    assert record.rows_read == 200  # type: ignore[attr-defined]
    assert record.rows_admitted == 198  # type: ignore[attr-defined]
    admitted = record.read().column("shipment_id").to_pylist()  # type: ignore[attr-defined]
    assert "S0050" in admitted and "S0049" not in admitted  # the line after it is admitted
    assert rejects.to_pylist()[0]["value"].startswith("S0049,2026-01-02,")


def test_row_numbers_do_not_drift_after_blank_lines(tmp_path: Path) -> None:
    body = "\n".join(
        [HEADER, _ship(1), "", "", _ship(2), "\r", _ship(3, ship_date="2026-02-30"), ""]
    )
    record, rejects = _admit_shipments(tmp_path, (body + "\n").encode())
    assert _rows(rejects) == [(7, "ship_date", "not a date (YYYY-MM-DD)")]
    assert record.rows_read == 3  # type: ignore[attr-defined]
    assert record.blank_lines == 4  # type: ignore[attr-defined]
    assert record.summary()["blank_lines"] == 4  # type: ignore[attr-defined]


def test_crlf_is_read_and_cr_only_line_ends_are_a_located_input_error(tmp_path: Path) -> None:
    crlf = "\r\n".join([HEADER, _ship(1), _ship(2)]) + "\r\n"
    record, rejects = _admit_shipments(tmp_path, crlf.encode())
    assert rejects.num_rows == 0 and record.rows_admitted == 2  # type: ignore[attr-defined]
    assert record.read().column("value_usd").to_pylist()[0] is not None  # type: ignore[attr-defined]
    cr_only = "\r".join([HEADER, _ship(1), _ship(2)]) + "\r"
    with pytest.raises(InputError, match=r"shipments.csv: row 1 \(header\): .*CR"):
        _admit_shipments(tmp_path, cr_only.encode())


def test_cr_inside_a_data_line_is_a_reject_on_its_row(tmp_path: Path) -> None:
    body = "\n".join([HEADER, _ship(1), _ship(2, shipper_name="Orion\rLLC"), _ship(3)]) + "\n"
    record, rejects = _admit_shipments(tmp_path, body.encode())
    assert _rows(rejects) == [(3, None, BAD_LINE)]
    assert record.rows_admitted == 2  # type: ignore[attr-defined]


def test_overlong_line_is_rejected_without_being_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import omphalos.pipeline.admit as admit

    monkeypatch.setattr(admit, "MAX_LINE_BYTES", 5000)
    monkeypatch.setattr(admit, "CSV_BLOCK_BYTES", 1024)
    body = "\n".join([HEADER, _ship(1), _ship(2, goods_description="x" * 20_000), _ship(3)])
    record, rejects = _admit_shipments(tmp_path, (body + "\n").encode())
    assert _rows(rejects) == [(3, None, "line longer than 5000 bytes")]
    assert record.read().column("shipment_id").to_pylist() == ["S0001", "S0003"]  # type: ignore[attr-defined]


def test_names_are_bounded_in_length_and_words(tmp_path: Path) -> None:
    words_2000 = " ".join(f"word{i}" for i in range(2000))  # about 16 KB
    many_words = " ".join(["ab"] * (MAX_NAME_TOKENS + 1))  # short, but too many words
    body = "\n".join(
        [
            HEADER,
            _ship(1),
            _ship(2, shipper_name=words_2000),
            _ship(3, consignee_name="x" * 1_000_000),
            _ship(4, notify_party_name=many_words),
            _ship(5, shipper_name="a" * MAX_NAME_CHARS),
        ]
    )
    record, rejects = _admit_shipments(tmp_path, (body + "\n").encode())
    long = f"name longer than {MAX_NAME_CHARS} characters"
    assert _rows(rejects) == [
        (3, "shipper_name", long),
        (4, "consignee_name", long),
        (5, "notify_party_name", f"name of more than {MAX_NAME_TOKENS} words"),
    ]
    assert all(len(v) <= 200 for v in rejects.column("value").to_pylist())
    assert record.read().column("shipment_id").to_pylist() == ["S0001", "S0005"]  # type: ignore[attr-defined]


def test_word_limit_at_its_shortest_names(tmp_path: Path) -> None:
    """The shortest names over the word limit (one-letter words, one separator each, non-Latin
    letters too) are rejected; one word fewer is admitted (the check skips names too short to
    hold that many words)."""
    body = "\n".join(
        [
            HEADER,
            _ship(1, shipper_name=" ".join(["a"] * MAX_NAME_TOKENS)),
            _ship(2, shipper_name=" ".join(["a"] * (MAX_NAME_TOKENS + 1))),
            _ship(3, consignee_name="-".join(["\u0416"] * (MAX_NAME_TOKENS + 1))),
        ]
    )
    record, rejects = _admit_shipments(tmp_path, (body + "\n").encode())
    words = f"name of more than {MAX_NAME_TOKENS} words"
    assert _rows(rejects) == [(3, "shipper_name", words), (4, "consignee_name", words)]
    assert record.read().column("shipment_id").to_pylist() == ["S0001"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["   ", "---", "\u00a0", '"..."', "&;/"])
def test_blank_or_punctuation_only_names_are_rejected(tmp_path: Path, name: str) -> None:
    quoted = '"' + name.replace('"', '""') + '"'
    body = "\n".join([HEADER, _ship(1, shipper_name=quoted), _ship(2, notify_party_name=quoted)])
    _record, rejects = _admit_shipments(tmp_path, (body + "\n").encode())
    assert [(r, c) for r, c, _ in _rows(rejects)] == [(2, "shipper_name"), (3, "notify_party_name")]
    assert all("letter or a digit" in reason for *_, reason in _rows(rejects))


def test_blank_required_text_is_rejected(tmp_path: Path) -> None:
    body = "\n".join([HEADER, _ship(1, shipment_id="  ")])
    _record, rejects = _admit_shipments(tmp_path, (body + "\n").encode())
    assert _rows(rejects) == [(2, "shipment_id", "required value is blank (white space only)")]


def test_country_codes_must_be_assigned_iso_codes(tmp_path: Path) -> None:
    body = "\n".join(
        [
            HEADER,
            _ship(1, shipper_country="XX"),
            _ship(2, consignee_country="UK"),
            _ship(3, transit_country="EU"),
            _ship(4, shipper_country="gb", transit_country="XK"),
        ]
    )
    record, rejects = _admit_shipments(tmp_path, (body + "\n").encode())
    assert [(r, c) for r, c, _ in _rows(rejects)] == [
        (2, "shipper_country"),
        (3, "consignee_country"),
        (4, "transit_country"),
    ]
    table = record.read()  # type: ignore[attr-defined]
    assert table.column("shipper_country").to_pylist() == ["GB"]


def test_registry_country_codes_are_checked_too(tmp_path: Path) -> None:
    files = _entities(tmp_path)
    files["registry_entities"].write_text(
        "entity_id,source_list,list_date,entity_kind,primary_name,countries,programs,remarks\n"
        "E1,DEMO,2026-10-01,organization,ORION LLC,RU;IR,IRAN,\n"
        "E2,DEMO,2026-10-01,organization,ACME,RU;XX,IRAN,\n"
        "E3,DEMO,2026-10-01,organization,BETA,EU,IRAN,\n"
        "E4,DEMO,2026-10-01,organization,GAMMA,RU;,IRAN,\n",
        encoding="utf-8",
    )
    files["registry_identifiers"].write_text(
        "identifier_id,entity_id,id_type,id_value,id_country\nI1,E1,TAX_ID,77,RU\nI2,E1,TAX_ID,78,UK\n",
        encoding="utf-8",
    )
    shipments = tmp_path / "shipments.csv"
    shipments.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    files["shipments"] = shipments
    _records, rejects = admit_all(files, {k: v.name for k, v in files.items()}, tmp_path / "out")
    got = [(r["input"], r["row"], r["column"]) for r in rejects.to_pylist()]
    assert got == [
        ("registry_entities", 3, "countries"),
        ("registry_entities", 4, "countries"),
        ("registry_entities", 5, "countries"),
        ("registry_identifiers", 3, "id_country"),
    ]


def test_country_table_is_the_registry_table() -> None:
    from omphalos.pipeline.admit import COUNTRY_CODES
    from omphalos.registry.countries import ISO2_CODES

    assert set(COUNTRY_CODES) == ISO2_CODES
    assert len(ISO2_CODES) == 250  # the 249 ISO 3166-1 codes and XK
    assert not {"XX", "UK", "EU", "ZZ"} & ISO2_CODES


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        ("0000-01-01", "date out of range (1900-01-01 to 2099-12-31)"),
        ("0001-01-01", "date out of range (1900-01-01 to 2099-12-31)"),
        ("1899-12-31", "date out of range (1900-01-01 to 2099-12-31)"),
        ("2100-01-01", "date out of range (1900-01-01 to 2099-12-31)"),
        ("9999-12-31", "date out of range (1900-01-01 to 2099-12-31)"),
        ("2026-1-2", "not a date (YYYY-MM-DD)"),
        ("2025-02-29", "not a date (YYYY-MM-DD)"),
        ("2026-01-02T00:00", "not a date (YYYY-MM-DD)"),
    ],
)
def test_impossible_dates_are_rejected(tmp_path: Path, date: str, reason: str) -> None:
    body = "\n".join([HEADER, _ship(1, ship_date="2024-02-29"), _ship(2, ship_date=date)])
    record, rejects = _admit_shipments(tmp_path, (body + "\n").encode())
    assert _rows(rejects) == [(3, "ship_date", reason)]
    assert record.rows_admitted == 1  # type: ignore[attr-defined]


def test_optional_columns_may_be_absent_from_the_header(tmp_path: Path) -> None:
    spec = SPECS["shipments"]
    optional = [c.name for c in spec.columns if not c.required]
    present = [c for c in spec.column_names if c not in optional]
    values = dict(zip(spec.column_names, GOOD.split(","), strict=True))
    body = ",".join(present) + "\n" + ",".join(values[c] for c in present) + "\n"
    record, rejects = _admit_shipments(tmp_path, body.encode())
    assert rejects.num_rows == 0
    table = record.read()  # type: ignore[attr-defined]
    assert table.schema == spec.arrow_schema  # every declared column, the absent ones null
    assert all(table.column(c).null_count == 1 for c in optional)
    assert record.summary()["absent_columns"] == optional  # type: ignore[attr-defined]
    # the same in Parquet
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({c: [values[c]] for c in present}), path)
    rec, rej = admit_one(duckdb.connect(), spec, path, "s.parquet", tmp_path / "pq")
    assert rej.num_rows == 0 and rec.read().column("shipper_name").to_pylist() == ["Orion LLC"]
    # a required column stays required
    with pytest.raises(InputError, match=r"missing column\(s\) shipper_name"):
        _admit_shipments(tmp_path, body.replace("shipper_name", "shipper_nme").encode())


def test_undeclared_header_names_are_located_never_quoted(tmp_path: Path) -> None:
    first_line = "OMPHALOS_PG_PASSWORD=hunter2-very-secret"
    path = tmp_path / "shipments.csv"
    path.write_text(f"{first_line}\nPATH=/usr/bin\n", encoding="utf-8")
    con = duckdb.connect()
    with pytest.raises(InputError) as err:
        admit_one(con, SPECS["shipments"], path, "shipments.csv", tmp_path / "out")
    assert "hunter2" not in str(err.value) and "OMPHALOS_PG_PASSWORD" not in str(err.value)
    assert "undeclared column(s) at position 1" in str(err.value)
    # a typo is still helped
    (tmp_path / "t.csv").write_text(HEADER.replace("value_usd", "value_uds") + "\n")
    with pytest.raises(InputError, match=r"position 16 \(did you mean value_usd\?\)"):
        admit_one(con, SPECS["shipments"], tmp_path / "t.csv", "t.csv", tmp_path / "out")


def test_non_regular_files_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    con = duckdb.connect()
    cases = {fifo: "a fifo", Path("/dev/null"): "a device"}
    if Path("/proc/self/environ").exists():
        cases[Path("/proc/self/environ")] = "pseudo-file"
    for path, what in cases.items():
        with pytest.raises(InputError, match=f"not a regular file.*{what}"):
            admit_one(con, SPECS["shipments"], path, "x.csv", tmp_path / "out")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty file \(0 bytes\)"):
        admit_one(con, SPECS["shipments"], empty, "empty.csv", tmp_path / "out")


def test_secret_file_as_input_leaks_nothing_into_the_failed_run(
    small_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from omphalos.cli.app import main

    folder = tmp_path / "in"
    shutil.copytree(small_inputs, folder)
    (folder / "shipments.csv").write_text(
        "OMPHALOS_PG_PASSWORD=hunter2-very-secret\nHOME=/root\n", encoding="utf-8"
    )
    code = main(["run", "--config", str(folder / "test.yaml"), "--runs-root", str(tmp_path / "r")])
    assert code == 2
    err = capsys.readouterr().err
    (failed,) = (tmp_path / "r").glob("*.FAILED")
    text = (failed / "FAILED.json").read_text(encoding="utf-8")
    for where in (err, text):
        assert "hunter2" not in where and "PG_PASSWORD" not in where
    assert "shipments.csv: row 1 (header)" in text
    # /proc/self/environ as an input: exit 2, never read
    if Path("/proc/self/environ").exists():
        cfg = (folder / "test.yaml").read_text(encoding="utf-8")
        cfg = cfg.replace("shipments: shipments.csv", "shipments: /proc/self/environ")
        (folder / "test.yaml").write_text(cfg, encoding="utf-8")
        code = main(
            ["run", "--config", str(folder / "test.yaml"), "--runs-root", str(tmp_path / "r2")]
        )
        assert code == 2
        assert "pseudo-file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("array", "kind"),
    [
        (pa.array([0], pa.timestamp("us")), "timestamp"),
        (pa.array([True]), "boolean"),
        (pa.array([{"a": 1}]), "struct"),
        (pa.array([["x"]]), "list"),
        (pa.array([0], pa.time32("s")), "time"),
        (pa.array([1.5]), "floating-point"),
    ],
)
def test_parquet_column_types_are_checked_before_reading(
    tmp_path: Path, array: pa.Array, kind: str
) -> None:
    cols: dict[str, pa.Array] = {c: pa.array(["x"]) for c in SPECS["shipments"].column_names}
    cols["ship_date"] = array
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table(cols), path)
    with pytest.raises(InputError, match=f"column ship_date: Parquet {kind} type is not admitted"):
        admit_one(duckdb.connect(), SPECS["shipments"], path, "s.parquet", tmp_path / "out")


def test_not_a_parquet_file_is_an_input_error_without_content(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    path.write_text("OMPHALOS_PG_PASSWORD=hunter2\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read as Parquet") as err:
        admit_one(duckdb.connect(), SPECS["shipments"], path, "s.parquet", tmp_path / "out")
    assert "hunter2" not in str(err.value)


def test_empty_registry_is_refused(tmp_path: Path) -> None:
    files = _entities(tmp_path)
    files["registry_names"].write_text(
        "name_id,entity_id,name,name_type,script\n", encoding="utf-8"
    )
    shipments = tmp_path / "shipments.csv"
    shipments.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    files["shipments"] = shipments
    records, _ = admit_all(files, {k: v.name for k, v in files.items()}, tmp_path / "out")
    with pytest.raises(InputError, match=r"registry is empty \(registry_names: 0 of 0 rows"):
        check_registry_not_empty(records)


def test_reject_limits(tmp_path: Path) -> None:
    body = "\n".join([HEADER, *(_ship(i) for i in range(9)), _ship(9, hs_code="x")])
    record, _ = _admit_shipments(tmp_path, (body + "\n").encode())
    check_reject_limits([record], None, None)  # type: ignore[list-item]
    check_reject_limits([record], 1, 0.1)  # type: ignore[list-item]
    with pytest.raises(
        InputError, match=r"shipments: 1 rows rejected > admission.max_rejected_rows 0"
    ):
        check_reject_limits([record], 0, None)  # type: ignore[list-item]
    with pytest.raises(
        InputError, match=r"1 of 10 rows rejected \(10.00%\) > admission.max_rejected_share 0.05"
    ):
        check_reject_limits([record], None, 0.05)  # type: ignore[list-item]


# --- end to end: a small run with hostile names, reject limits, an empty registry ---------------


@pytest.fixture(scope="module")
def tiny_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 shipments x 40 entities, with a 2,000-word (16 KB) and a 1M-character party name
    and a registry alias of 2,000 words planted."""
    from conftest import write_config

    from omphalos.tools.generate import generate

    folder = tmp_path_factory.mktemp("tiny")
    generate(folder, shipments=200, entities=40, seed=5)
    write_config(folder)
    words = " ".join(f"orion{i}" for i in range(2000))
    with (folder / "shipments.csv").open("a", encoding="utf-8") as fh:
        fh.write(_ship(9001, shipper_name=words) + "\n")
        fh.write(_ship(9002, consignee_name="Z" * 1_000_000) + "\n")
    with (folder / "registry_names.csv").open(encoding="utf-8") as fh:
        first_entity = fh.read().splitlines()[1].split(",")[1]
    with (folder / "registry_names.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"N-HOSTILE,{first_entity},{words},alias,latin\n")
    return folder


def test_hostile_names_are_rejected_and_the_run_seals_saying_so(
    tiny_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from omphalos.cli.app import main

    code = main(["run", "--config", str(tiny_inputs / "test.yaml"), "--runs-root", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (run,) = (p for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert "warning: 3 input row(s) rejected (registry_names: 1, shipments: 2)" in captured.err
    summary = json.loads((run / "reports" / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows_rejected"] == {
        "total": 3,
        "by_input": {"registry_names": 1, "shipments": 2},
    }
    assert summary["rejects_file"] == "inputs/rejects.csv"
    rejects = (run / "inputs" / "rejects.csv").read_text(encoding="utf-8")
    assert rejects.count(f"name longer than {MAX_NAME_CHARS} characters") == 3
    admission = json.loads((run / "reports" / "admission.json").read_text(encoding="utf-8"))
    ships = next(i for i in admission["inputs"] if i["name"] == "shipments")
    assert ships["rows_read"] == 202 and ships["rows_rejected"] == 2
    assert main(["verify", "--run-dir", str(run)]) == 0


def test_reject_limit_fails_the_run_with_exit_2(
    tiny_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from omphalos.cli.app import main

    config = tmp_path / "limited.yaml"
    text = (tiny_inputs / "test.yaml").read_text(encoding="utf-8")
    for name in SPECS:
        text = text.replace(f"{name}: {name}.csv", f"{name}: {tiny_inputs / name}.csv")
    config.write_text(text + "admission:\n  max_rejected_share: 0.005\n", encoding="utf-8")
    code = main(["run", "--config", str(config), "--runs-root", str(tmp_path / "runs")])
    assert code == 2
    err = capsys.readouterr().err
    assert "shipments: 2 of 202 rows rejected (0.99%) > admission.max_rejected_share 0.005" in err
    (failed,) = (tmp_path / "runs").glob("*.FAILED")
    assert (failed / "inputs" / "rejects.csv").exists()  # the reasons stay with the failed run
    assert "max_rejected_share" in (failed / "FAILED.json").read_text(encoding="utf-8")


def test_empty_registry_refuses_the_run_with_exit_2(
    small_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from omphalos.cli.app import main

    folder = tmp_path / "in"
    shutil.copytree(small_inputs, folder)
    for name in ("registry_entities", "registry_names", "registry_identifiers"):
        path = folder / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    code = main(["run", "--config", str(folder / "test.yaml"), "--runs-root", str(tmp_path / "r")])
    assert code == 2
    assert "the registry is empty" in capsys.readouterr().err
    assert list((tmp_path / "r").glob("*.FAILED"))
