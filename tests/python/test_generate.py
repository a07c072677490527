"""The demo data generator: determinism, the file contract of docs/inputs.md, and the planted truth."""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from omphalos.cli import generate as gen_cli
from omphalos.tools import generate as gen

FILES = ("shipments", "registry_entities", "registry_names", "registry_identifiers", "truth")

# The columns of docs/inputs.md, in order.
COLUMNS = {
    "shipments": [
        "shipment_id", "ship_date", "shipper_name", "shipper_address", "shipper_country",
        "consignee_name", "consignee_address", "consignee_country", "notify_party_name",
        "notify_party_country", "origin_country", "transit_country", "destination_country",
        "hs_code", "goods_description", "value_usd", "shipper_kind", "consignee_kind",
        "notify_party_kind", "vessel_name", "vessel_imo",
    ],
    "registry_entities": [
        "entity_id", "source_list", "list_date", "entity_kind", "primary_name", "countries",
        "programs", "remarks",
    ],
    "registry_names": ["name_id", "entity_id", "name", "name_type", "script"],
    "registry_identifiers": ["identifier_id", "entity_id", "id_type", "id_value", "id_country"],
    "truth": ["shipment_id", "role", "party_name", "entity_id", "is_match", "variation"],
}  # fmt: skip
VARIATIONS = (
    "exact", "typo", "word_order", "legal_form", "transliteration", "missing_token",
    "punctuation_case",
)  # fmt: skip
# Shipments carried by a listed vessel: its name and IMO number, renamed under its IMO number, or
# its name alone; look-alike: a listed vessel's name with another IMO number.
VESSEL_VARIATIONS = ("vessel_exact", "vessel_renamed", "vessel_name_only")
LOOKALIKES = ("lookalike", "vessel_other_imo")
PROGRAMS = {
    "RUSSIA-EO14024", "IRAN", "SDGT", "NPWMD", "DPRK", "SYRIA", "BELARUS", "CUBA", "VENEZUELA",
    "BURMA",
}  # fmt: skip
CYRILLIC = re.compile("[\u0400-\u04ff]")
COUNTRY = re.compile(r"[A-Z]{2}")
REQUIRED_COUNTRIES = (
    "shipper_country",
    "consignee_country",
    "origin_country",
    "destination_country",
)


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows as dicts of strings; empty fields are None (empty strings are NULL)."""
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    table = pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=True
        ),
    )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def make(out: Path, shipments: int, entities: int, seed: int, fmt: str = "csv") -> dict[str, Any]:
    return gen.generate(out, shipments=shipments, entities=entities, seed=seed, fmt=fmt)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo")
    return out, make(out, 20_000, 2_000, seed=7)


@pytest.fixture(scope="module")
def data(demo: tuple[Path, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out, _ = demo
    return {name: read_csv(out / f"{name}.csv") for name in FILES}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    first = make(tmp_path / "a", 3_000, 400, seed=11, fmt=fmt)
    second = make(tmp_path / "b", 3_000, 400, seed=11, fmt=fmt)
    assert first["files"] == second["files"]
    for name in FILES:
        a = (tmp_path / "a" / f"{name}.{fmt}").read_bytes()
        b = (tmp_path / "b" / f"{name}.{fmt}").read_bytes()
        assert a == b, name
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(f"{n}.{fmt}" for n in FILES)


def test_different_seeds_differ(tmp_path: Path) -> None:
    make(tmp_path / "a", 2_000, 300, seed=1)
    make(tmp_path / "b", 2_000, 300, seed=2)
    for name in FILES:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() != (
            tmp_path / "b" / f"{name}.csv"
        ).read_bytes()


def test_row_counts_and_summary(
    demo: tuple[Path, dict[str, Any]], data: dict[str, list[dict[str, Any]]]
) -> None:
    _, summary = demo
    assert {name: len(rows) for name, rows in data.items()} == summary["files"]
    assert summary["files"]["shipments"] == 20_000
    assert summary["files"]["registry_entities"] == 2_000
    assert sum(summary["entity_kinds"].values()) == 2_000
    truth = data["truth"]
    assert summary["true_matches_total"] == sum(r["is_match"] == "true" for r in truth)
    assert summary["lookalikes"] == sum(r["is_match"] == "false" for r in truth)
    assert summary["true_matches_total"] == sum(summary["true_matches"].values())
    # ~2% spread matches + ~0.2% concentrated on a few entities + 0.3% listed vessels; ~1%
    # look-alikes + 0.1% ships under a listed vessel's name
    assert 460 <= summary["true_matches_total"] <= 540
    assert 200 <= summary["lookalikes"] <= 220


def test_columns_follow_the_input_contract(demo: tuple[Path, dict[str, Any]]) -> None:
    out, _ = demo
    for name, columns in COLUMNS.items():
        with (out / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == columns, name


def test_parquet_types(tmp_path: Path) -> None:
    make(tmp_path, 1_000, 150, seed=3, fmt="parquet")
    schemas = {name: pq.read_schema(tmp_path / f"{name}.parquet") for name in FILES}
    for name, columns in COLUMNS.items():
        assert schemas[name].names == columns, name
    shipments = schemas["shipments"]
    assert shipments.field("value_usd").type == pa.decimal128(18, 2)
    assert shipments.field("ship_date").type == pa.date32()
    assert shipments.field("hs_code").type == pa.string()
    assert schemas["registry_entities"].field("list_date").type == pa.date32()
    assert schemas["truth"].field("is_match").type == pa.bool_()


def test_csv_and_parquet_hold_the_same_data(tmp_path: Path) -> None:
    make(tmp_path / "c", 2_000, 250, seed=5, fmt="csv")
    make(tmp_path / "p", 2_000, 250, seed=5, fmt="parquet")
    for name in FILES:
        from_csv = read_csv(tmp_path / "c" / f"{name}.csv")
        table = pq.read_table(tmp_path / "p" / f"{name}.parquet")
        as_text = pa.table(
            [
                col.cast(pa.string()) if not pa.types.is_boolean(col.type) else col
                for col in table.columns
            ],
            names=table.column_names,
        ).to_pylist()
        for row in as_text:
            for key, value in row.items():
                if isinstance(value, bool):
                    row[key] = "true" if value else "false"
        assert from_csv == as_text, name


def test_unique_keys(data: dict[str, list[dict[str, Any]]]) -> None:
    for name, key in (
        ("shipments", "shipment_id"),
        ("registry_entities", "entity_id"),
        ("registry_names", "name_id"),
        ("registry_identifiers", "identifier_id"),
    ):
        values = [r[key] for r in data[name]]
        assert None not in values
        assert len(set(values)) == len(values), name
    truth_keys = [(r["shipment_id"], r["role"]) for r in data["truth"]]
    assert len(set(truth_keys)) == len(truth_keys)
    primaries = [r["primary_name"] for r in data["registry_entities"]]
    assert len(set(primaries)) == len(primaries)


def test_shipment_values(data: dict[str, list[dict[str, Any]]]) -> None:
    rows = data["shipments"]
    assert rows[0]["shipment_id"] == "SHP-0000001"
    assert rows[-1]["shipment_id"] == "SHP-0020000"
    required = ("ship_date", "shipper_name", "consignee_name", *REQUIRED_COUNTRIES)
    for row in rows:
        assert all(row[c] for c in required)
        assert "2025-11-01" <= row["ship_date"] <= "2026-10-31"
        assert re.fullmatch(r"[0-9]{6}", row["hs_code"])
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", row["value_usd"])
        assert 100 <= float(row["value_usd"]) <= 5_000_000
        for col in REQUIRED_COUNTRIES:
            assert COUNTRY.fullmatch(row[col])
        for col in ("notify_party_country", "transit_country"):
            assert row[col] is None or COUNTRY.fullmatch(row[col])
        assert (row["notify_party_name"] is None) == (row["notify_party_country"] is None)
    n = len(rows)
    notify_null = sum(r["notify_party_name"] is None for r in rows) / n
    transit = sum(r["transit_country"] is not None for r in rows) / n
    assert 0.36 <= notify_null <= 0.44
    assert 0.07 <= transit <= 0.14
    chapters = Counter(r["hs_code"][:2] for r in rows)
    controlled = sum(chapters[c] for c in ("84", "85", "88", "90", "93", "28", "29")) / n
    assert 0.25 <= controlled <= 0.6
    # clean party names repeat across shipments (a pool of ~1,000 companies here)
    consignees = Counter(r["consignee_name"] for r in rows)
    assert len(consignees) < 2_000
    assert consignees.most_common(1)[0][1] >= 20


def test_truth_points_at_real_rows_and_names(data: dict[str, list[dict[str, Any]]]) -> None:
    shipments = {r["shipment_id"]: r for r in data["shipments"]}
    entities = {r["entity_id"]: r for r in data["registry_entities"]}
    for row in data["truth"]:
        shipment = shipments[row["shipment_id"]]
        entity = entities[row["entity_id"]]
        if row["role"] == "vessel":
            assert entity["entity_kind"] == "vessel"
            assert row["variation"] in (*VESSEL_VARIATIONS, "vessel_other_imo")
        else:
            assert entity["entity_kind"] in ("organization", "person")
            assert row["role"] in ("shipper", "consignee", "notify_party")
            assert row["variation"] in (*VARIATIONS, "lookalike")
        assert shipment[f"{row['role']}_name"] == row["party_name"]
        assert row["is_match"] in ("true", "false")
        assert (row["is_match"] == "false") == (row["variation"] in LOOKALIKES)
    ids = [r["shipment_id"] for r in data["truth"]]
    assert ids == sorted(ids)


def test_planted_names_are_derived_from_the_entity(data: dict[str, list[dict[str, Any]]]) -> None:
    names: dict[str, set[str]] = {}
    for row in data["registry_names"]:
        if row["name_type"] != "weak_alias":
            names.setdefault(row["entity_id"], set()).add(row["name"])
    listed = {n for ns in names.values() for n in ns}
    for row in data["truth"]:
        own = names[row["entity_id"]]
        if row["variation"] in ("vessel_exact", "vessel_name_only", "vessel_other_imo"):
            assert row["party_name"] in own  # a listed vessel's name (other_imo: another ship)
        elif row["variation"] == "vessel_renamed":
            assert row["party_name"] not in own
        elif row["variation"] == "exact":
            assert row["party_name"] in own
        elif row["variation"] == "lookalike":
            assert row["party_name"] not in listed
        elif row["variation"] == "punctuation_case":
            assert row["party_name"] not in own
            squash = {re.sub(r"[^A-Z0-9]", "", n.upper()) for n in own}
            assert re.sub(r"[^A-Z0-9]", "", row["party_name"].upper()) in squash
        elif row["variation"] != "transliteration":  # may be the listed Cyrillic spelling
            assert row["party_name"] not in own


def test_every_variation_is_planted(demo: tuple[Path, dict[str, Any]]) -> None:
    _, summary = demo
    counts = summary["true_matches"]
    assert set(counts) == set(VARIATIONS) | set(VESSEL_VARIATIONS)
    for variation in (*VARIATIONS, *VESSEL_VARIATIONS):
        assert counts[variation] >= 10, variation
    assert summary["lookalikes"] >= 100


def test_a_few_entities_trade_often(
    demo: tuple[Path, dict[str, Any]], data: dict[str, list[dict[str, Any]]]
) -> None:
    _, summary = demo
    hot = summary["hot_entities"]
    assert len(hot) == 5
    matches = Counter(r["entity_id"] for r in data["truth"] if r["is_match"] == "true")
    assert matches.most_common(1)[0][0] in hot
    assert max(matches[h] for h in hot) >= 10


def test_registry_mix(data: dict[str, list[dict[str, Any]]]) -> None:
    entities = data["registry_entities"]
    kinds = Counter(r["entity_kind"] for r in entities)
    n = len(entities)
    assert 0.58 <= kinds["organization"] / n <= 0.72
    assert 0.24 <= kinds["person"] / n <= 0.36
    assert 0.02 <= kinds["vessel"] / n <= 0.07
    assert kinds["aircraft"] >= 5
    for i, row in enumerate(entities, start=1):
        assert row["entity_id"] == f"DEMO-{i:06d}"
        assert row["source_list"] == "DEMO"
        assert row["list_date"] == "2026-10-01"
        assert re.fullmatch(r"[A-Z]{2}(;[A-Z]{2})?", row["countries"])
        assert set(row["programs"].split(";")) <= PROGRAMS
    names = data["registry_names"]
    by_type = Counter(r["name_type"] for r in names)
    assert by_type["primary"] == n
    assert 0.08 <= by_type["weak_alias"] / n <= 0.22
    assert by_type["alias"] > n * 0.5
    primary = {r["entity_id"]: r["name"] for r in names if r["name_type"] == "primary"}
    assert primary == {r["entity_id"]: r["primary_name"] for r in entities}


def test_cyrillic_aliases(data: dict[str, list[dict[str, Any]]]) -> None:
    countries = {r["entity_id"]: r["countries"] for r in data["registry_entities"]}
    cyrillic = [r for r in data["registry_names"] if r["script"] == "cyrillic"]
    assert len(cyrillic) >= 50
    for row in cyrillic:
        assert row["name_type"] == "alias"
        assert CYRILLIC.search(row["name"])
        assert not re.search("[A-Z]", row["name"])
        assert countries[row["entity_id"]].split(";")[0] in ("RU", "BY")
    for row in data["registry_names"]:
        if row["script"] == "latin":
            assert not CYRILLIC.search(row["name"])
    # some planted transliterations use the listed Cyrillic spelling itself
    assert any(
        CYRILLIC.search(r["party_name"])
        for r in data["truth"]
        if r["variation"] == "transliteration"
    )


def test_identifiers(data: dict[str, list[dict[str, Any]]]) -> None:
    kinds = {r["entity_id"]: r["entity_kind"] for r in data["registry_entities"]}
    seen: Counter[str] = Counter()
    for row in data["registry_identifiers"]:
        kind = kinds[row["entity_id"]]
        seen[row["id_type"]] += 1
        if row["id_type"] == "IMO":
            assert kind == "vessel"
            digits = [int(d) for d in row["id_value"]]
            assert len(digits) == 7
            assert (
                sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10
                == digits[6]
            )
        elif row["id_type"] == "PASSPORT":
            assert kind == "person"
        elif row["id_type"] in ("REGISTRATION", "TAX_ID"):
            assert kind == "organization"
        if row["id_country"] is not None:
            assert COUNTRY.fullmatch(row["id_country"])
    vessels = sum(1 for k in kinds.values() if k == "vessel")
    assert seen["IMO"] == vessels
    assert seen["PASSPORT"] > 0 and seen["REGISTRATION"] > 0 and seen["TAX_ID"] > 0


def test_small_and_empty_sizes(tmp_path: Path) -> None:
    summary = make(tmp_path / "empty", 0, 0, seed=1)
    assert summary["files"] == dict.fromkeys(
        ("registry_entities", "registry_names", "registry_identifiers", "shipments", "truth"), 0
    )
    for name, columns in COLUMNS.items():
        rows = (tmp_path / "empty" / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        assert rows == [",".join(f'"{c}"' for c in columns)]
    summary = make(tmp_path / "tiny", 50, 3, seed=1)
    assert summary["files"]["shipments"] == 50
    assert summary["files"]["truth"] <= 50


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        gen.generate(tmp_path, shipments=10, entities=10, seed=1, fmt="xlsx")
    with pytest.raises(ValueError):
        gen.generate(tmp_path, shipments=-1, entities=10, seed=1)


def test_progress_goes_through_the_callback(tmp_path: Path) -> None:
    messages: list[str] = []
    gen.generate(tmp_path, shipments=500, entities=50, seed=1, progress=messages.append)
    assert any("shipments" in m for m in messages)
    assert any("registry" in m for m in messages)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    gen_cli.add_arguments(parser)
    out = tmp_path / "cli"
    args = parser.parse_args(
        [
            *("--out", str(out), "--shipments", "800", "--entities", "90", "--seed", "4"),
            *("--format", "parquet", "--json"),
        ]
    )
    assert gen_cli.main_from_args(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"]["shipments"] == 800
    assert summary["format"] == "parquet"
    assert (out / "shipments.parquet").is_file()
    with pytest.raises(SystemExit):
        parser.parse_args(["--out", str(out), "--shipments", "-3"])


def _imo_valid(value: str) -> bool:
    digits = [int(c) for c in value]
    return (
        len(digits) == 7
        and sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10 == digits[6]
    )


def test_vessel_lines_carry_valid_imo_numbers_and_listed_vessels(
    data: dict[str, list[dict[str, Any]]],
) -> None:
    imos = {
        r["entity_id"]: r["id_value"] for r in data["registry_identifiers"] if r["id_type"] == "IMO"
    }
    shipments = {r["shipment_id"]: r for r in data["shipments"]}
    named = [r for r in data["shipments"] if r["vessel_name"]]
    assert 0.25 < len(named) / len(data["shipments"]) < 0.45  # sea freight names its vessel
    assert all(_imo_valid(r["vessel_imo"]) for r in named if r["vessel_imo"])
    assert not any(r["vessel_imo"] for r in data["shipments"] if not r["vessel_name"])
    for row in data["truth"]:
        if row["role"] != "vessel":
            continue
        imo = shipments[row["shipment_id"]]["vessel_imo"]
        if row["variation"] in ("vessel_exact", "vessel_renamed"):
            assert imo == imos[row["entity_id"]]
        elif row["variation"] == "vessel_name_only":
            assert imo is None
        else:  # vessel_other_imo: a valid number that is not the listed vessel's
            assert imo is not None and imo != imos[row["entity_id"]] and _imo_valid(imo)
