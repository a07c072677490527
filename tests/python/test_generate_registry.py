"""`omphalos generate --registry DIR`: a trade feed and its truth planted from an existing registry.

A small registry written here covers the rules (shared names, kinds, vessels with and without an
IMO number); the real OFAC SDN list is used when ../shared/data is present (skipped otherwise).
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from pathlib import Path
from random import Random
from typing import Any

import pyarrow.parquet as pq
import pytest

from omphalos.cli import generate as gen_cli
from omphalos.registry import command as registry_cli
from omphalos.tools import generate as gen

REPO = Path(__file__).resolve().parents[2]
SDN_CSV = REPO / ".." / "shared" / "data" / "watchlists" / "ofac_sdn_2026-08-20" / "ofac-sdn.csv"
TRUTH_COLUMNS = ["shipment_id", "role", "party_name", "entity_id", "is_match", "variation"]
PARTY_ROLES = {"shipper", "consignee", "notify_party"}

# (entity_id, kind, names (primary first), programs, IMO number)
ENTITIES: list[tuple[str, str, list[str], str, str | None]] = [
    ("L-1", "organization", ["LIMITED LIABILITY COMPANY VEKTOR PLUS", "OOO VEKTOR PLUS"],
     "RUSSIA-EO14024", None),
    ("L-2", "organization", ["ANGLO-CARIBBEAN CO., LTD.", "AVIA IMPORT"], "CUBA", None),
    ("L-3", "organization", ["SHAHID MEISAMI INDUSTRIAL GROUP"], "IRAN", None),
    ("L-4", "organization", ["NORATEC HOLDINGS LTD"], "RUSSIA-EO14024", None),
    ("L-5", "organization", ["GOLDEN WARRIORS INVESTMENT PVT LTD"], "SDGT", None),
    ("L-6", "organization", ["KOREA KUMSAN TRADING CORPORATION"], "DPRK", None),
    ("L-7", "organization", ["PUBLIC JOINT STOCK COMPANY KAMSKY ZAVOD"], "RUSSIA-EO14024", None),
    ("L-8", "person", ["SOBOLEV, Viktor Ivanovich", "SOBOLEV, Victor"], "RUSSIA-EO14024", None),
    ("L-9", "person", ["HERRERA DUARTE, Jose Yunior"], "VENEZUELA", None),
    ("L-10", "person", ["MOHAMED, Abdul Kader Ibrahim"], "IRAQ2", None),
    ("L-11", "person", ["KIM, Chol Nam"], "DPRK3", None),
    # two entities under one name: neither is planted
    ("L-12", "organization", ["EASTERN STAR SHIPPING LLC"], "IRAN", None),
    ("L-13", "organization", ["EASTERN STAR SHIPPING LIMITED"], "SDGT", None),
    ("L-14", "vessel", ["SUNRISE"], "IRAN", None),
    ("L-15", "vessel", ["OCEAN GLORY 7"], "IRAN", "9305609"),
    ("L-16", "aircraft", ["EP-ABC"], "IRAN", None),
]  # fmt: skip


def write_registry(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "registry_entities.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["entity_id", "source_list", "list_date", "entity_kind", "primary_name",
                    "countries", "programs", "remarks"])  # fmt: skip
        for eid, kind, names, programs, _ in ENTITIES:
            w.writerow([eid, "TEST", "2026-08-20", kind, names[0], "", programs, ""])
    with (folder / "registry_names.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["name_id", "entity_id", "name", "name_type", "script"])
        for eid, _, names, _, _ in ENTITIES:
            for k, name in enumerate(names, start=1):
                w.writerow([f"{eid}-N{k}", eid, name, "primary" if k == 1 else "alias", "latin"])
    with (folder / "registry_identifiers.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["identifier_id", "entity_id", "id_type", "id_value", "id_country"])
        for eid, _, _, _, imo in ENTITIES:
            if imo:
                w.writerow([f"{eid}-I1", eid, "IMO", imo, ""])
    return folder


def read(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def words(text: str) -> set[str]:
    return {t for t in re.split(r"[^A-Z0-9]+", text.upper().replace(".", "")) if t}


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    base = tmp_path_factory.mktemp("planted")
    registry = write_registry(base / "registry")
    out = base / "feed"
    summary = gen.generate(
        out, shipments=20_000, entities=0, seed=5, fmt="parquet", registry=registry
    )
    return out, summary


def test_only_the_feed_and_truth_are_written(planted: tuple[Path, dict[str, Any]]) -> None:
    out, summary = planted
    assert sorted(p.name for p in out.iterdir()) == ["shipments.parquet", "truth.parquet"]
    assert summary["files"] == {"shipments": 20_000, "truth": len(read(out / "truth.parquet"))}
    assert pq.read_schema(out / "truth.parquet").names == TRUTH_COLUMNS
    assert pq.read_schema(out / "shipments.parquet") == gen.SHIPMENTS_SCHEMA
    assert summary["entity_kinds"] == {"organization": 9, "person": 4, "vessel": 2, "aircraft": 1}
    # L-12 and L-13 share a name once legal forms are set aside; the aircraft is never planted
    assert summary["planted_from"] == {
        "entities": 13,
        "shared_name_left_out": 2,
        "no_latin_name_left_out": 0,
    }


def test_truth_points_at_listed_entities_and_feed_rows(
    planted: tuple[Path, dict[str, Any]],
) -> None:
    out, summary = planted
    truth = read(out / "truth.parquet")
    shipments = {r["shipment_id"]: r for r in read(out / "shipments.parquet")}
    kinds = {eid: kind for eid, kind, _, _, _ in ENTITIES}
    names = {eid: names for eid, _, names, _, _ in ENTITIES}
    assert 400 <= summary["true_matches_total"] <= 540
    assert 150 <= summary["lookalikes"] <= 220
    for t in truth:
        assert t["entity_id"] not in ("L-12", "L-13", "L-16"), t
        row = shipments[t["shipment_id"]]
        column = "vessel_name" if t["role"] == "vessel" else f"{t['role']}_name"
        assert row[column] == t["party_name"]
        if t["role"] == "vessel":
            assert kinds[t["entity_id"]] == "vessel"
        else:
            assert t["role"] in PARTY_ROLES and kinds[t["entity_id"]] in ("person", "organization")
        if t["variation"] in ("exact", "vessel_exact", "vessel_name_only", "vessel_other_imo"):
            assert t["party_name"] in names[t["entity_id"]], t
        elif t["variation"] != "vessel_renamed":  # a variant or look-alike keeps listed words
            listed = set().union(*(words(n) for n in names[t["entity_id"]]))
            assert words(t["party_name"]) & listed, t
            assert t["party_name"] not in names[t["entity_id"]] or t["variation"] == "legal_form"
    variations = Counter(t["variation"] for t in truth)
    for variation in ("exact", "typo", "word_order", "legal_form", "punctuation_case"):
        assert variations[variation] > 0, variation


def test_vessels_by_name_and_by_imo(planted: tuple[Path, dict[str, Any]]) -> None:
    out, _ = planted
    truth = [t for t in read(out / "truth.parquet") if t["role"] == "vessel"]
    shipments = {r["shipment_id"]: r for r in read(out / "shipments.parquet")}
    by_entity = Counter((t["entity_id"], t["variation"]) for t in truth)
    assert by_entity[("L-14", "vessel_name_only")] > 0
    # a vessel without a listed IMO number: by name alone, never a look-alike (another number
    # contradicts nothing)
    assert {v for e, v in by_entity if e == "L-14"} == {"vessel_name_only"}
    assert {v for e, v in by_entity if e == "L-15"} >= {"vessel_exact", "vessel_other_imo"}
    for t in truth:
        imo = shipments[t["shipment_id"]]["vessel_imo"]
        if t["variation"] in ("vessel_exact", "vessel_renamed"):
            assert imo == "9305609"
        elif t["variation"] == "vessel_other_imo":
            assert imo not in (None, "9305609")
        else:
            assert imo is None


def test_surname_first_names_are_reordered_and_legal_forms_recognized() -> None:
    person = gen._parse_person("SOBOLEV, Viktor Ivanovich")
    assert person == gen._Name(("SOBOLEV", "VIKTOR", "IVANOVICH"), surname_tokens=1)
    assert person is not None
    listed = ("SOBOLEV, Viktor Ivanovich",)
    ent = gen._Entity("X", "person", "ru", person, ["RU"], [], listed=listed)
    assert gen._word_order(person, ent, Random(1)) == "VIKTOR IVANOVICH SOBOLEV"
    assert gen._missing_token(person, ent, Random(1)) == "SOBOLEV VIKTOR"
    assert gen._parse_org("ANGLO-CARIBBEAN CO., LTD.") == gen._Name(
        ("ANGLO", "CARIBBEAN"), "CO LTD"
    )
    assert gen._parse_org("LIMITED LIABILITY COMPANY VEKTOR") == gen._Name(
        ("VEKTOR",), "LIMITED LIABILITY COMPANY", legal_front=True
    )
    assert gen._parse_org("AKTSIONERNOE OBSHCHESTVO KAMSKY") == gen._Name(
        ("KAMSKY",), "AKTSIONERNOE OBSHCHESTVO", legal_front=True
    )
    assert gen._parse_org("BANCO NACIONAL DE CUBA") == gen._Name(
        ("BANCO", "NACIONAL", "DE", "CUBA")
    )


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "registry")
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        gen.generate(tmp_path / name, shipments=3_000, entities=0, seed=seed, registry=registry)
    for file in ("shipments.csv", "truth.csv"):
        a, b, c = ((tmp_path / n / file).read_bytes() for n in "abc")
        assert a == b, file
        assert a != c, file


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    gen_cli.add_arguments(parser)
    return gen_cli.main_from_args(parser.parse_args(argv))


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = write_registry(tmp_path / "registry")
    out = tmp_path / "out"
    assert _cli(["--out", str(out), "--shipments", "2000", "--registry", str(registry)]) == 0
    printed = capsys.readouterr().out
    assert "from " in printed and "2 left out (a name another entity shares)" in printed
    assert sorted(p.name for p in out.iterdir()) == ["shipments.csv", "truth.csv"]
    both = ["--out", str(out), "--registry", str(registry), "--entities", "10"]
    assert _cli(both) == 2
    assert "exclude each other" in capsys.readouterr().err
    assert _cli(["--out", str(out), "--registry", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert _cli(["--out", str(out), "--registry", str(tmp_path / "empty")]) == 2
    assert "registry_entities.csv: not found" in capsys.readouterr().err


@pytest.fixture(scope="module")
def sdn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SDN_CSV.is_file():
        pytest.skip("../shared/data not found: the SDN test needs the shared data folder")
    out = tmp_path_factory.mktemp("sdn")
    parser = argparse.ArgumentParser(prog="omphalos registry")
    registry_cli.add_arguments(parser)
    argv = ["import", "--source", "ofac-sdn-csv", "--file", str(SDN_CSV),
            "--list-date", "2026-08-20", "--out", str(out)]  # fmt: skip
    assert registry_cli.main_from_args(parser.parse_args(argv)) == 0
    return out


def test_against_the_sdn_list(sdn: Path, tmp_path: Path) -> None:
    summary: dict[str, Any] = gen.generate(
        tmp_path / "feed", shipments=10_000, entities=0, seed=1, fmt="parquet", registry=sdn
    )
    with (sdn / "registry_entities.csv").open(encoding="utf-8", newline="") as fh:
        entities = {r["entity_id"]: r for r in csv.DictReader(fh)}
    with (sdn / "registry_names.csv").open(encoding="utf-8", newline="") as fh:
        names = list(csv.DictReader(fh))
    # names shared by two entities, compared as word sets (order, case and punctuation aside)
    owners: dict[frozenset[str], set[str]] = {}
    for n in names:
        owners.setdefault(frozenset(words(n["name"])), set()).add(n["entity_id"])
    shared = {e for ids in owners.values() if len(ids) > 1 for e in ids}
    planted_from = summary["planted_from"]
    assert summary["entity_kinds"]["vessel"] == 1534
    assert 300 <= planted_from["shared_name_left_out"] <= 450
    assert (
        planted_from["entities"] + planted_from["shared_name_left_out"]
        == sum(1 for e in entities.values() if e["entity_kind"] != "aircraft")
        - planted_from["no_latin_name_left_out"]
    )
    truth = read(tmp_path / "feed" / "truth.parquet")
    assert summary["true_matches_total"] >= 200
    assert summary["lookalikes"] >= 90
    for t in truth:
        assert t["entity_id"] not in shared, t
        kind = entities[t["entity_id"]]["entity_kind"]
        assert kind == "vessel" if t["role"] == "vessel" else kind in ("person", "organization")
    # the CSV has no IMO numbers: listed vessels are named on the vessel line, without a number
    vessels = Counter(t["variation"] for t in truth if t["role"] == "vessel")
    assert set(vessels) == {"vessel_name_only"} and vessels["vessel_name_only"] >= 20
