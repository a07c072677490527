"""Official list formats -> registry inputs (docs/registries.md).

Unit tests use small fixtures written here (fictitious entries, not copied from any list). The
tests marked by the ``shared`` fixture read the real files under ``../shared/data`` (relative to
the repository root) and skip when that folder is absent.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from omphalos.pipeline.admit import SPECS, admit_all
from omphalos.registry.combine import combine_registries
from omphalos.registry.command import add_arguments, main_from_args
from omphalos.registry.countries import to_iso2
from omphalos.registry.csl import CSL_COLUMNS, parse_csl
from omphalos.registry.diff import diff_registries, render_diff
from omphalos.registry.dpl import DPL_COLUMNS, parse_dpl, split_dpl_name
from omphalos.registry.model import (
    ADDRESSES_FILE,
    ENTITIES_FILE,
    ENTITY_COLUMNS,
    IDENTIFIER_COLUMNS,
    IDENTIFIERS_FILE,
    NAME_COLUMNS,
    NAMES_FILE,
    SOURCE_FILE,
    RegistryError,
    registry_source_for,
)
from omphalos.registry.ofac import (
    parse_ofac_packaged,
    parse_ofac_raw,
    parse_remarks,
    split_programs,
)
from omphalos.registry.text import clean, decode_bytes, detect_script, looks_like_organization
from omphalos.registry.un import parse_un_xml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
WATCH = SHARED / "watchlists"


# ---------------------------------------------------------------------------------------------
# helpers


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="omphalos registry")
    add_arguments(parser)
    return main_from_args(parser.parse_args(list(argv)))


def rows(folder: Path, file_name: str) -> list[dict[str, str]]:
    with (folder / file_name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def entity(folder: Path, entity_id: str) -> dict[str, str]:
    found = [r for r in rows(folder, ENTITIES_FILE) if r["entity_id"] == entity_id]
    assert len(found) == 1, entity_id
    return found[0]


def names_of(folder: Path, entity_id: str) -> list[tuple[str, str]]:
    return [
        (r["name"], r["name_type"]) for r in rows(folder, NAMES_FILE) if r["entity_id"] == entity_id
    ]


def ids_of(folder: Path, entity_id: str) -> list[tuple[str, str, str]]:
    return [
        (r["id_type"], r["id_value"], r["id_country"])
        for r in rows(folder, IDENTIFIERS_FILE)
        if r["entity_id"] == entity_id
    ]


def admit_registry(folder: Path, tmp: Path) -> tuple[list[object], list[dict[str, object]]]:
    """Admit a registry folder as a run would (admit_all needs a feed: one valid shipment)."""
    ship = tmp / "shipments.csv"
    ship.write_text(
        ",".join(SPECS["shipments"].column_names)
        + "\nS1,2026-01-02,Acme,,US,Orion,,AE,,,US,,AE,847130,computers,10.00,,,,,\n",
        encoding="utf-8",
    )
    inputs = {
        "registry_entities": folder / ENTITIES_FILE,
        "registry_names": folder / NAMES_FILE,
        "registry_identifiers": folder / IDENTIFIERS_FILE,
        "shipments": ship,
    }
    records, rejects = admit_all(inputs, {k: v.name for k, v in inputs.items()}, tmp / "admitted")
    return list(records), rejects.to_pylist()


def source_doc(folder: Path) -> dict[str, object]:
    doc = json.loads((folder / SOURCE_FILE).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


# ---------------------------------------------------------------------------------------------
# text, countries, remarks


def test_output_columns_are_the_admitted_inputs() -> None:
    assert list(ENTITY_COLUMNS) == SPECS["registry_entities"].column_names
    assert list(NAME_COLUMNS) == SPECS["registry_names"].column_names
    assert list(IDENTIFIER_COLUMNS) == SPECS["registry_identifiers"].column_names


def test_clean_turns_ofac_nulls_and_controls_into_values_or_none() -> None:
    assert clean("-0- ") is None
    assert clean(" -0-") is None
    assert clean("") is None
    assert clean("  A\x00B \t C\r\n") == "A B C"
    assert clean("-0-", ofac_null=False) == "-0-"


def test_decode_reports_ascii_utf8_cp1252_and_mixed() -> None:
    assert decode_bytes(b"abc\r\n\x1a").encoding == "ascii"
    assert decode_bytes(b"abc\r\n\x1a").eof_byte is True
    assert decode_bytes(b"abc\r\n\x1a").text == "abc\r\n"
    d = decode_bytes(b"\xef\xbb\xbfJos\xc3\xa9\n")
    assert (d.text, d.encoding, d.bom) == ("José\n", "utf-8", True)
    d = decode_bytes(b"M\xc9RIDA \x93X\x94\n")
    assert (d.text, d.encoding, d.fallback_lines) == ("MÉRIDA \u201cX\u201d\n", "cp1252", 1)
    d = decode_bytes("José\n".encode() + b"Jos\xe9\n")
    assert d.text == "José\nJosé\n"
    assert d.encoding == "mixed-utf-8-cp1252"
    # 0x81 is undefined in cp1252: that line falls back to latin-1, never an exception.
    assert decode_bytes(b"A\x81B\n").encoding == "cp1252+latin-1"


@pytest.mark.parametrize(
    ("name", "script"),
    [
        ("AEROCARIBBEAN AIRLINES", "latin"),
        ("Société Générale", "latin"),
        ("Иван Петрович Сидоров", "cyrillic"),
        ("صدام حسين التكريتي", "arabic"),
        ("朝鲜联合机械贸易会社", "cjk"),
        ("조선광선은행", "cjk"),
        ("Αθήνα", "greek"),
        ("Jin Tiesan (金铁三)", "mixed"),
        ("9H-123 / 456", "latin"),
        ("123-456", None),
    ],
)
def test_script_is_detected_from_character_ranges(name: str, script: str | None) -> None:
    assert detect_script(name) == script


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Cuba", "CU"),
        ("Korea, North", "KP"),
        ("Democratic People's Republic of Korea", "KP"),
        ("Iran (Islamic Republic of)", "IR"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Congo", "CG"),
        ("Burma", "MM"),
        ("Man, Isle of", "IM"),
        ("Region: Crimea", "UA"),
        ("Region: Gaza", "PS"),
        ("Türkiye", "TR"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("Virgin Islands, British", "VG"),
        ("Kosovo", "XK"),
        ("undetermined", None),
        ("Region: Kafia Kingi", None),
        ("Atlantis", None),
    ],
)
def test_country_names_map_to_iso2(name: str, code: str | None) -> None:
    assert to_iso2(name) == code


def test_country_codes_are_accepted_only_when_assigned() -> None:
    assert to_iso2("ru", accept_codes=True) == "RU"
    assert to_iso2("PRC", accept_codes=True) == "CN"
    assert to_iso2("NM", accept_codes=True) is None  # not an ISO 3166-1 code
    assert to_iso2("RU") is None  # names only, unless codes are accepted


def test_programs_split_on_ofac_brackets() -> None:
    assert split_programs("IRAN] [SDGT") == ["IRAN", "SDGT"]
    assert split_programs("IRAN]  [SDGT] [IFSR") == ["IRAN", "SDGT", "IFSR"]
    assert split_programs("[CUBA]") == ["CUBA"]
    assert split_programs("-0- ") == []


def test_remarks_yield_weak_aliases_identifiers_and_nationality() -> None:
    r = parse_remarks(
        "DOB 09 Feb 1951; POB Gaza; nationality Egypt; alt. citizen Jordan; "
        "Passport 92/664 (Egypt) issued 01 Jan 2000; alt. Passport 123; "
        "Vessel Registration Identification IMO 7406784; MMSI 572469210; "
        "Tax ID No. 100036386 (Serbia); Registration Number 26740 (Iran); "
        "National ID No. 660000 73767 (Belgium); SWIFT/BIC HNRBBY2X; "
        "Digital Currency Address - XBT 1A2b3C; Website www.example.com; "
        "a.k.a. 'ABU-'UMAR'; f.k.a. 'SAND SWAN'; n.k.a. 'NEW; NAME'."
    )
    assert r.weak_aliases == ["ABU-'UMAR", "SAND SWAN", "NEW; NAME"]
    assert r.country_names == ["Egypt", "Jordan"]
    assert r.identifiers == [
        ("PASSPORT", "92/664", "EG"),
        ("PASSPORT", "123", None),
        ("IMO", "7406784", None),
        ("MMSI", "572469210", None),
        ("TAX_ID", "100036386", "RS"),
        ("REGISTRATION", "26740", "IR"),
        ("NATIONAL_ID", "660000 73767", "BE"),
        ("SWIFT_BIC", "HNRBBY2X", None),
        ("CRYPTO_ADDRESS", "XBT 1A2b3C", None),
    ]
    assert r.truncated is False


def test_remarks_cut_at_1000_characters_lose_their_partial_last_item() -> None:
    body = "; ".join(f"a.k.a. 'NAME {i:03d}'" for i in range(60))
    raw = (body + "; a.k.a. 'WHOIS HACKIN")[:1000]
    assert len(raw) == 1000
    r = parse_remarks(raw)
    assert r.truncated is True
    assert all(not a.startswith("WHOIS") for a in r.weak_aliases)
    assert r.weak_aliases[-1].startswith("NAME")
    cut_id = parse_remarks(("Passport 1; " * 90 + "Tax ID No. 12345")[:1000])
    assert ("TAX_ID", "12345", None) not in cut_id.identifiers


def test_organization_words() -> None:
    assert looks_like_organization("GULF GATE SHIPPING CO. L.L.C.")
    assert looks_like_organization("Petro Trade S.A.")
    assert not looks_like_organization("FUYI SUN")


def test_dpl_names_split_aliases() -> None:
    assert split_dpl_name("FUYI SUN A/K/A FRANK SUN") == ("FUYI SUN", ["FRANK SUN"])
    assert split_dpl_name("PEARL (A.K.A. NEI-CHIEN CHU) LI") == ("PEARL LI", ["NEI-CHIEN CHU"])


# ---------------------------------------------------------------------------------------------
# raw OFAC fixture (fictitious entries in the raw format, with its quirks)

SDN_FIXTURE = (
    b'10,"ORION SHIPPING LLC",-0- ,"IRAN] [SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    b"\"Registration Number 12345 (Iran); a.k.a. 'ORION'; a.k.a. 'ABU-'UMAR CO'.\"\r\n"
    b'11,"M\xc9RIDA, Jos\xe9","individual","SDNTK",-0-,-0-,-0-,-0-,-0-,-0-,-0-,'
    b'"DOB 01 Jan 1960; nationality Mexico; Passport G123 (Mexico) issued 2001; '
    b'alt. Passport H456; C.U.R.P. ABCD601231 (Mexico)."\r\n'
    b'12,"SEA STAR","vessel","IRAN",-0- ,"9BXY","Crude Oil Tanker","100,000","50,000","Panama",'
    b'"OWNER CO","Vessel Registration Identification IMO 9123456; MMSI 123456789; '
    b"f.k.a. 'OLD STAR'.\"\r\n"
    b'13,"EP-ABC","aircraft","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    b'"Aircraft Manufacturer\'s Serial Number (MSN) 1234; Aircraft Model A300."\r\n'
    b"\x1a"
)
ALT_FIXTURE = (
    b'10,101,"aka","ORION SHIPPING",-0- \r\n'
    b'10,102,"fka","ORION MARITIME",-0- \r\n'
    b'11,103,"aka","MERIDA, Jose","weak"\r\n'
    b'12,104,"nka","NEW STAR",-0- \r\n'
    b'10,105,"aka","orion shipping llc",-0- \r\n'
    b'99,106,"aka","ORPHAN",-0- \r\n'
    b"\x1a"
)
ADD_FIXTURE = (
    b'10,201,"1 Harbour Road","Bandar Abbas","Iran",-0- \r\n'
    b'11,202,-0- ,"Mexico City","Mexico",-0- \r\n'
    b'13,203,-0- ,-0- ,"undetermined",-0- \r\n'
    b'98,204,-0- ,-0- ,"Cuba",-0- \r\n'
    b"\x1a"
)


@pytest.fixture
def raw_ofac(tmp_path: Path) -> tuple[Path, Path, Path]:
    sdn, alt, add = tmp_path / "SDN.CSV", tmp_path / "ALT.CSV", tmp_path / "ADD.CSV"
    sdn.write_bytes(SDN_FIXTURE)
    alt.write_bytes(ALT_FIXTURE)
    add.write_bytes(ADD_FIXTURE)
    return sdn, alt, add


def test_raw_ofac_fixture_parses_every_quirk(raw_ofac: tuple[Path, Path, Path]) -> None:
    sdn, alt, add = raw_ofac
    entities, record = parse_ofac_raw(sdn, "2030-01-31", alt=alt, add=add)
    by_id = {e.entity_id: e for e in entities}
    assert sorted(by_id) == ["OFAC-10", "OFAC-11", "OFAC-12", "OFAC-13"]

    orion = by_id["OFAC-10"]
    assert orion.entity_kind == "organization"  # SDN_Type -0- is an organization
    assert orion.programs == ["IRAN", "SDGT"]
    assert orion.countries == ["IR"]
    assert [(n.name, n.name_type) for n in orion.names] == [
        ("ORION SHIPPING LLC", "primary"),
        ("ORION", "weak_alias"),
        ("ABU-'UMAR CO", "weak_alias"),
        ("ORION SHIPPING", "alias"),
        ("ORION MARITIME", "alias"),  # fka: a strong alias
    ]
    assert orion.duplicate_names == 1  # "orion shipping llc" repeats the primary name
    assert [(i.id_type, i.id_value, i.id_country) for i in orion.identifiers] == [
        ("REGISTRATION", "12345", "IR")
    ]

    merida = by_id["OFAC-11"]
    assert merida.primary_name == "MÉRIDA, José"  # cp1252 bytes decoded
    assert merida.entity_kind == "person"
    assert ("MERIDA, Jose", "weak_alias") in [(n.name, n.name_type) for n in merida.names]
    assert merida.countries == ["MX"]
    assert [(i.id_type, i.id_value, i.id_country) for i in merida.identifiers] == [
        ("PASSPORT", "G123", "MX"),
        ("PASSPORT", "H456", None),
        ("NATIONAL_ID", "ABCD601231", "MX"),
    ]

    star = by_id["OFAC-12"]
    assert star.entity_kind == "vessel"
    assert star.countries == ["PA"]  # the flag
    assert ("CALL_SIGN", "9BXY") in [(i.id_type, i.id_value) for i in star.identifiers]
    assert ("IMO", "9123456") in [(i.id_type, i.id_value) for i in star.identifiers]
    assert [(n.name, n.name_type) for n in star.names][1:] == [
        ("OLD STAR", "weak_alias"),
        ("NEW STAR", "alias"),
    ]
    assert star.remarks is not None and "Vessel: type Crude Oil Tanker, flag Panama" in star.remarks

    plane = by_id["OFAC-13"]
    assert plane.entity_kind == "aircraft"
    assert [(i.id_type, i.id_value) for i in plane.identifiers] == [("AIRCRAFT_MSN", "1234")]
    # ADD country "undetermined": the address is kept as listed, with no country code.
    assert [(a.country_name, a.country) for a in plane.addresses] == [("undetermined", None)]
    assert plane.countries == []

    files = {f.role: f for f in record.files}
    assert files["sdn"].encoding == "cp1252"
    assert files["sdn"].eof_byte is True
    assert files["sdn"].records == 4
    assert files["alt"].records == 6 and files["add"].records == 4
    assert record.stats["alt_rows_orphaned"] == 1
    assert record.stats["add_rows_orphaned"] == 1


def test_raw_ofac_wrong_field_count_fails_with_the_record(tmp_path: Path) -> None:
    bad = tmp_path / "SDN.CSV"
    bad.write_bytes(b'1,"A",-0- ,"X"\r\n\x1a')
    with pytest.raises(RegistryError, match=r"SDN.CSV: record 1: expected 12 fields"):
        parse_ofac_raw(bad, "2030-01-31")


def test_raw_ofac_unknown_type_fails(tmp_path: Path) -> None:
    bad = tmp_path / "SDN.CSV"
    bad.write_bytes(b'1,"A","spaceship","X",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n')
    with pytest.raises(RegistryError, match="unknown SDN_Type 'spaceship'"):
        parse_ofac_raw(bad, "2030-01-31")


def test_import_cli_writes_admissible_files_and_source_record(
    raw_ofac: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sdn, alt, add = raw_ofac
    out = tmp_path / "reg"
    argv = ["import", "--source", "ofac-sdn", "--sdn", str(sdn), "--alt", str(alt)]
    argv += ["--add", str(add), "--list-date", "2030-01-31", "--out", str(out), "--json"]
    assert cli(*argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["sources"][0]["counts"]["entities"] == 4
    doc = source_doc(out)
    src = doc["sources"][0]  # type: ignore[index]
    assert src["list_date"] == "2030-01-31"
    assert [f["role"] for f in src["files"]] == ["sdn", "alt", "add"]
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in src["files"])
    assert src["counts"]["names_by_type"] == {"primary": 4, "alias": 3, "weak_alias": 4}
    assert doc["outputs"][ENTITIES_FILE]["rows"] == 4  # type: ignore[index]
    assert (out / ADDRESSES_FILE).exists()
    # Rows are in natural id order and carry script, list date and ;-joined programs.
    assert [r["entity_id"] for r in rows(out, ENTITIES_FILE)] == [
        "OFAC-10",
        "OFAC-11",
        "OFAC-12",
        "OFAC-13",
    ]
    assert entity(out, "OFAC-10")["programs"] == "IRAN;SDGT"
    assert {r["script"] for r in rows(out, NAMES_FILE)} == {"latin"}
    assert admit_registry(out, tmp_path)[1] == []
    # A run can find the source record of the registry file it admits, only if it is current.
    assert registry_source_for(out / ENTITIES_FILE) == doc
    assert registry_source_for(tmp_path / "shipments.csv") is None
    (out / NAMES_FILE).write_text((out / NAMES_FILE).read_text() + "X,OFAC-10,X,alias,\n")
    assert registry_source_for(out / NAMES_FILE) is None
    # A second import into the same folder needs --force.
    assert cli(*argv) == 2
    assert "--force" in capsys.readouterr().err
    assert cli(*argv, "--force") == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--source", "ofac-sdn", "--list-date", "2030-01-31"], "needs --sdn"),
        (["--source", "ofac-cons", "--alt", "ALT.CSV", "--list-date", "2030-01-31"], "needs --sdn"),
        (["--source", "csl", "--file", "x.csv"], "--list-date YYYY-MM-DD is required"),
        (["--source", "csl", "--file", "x.csv", "--list-date", "2030-02-30"], "not a date"),
        (["--source", "csl", "--file", "missing.csv", "--list-date", "2030-01-31"], "not found"),
        (["--source", "un-xml", "--file", "x.xml", "--alt", "a"], "not un-xml"),
    ],
)
def test_import_usage_errors_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("import", *argv, "--out", str(tmp_path / "o")) == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# UN XML, CSL, DPL fixtures

UN_FIXTURE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<CONSOLIDATED_LIST dateGenerated="2030-01-15T00:00:01.000Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>900001</DATAID>
      <FIRST_NAME>IVAN</FIRST_NAME>
      <SECOND_NAME>PETROVICH</SECOND_NAME>
      <THIRD_NAME>SIDOROV</THIRD_NAME>
      <UN_LIST_TYPE>Test</UN_LIST_TYPE>
      <REFERENCE_NUMBER>TSi.001 </REFERENCE_NUMBER>
      <NAME_ORIGINAL_SCRIPT>Иван Петрович Сидоров</NAME_ORIGINAL_SCRIPT>
      <COMMENTS1>Fictitious entry
        for tests.</COMMENTS1>
      <NATIONALITY><VALUE>Russian Federation</VALUE></NATIONALITY>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>IVAN SIDOROFF</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Vanya</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ADDRESS><CITY>Minsk</CITY><COUNTRY>Belarus</COUNTRY></INDIVIDUAL_ADDRESS>
      <INDIVIDUAL_DOCUMENT>
        <TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>AB 123456 </NUMBER>
        <ISSUING_COUNTRY>Russian Federation</ISSUING_COUNTRY>
      </INDIVIDUAL_DOCUMENT>
      <INDIVIDUAL_DOCUMENT>
        <TYPE_OF_DOCUMENT>National Identification
          Number</TYPE_OF_DOCUMENT><NUMBER>770012345</NUMBER>
      </INDIVIDUAL_DOCUMENT>
      <INDIVIDUAL_DOCUMENT/>
    </INDIVIDUAL>
    <INDIVIDUAL>
      <DATAID>900002</DATAID>
      <FIRST_NAME>ABDUL</FIRST_NAME>
      <SECOND_NAME>KARIM</SECOND_NAME>
      <THIRD_NAME>AL</THIRD_NAME>
      <FOURTH_NAME>FICTICI</FOURTH_NAME>
      <UN_LIST_TYPE>Test</UN_LIST_TYPE>
      <REFERENCE_NUMBER>TSi.002</REFERENCE_NUMBER>
      <NAME_ORIGINAL_SCRIPT>عبد الكريم</NAME_ORIGINAL_SCRIPT>
      <NATIONALITY><VALUE>Iran (Islamic Republic of)</VALUE><VALUE>Atlantis</VALUE></NATIONALITY>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>900003</DATAID>
      <FIRST_NAME>ORION TRADING COMPANY</FIRST_NAME>
      <UN_LIST_TYPE>Test</UN_LIST_TYPE>
      <REFERENCE_NUMBER>TSe.001</REFERENCE_NUMBER>
      <NAME_ORIGINAL_SCRIPT>猎户座贸易公司</NAME_ORIGINAL_SCRIPT>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>ORION TRADE CO</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>ORION LLC</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ADDRESS>
        <STREET>1 Harbour Road</STREET><CITY>Nampo</CITY>
        <COUNTRY>Democratic People's Republic of Korea</COUNTRY>
      </ENTITY_ADDRESS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
"""


def test_un_xml_fixture(tmp_path: Path) -> None:
    path = tmp_path / "un.xml"
    path.write_text(UN_FIXTURE, encoding="utf-8")
    entities, record = parse_un_xml(path, None)
    assert record.list_date == "2030-01-15"  # from dateGenerated
    by_id = {e.entity_id: e for e in entities}
    assert sorted(by_id) == ["UN-TSe.001", "UN-TSi.001", "UN-TSi.002"]
    ivan = by_id["UN-TSi.001"]
    assert ivan.entity_kind == "person"
    assert ivan.primary_name == "IVAN PETROVICH SIDOROV"
    assert [(n.name, n.name_type) for n in ivan.names] == [
        ("IVAN PETROVICH SIDOROV", "primary"),
        ("Иван Петрович Сидоров", "alias"),
        ("IVAN SIDOROFF", "alias"),
        ("Vanya", "weak_alias"),  # QUALITY Low
    ]
    assert ivan.programs == ["UN-Test"]
    assert ivan.remarks == "Fictitious entry for tests."
    assert sorted(ivan.countries) == ["BY", "RU"]
    assert [(i.id_type, i.id_value, i.id_country) for i in ivan.identifiers] == [
        ("PASSPORT", "AB 123456", "RU"),
        ("NATIONAL_ID", "770012345", None),
    ]
    karim = by_id["UN-TSi.002"]
    assert karim.primary_name == "ABDUL KARIM AL FICTICI"
    assert karim.countries == ["IR"]
    assert record.stats["unmapped_country_names"] == {"Atlantis": 1}
    orion = by_id["UN-TSe.001"]
    assert orion.entity_kind == "organization"
    assert [n.name_type for n in orion.names] == ["primary", "alias", "alias", "alias"]
    assert orion.countries == ["KP"]
    out = tmp_path / "reg"
    assert cli("import", "--source", "un-xml", "--file", str(path), "--out", str(out)) == 0
    scripts = {r["name"]: r["script"] for r in rows(out, NAMES_FILE)}
    assert scripts["Иван Петрович Сидоров"] == "cyrillic"
    assert scripts["عبد الكريم"] == "arabic"
    assert scripts["猎户座贸易公司"] == "cjk"
    assert admit_registry(out, tmp_path)[1] == []


def test_un_xml_not_xml_fails(tmp_path: Path) -> None:
    path = tmp_path / "un.xml"
    path.write_text("<CONSOLIDATED_LIST><INDIVIDUALS>", encoding="utf-8")
    with pytest.raises(RegistryError, match="not well-formed XML"):
        parse_un_xml(path, "2030-01-01")


def _write_csv(path: Path, header: tuple[str, ...], body: list[dict[str, str]], delim: str) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, delimiter=delim, lineterminator="\n")
    writer.writeheader()
    for row in body:
        writer.writerow({c: row.get(c, "") for c in header})
    path.write_text(buf.getvalue(), encoding="utf-8")


def test_csl_fixture(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    _write_csv(
        path,
        CSL_COLUMNS,
        [
            {
                "source": "Entity List (EL) - Bureau of Industry and Security",
                "name": "Orion Electronics Ltd.",
                "addresses": "Room 1, 2 Wing Road, Kowloon, HK; 5 Mira St, Moscow, 101000, RU",
                "alt_names": "Orion HK; Orion Dianzi",
                "start_date": "2030-01-01",
                "license_requirement": "For all items subject to the EAR.",
            },
            {
                "source": "Specially Designated Nationals (SDN) - Treasury Department",
                "entity_number": "90001",
                "type": "Vessel",
                "programs": "IRAN; SDGT",
                "name": "SEA STAR",
                "call_sign": "9BXY",
                "vessel_flag": "Iran",
                "ids": "IMO 9123456, Vessel Registration Identification; "
                "Panama, Former Vessel Flag; IR, 10101, Registration ID; "
                "CO, 01200175 (Bogota), Matricula Mercantil No",
            },
            {
                "source": "Denied Persons List (DPL) - Bureau of Industry and Security",
                "name": " JOHN FICTITIOUS DOE",
                "addresses": "1 Main St, Springfield, IL, 62701",
            },
        ],
        ",",
    )
    entities, record = parse_csl(path, "2030-02-01")
    by_name = {e.primary_name: e for e in entities}
    el = by_name["Orion Electronics Ltd."]
    assert el.entity_id.startswith("CSL-EL-h") and el.source_list == "CSL_EL"
    assert el.entity_kind == "organization"
    assert sorted(el.countries) == ["HK", "RU"]
    assert [n.name for n in el.names] == ["Orion Electronics Ltd.", "Orion HK", "Orion Dianzi"]
    star = by_name["SEA STAR"]
    assert star.entity_id == "CSL-SDN-90001"
    assert star.entity_kind == "vessel"
    assert star.programs == ["IRAN", "SDGT"]
    assert star.countries == ["IR"]
    assert [(i.id_type, i.id_value, i.id_country) for i in star.identifiers] == [
        ("CALL_SIGN", "9BXY", None),
        ("IMO", "9123456", None),
        ("REGISTRATION", "10101", "IR"),
        ("REGISTRATION", "01200175", "CO"),
    ]
    doe = by_name["JOHN FICTITIOUS DOE"]
    assert doe.entity_kind == "person"  # no type on DPL rows: no organization word -> person
    assert record.stats["entity_kind_guessed"] == 2
    # Ids are stable: the same file gives the same ids.
    again, _ = parse_csl(path, "2030-02-01")
    assert [e.entity_id for e in again] == [e.entity_id for e in entities]


def test_csl_header_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text("source,name,colour\nX (Y) - Z,A,red\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"missing column.*entity_number.*unexpected column"):
        parse_csl(path, "2030-01-01")


def test_dpl_fixture_merges_addresses_of_one_order(tmp_path: Path) -> None:
    path = tmp_path / "dpl.txt"
    base = {"Effective_Date": "01/02/2030", "Expiration_Date": "01/02/2040", "Standard_Order": "Y"}
    _write_csv(
        path,
        DPL_COLUMNS,
        [
            {**base, "Name": "JOHN FICTITIOUS DOE", "City": "SPRINGFIELD", "Country": "US"},
            {**base, "Name": "JOHN FICTITIOUS DOE", "City": "DUBAI", "Country": "AE"},
            {**base, "Name": "ACME FREIGHT LLC A/K/A ACME CARGO", "Country": "PRC"},
        ],
        "\t",
    )
    entities, record = parse_dpl(path, "2030-03-01")
    assert len(entities) == 2
    doe, acme = entities
    assert doe.entity_id.startswith("DPL-") and len(doe.entity_id) == 14
    assert doe.entity_kind == "person"
    assert sorted(doe.countries) == ["AE", "US"]
    assert len(doe.addresses) == 2
    assert acme.entity_kind == "organization"
    assert acme.countries == ["CN"]
    assert [(n.name, n.name_type) for n in acme.names] == [
        ("ACME FREIGHT LLC", "primary"),
        ("ACME CARGO", "alias"),
    ]
    assert record.stats["rows_merged_into_entity"] == 1


# ---------------------------------------------------------------------------------------------
# combine and diff


def _import_fixture(tmp: Path, name: str, sdn: bytes, alt: bytes = b"") -> Path:
    folder = tmp / name
    (tmp / f"{name}.sdn").write_bytes(sdn)
    argv = ["import", "--source", "ofac-sdn", "--sdn", str(tmp / f"{name}.sdn")]
    if alt:
        (tmp / f"{name}.alt").write_bytes(alt)
        argv += ["--alt", str(tmp / f"{name}.alt")]
    assert cli(*argv, "--list-date", "2030-01-31", "--out", str(folder)) == 0
    return folder


def test_combine_joins_lists_and_refuses_colliding_ids(
    raw_ofac: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    sdn, alt, add = raw_ofac
    un = tmp_path / "un.xml"
    un.write_text(UN_FIXTURE, encoding="utf-8")
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli("import", "--source", "ofac-sdn", "--sdn", str(sdn), "--alt", str(alt),
               "--add", str(add), "--list-date", "2030-01-31", "--out", str(a)) == 0  # fmt: skip
    assert cli("import", "--source", "un-xml", "--file", str(un), "--out", str(b)) == 0
    out = tmp_path / "both"
    doc = combine_registries([a, b], out)
    assert [s["source_list"] for s in doc["sources"]] == ["OFAC_SDN", "UN_SC"]
    assert doc["outputs"][ENTITIES_FILE]["rows"] == 7
    assert [r["entity_id"] for r in rows(out, ENTITIES_FILE)] == [
        "OFAC-10",
        "OFAC-11",
        "OFAC-12",
        "OFAC-13",
        "UN-TSe.001",
        "UN-TSi.001",
        "UN-TSi.002",
    ]
    assert admit_registry(out, tmp_path)[1] == []
    with pytest.raises(
        RegistryError, match=r"4 entity id\(s\) occur in more than one input: OFAC-10"
    ):
        combine_registries([a, b, a], tmp_path / "bad")
    assert cli("combine", "--in", str(a), "--in", str(a), "--out", str(tmp_path / "bad")) == 2


def test_diff_reports_added_removed_renamed_and_names(tmp_path: Path) -> None:
    nul = b"-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "
    old = _import_fixture(
        tmp_path,
        "old",
        b'1,"ALPHA LTD",-0- ,"IRAN",' + nul + b",\"a.k.a. 'ALF'.\"\r\n"
        b'2,"BRAVO LTD",-0- ,"IRAN",' + nul + b",-0- \r\n"
        b'3,"CHARLIE LTD",-0- ,"IRAN",' + nul + b",-0- \r\n\x1a",
        b'1,11,"aka","ALPHA LIMITED",-0- \r\n\x1a',
    )
    new = _import_fixture(
        tmp_path,
        "new",
        b'1,"ALPHA LTD",-0- ,"IRAN] [SDGT",' + nul + b",\"a.k.a. 'ALFA'.\"\r\n"
        b'2,"BRAVO HOLDING LTD",-0- ,"IRAN",' + nul + b",-0- \r\n"
        b'10,"DELTA LTD",-0- ,"IRAN",' + nul + b",-0- \r\n\x1a",
        b'1,11,"aka","ALPHA LIMITED",-0- \r\n\x1a',
    )
    report = diff_registries(old, new)
    assert report["counts"] == {
        "added": 1,
        "removed": 1,
        "renamed": 1,
        "changed": 1,
        "names_added": 2,
        "names_removed": 2,
        "entities_with_names_added": 2,
        "entities_with_names_removed": 2,
    }
    assert report["added"] == [
        {
            "entity_id": "OFAC-10",
            "source_list": "OFAC_SDN",
            "entity_kind": "organization",
            "primary_name": "DELTA LTD",
        }
    ]
    assert [r["entity_id"] for r in report["removed"]] == ["OFAC-3"]
    assert report["renamed"] == [
        {"entity_id": "OFAC-2", "old_name": "BRAVO LTD", "new_name": "BRAVO HOLDING LTD"}
    ]
    assert report["changed"][0]["fields"] == ["programs"]
    assert report["names_added"] == [
        {"entity_id": "OFAC-1", "name": "ALFA", "name_type": "weak_alias"},
        {"entity_id": "OFAC-2", "name": "BRAVO HOLDING LTD", "name_type": "primary"},
    ]
    assert report["names_removed"] == [
        {"entity_id": "OFAC-1", "name": "ALF", "name_type": "weak_alias"},
        {"entity_id": "OFAC-2", "name": "BRAVO LTD", "name_type": "primary"},
    ]
    text = render_diff(report)
    assert "~ OFAC-2  BRAVO LTD  ->  BRAVO HOLDING LTD" in text
    assert "+ OFAC-10  organization  DELTA LTD" in text
    assert diff_registries(old, new) == report  # deterministic
    assert cli("diff", "--old", str(old), "--new", str(tmp_path / "nowhere")) == 2


# ---------------------------------------------------------------------------------------------
# the real lists (../shared/data)


@pytest.fixture(scope="module")
def shared() -> Path:
    if not WATCH.is_dir():
        pytest.skip("../shared/data not found: real-list tests need the shared data folder")
    return WATCH


@pytest.fixture(scope="module")
def sdn_0402(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Raw SDN 2024-04-02 with the (later, 2026-06) ALT and ADD files."""
    out = tmp_path_factory.mktemp("sdn0402")
    raw = shared / "ofac_sdn_raw_2024"
    extra = shared / "ofac_sdn_2026-08-20"
    assert cli("import", "--source", "ofac-sdn", "--sdn", str(raw / "sdn_2024-04-02.csv"),
               "--alt", str(extra / "alt_2026-06.csv"), "--add", str(extra / "add_2026-06.csv"),
               "--list-date", "2024-04-02", "--out", str(out)) == 0  # fmt: skip
    yield out


def test_real_sdn_2024_04_02_counts_and_file_record(shared: Path, sdn_0402: Path) -> None:
    src = source_doc(sdn_0402)["sources"][0]  # type: ignore[index]
    assert src["counts"]["entities"] == 14_560
    assert src["counts"]["entities_by_kind"] == {
        "person": 6_773,
        "organization": 6_587,
        "vessel": 818,
        "aircraft": 382,
    }
    sdn_file = src["files"][0]
    assert sdn_file["records"] == 14_560
    assert sdn_file["encoding"] == "ascii"
    raw = (shared / "ofac_sdn_raw_2024" / "sdn_2024-04-02.csv").read_bytes()
    assert raw.endswith(b"\r\n\x1a")
    assert sdn_file["eof_byte_removed"] is True
    assert sdn_file["size"] == len(raw)
    # The ALT/ADD files are of 2026-06: rows of entries added after 2024-04-02 are skipped.
    assert src["parse"]["alt_rows_orphaned"] > 0
    assert src["parse"]["remarks_truncated"] == 17


def test_real_sdn_well_known_entries(sdn_0402: Path) -> None:
    e = entity(sdn_0402, "OFAC-36")
    assert (e["primary_name"], e["entity_kind"], e["programs"], e["countries"]) == (
        "AEROCARIBBEAN AIRLINES",
        "organization",
        "CUBA",
        "CU",
    )
    assert e["remarks"] == ""  # Remarks -0- -> NULL
    assert ("AERO-CARIBBEAN", "alias") in names_of(sdn_0402, "OFAC-36")
    # A weak a.k.a. in Remarks, and a strong alias from ALT.CSV.
    assert ("BNC", "weak_alias") in names_of(sdn_0402, "OFAC-306")
    assert ("NATIONAL BANK OF CUBA", "alias") in names_of(sdn_0402, "OFAC-306")
    # A vessel with its IMO number in Remarks and former names as weak f.k.a.s.
    ebano = entity(sdn_0402, "OFAC-4243")
    assert (ebano["primary_name"], ebano["entity_kind"]) == ("EBANO", "vessel")
    assert ("IMO", "7406784", "") in ids_of(sdn_0402, "OFAC-4243")
    assert ("SAND SWAN", "weak_alias") in names_of(sdn_0402, "OFAC-4243")
    # An individual with a passport in Remarks.
    zawahiri = entity(sdn_0402, "OFAC-2676")
    assert zawahiri["entity_kind"] == "person"
    assert ("PASSPORT", "1084010", "EG") in ids_of(sdn_0402, "OFAC-2676")
    # A weak alias containing an apostrophe.
    assert ("ABU-'UMAR", "weak_alias") in names_of(sdn_0402, "OFAC-3754")
    # Nationality and identifiers with countries.
    assert ("NATIONAL_ID", "660000 73767", "BE") in ids_of(sdn_0402, "OFAC-7326")
    # The last record, just before the 0x1A byte, is whole.
    last = entity(sdn_0402, "OFAC-48317")
    assert last["primary_name"] == "MELODY SHIPMANAGEMENT PVT LTD"
    assert last["remarks"].endswith("Linked To: QUOC VIET MARINE TRANSPORT JSC.")
    assert ("REGISTRATION", "311397", "IN") in ids_of(sdn_0402, "OFAC-48317")


def test_real_sdn_has_no_ofac_nulls_or_control_bytes(sdn_0402: Path) -> None:
    for file_name in (ENTITIES_FILE, NAMES_FILE, IDENTIFIERS_FILE, ADDRESSES_FILE):
        text = (sdn_0402 / file_name).read_text(encoding="utf-8")
        assert "\x1a" not in text and "\r" not in text, file_name
        values = [v for r in csv.reader(io.StringIO(text)) for v in r]
        assert not [v for v in values if v.strip() == "-0-"], file_name
        assert not [v for v in values if v != v.strip()], file_name


def test_real_sdn_admits_with_zero_rejects(sdn_0402: Path, tmp_path: Path) -> None:
    records, rejects = admit_registry(sdn_0402, tmp_path)
    assert rejects == []
    assert [r.rows_admitted for r in records][:1] == [14_560]  # type: ignore[attr-defined]


def test_real_sdn_versions_diff(shared: Path, tmp_path: Path) -> None:
    raw = shared / "ofac_sdn_raw_2024"
    folders = {}
    for day in ("2024-04-02", "2024-05-03"):
        folders[day] = tmp_path / day
        assert cli("import", "--source", "ofac-sdn", "--sdn", str(raw / f"sdn_{day}.csv"),
                   "--list-date", day, "--out", str(folders[day])) == 0  # fmt: skip
    report = diff_registries(folders["2024-04-02"], folders["2024-05-03"])

    # Independent check of added/removed/renamed straight from the raw files.
    def raw_names(day: str) -> dict[str, str]:
        text = (raw / f"sdn_{day}.csv").read_bytes().rstrip(b"\x1a").decode("ascii")
        return {r[0]: r[1] for r in csv.reader(io.StringIO(text)) if r}

    old, new = raw_names("2024-04-02"), raw_names("2024-05-03")
    assert (len(old), len(new)) == (14_560, 14_965)
    assert {r["entity_id"] for r in report["added"]} == {f"OFAC-{k}" for k in new.keys() - old}
    assert {r["entity_id"] for r in report["removed"]} == {f"OFAC-{k}" for k in old.keys() - new}
    renamed = {k for k in old.keys() & new if old[k] != new[k]}
    assert {r["entity_id"] for r in report["renamed"]} == {f"OFAC-{k}" for k in renamed}
    assert report["counts"]["added"] == 417
    assert report["counts"]["removed"] == 12
    assert report["renamed"] == [
        {"entity_id": "OFAC-39693", "old_name": "YOUNG YONG", "new_name": "SAINT LIGHT"}
    ]


def test_real_packaged_sdn_csv(shared: Path) -> None:
    folder = shared / "ofac_sdn_2026-08-20"
    entities, record = parse_ofac_packaged(folder / "ofac-sdn.csv", "2026-08-20")
    assert len(entities) == 19_249
    names = sum(len(e.names) for e in entities)
    # metadata.json counts 39,443 names; 4 aliases repeat their entry's primary name.
    assert names + record.stats["names_duplicate_dropped"] == 39_443
    kinds = {k: sum(e.entity_kind == k for e in entities) for k in ("person", "vessel")}
    assert kinds == {"person": 7_502, "vessel": 1_534}
    first = next(e for e in entities if e.entity_id == "OFAC-36")
    assert [(n.name, n.name_type) for n in first.names] == [
        ("AEROCARIBBEAN AIRLINES", "primary"),
        ("AERO-CARIBBEAN", "alias"),
    ]


def test_real_consolidated_non_sdn(shared: Path, tmp_path: Path) -> None:
    other = shared / "other"
    out = tmp_path / "cons"
    assert cli("import", "--source", "ofac-cons", "--prim", str(other / "ofac_cons_prim_2025-12.csv"),
               "--alt", str(other / "ofac_cons_alt_2025-12.csv"),
               "--add", str(other / "ofac_cons_add_2025-12.csv"),
               "--list-date", "2025-12-01", "--out", str(out)) == 0  # fmt: skip
    ents = rows(out, ENTITIES_FILE)
    assert len(ents) == 442
    assert all(r["entity_id"].startswith("OFAC-CONS-") for r in ents)
    assert {r["source_list"] for r in ents} == {"OFAC_CONS"}
    haniya = entity(out, "OFAC-CONS-9639")
    assert (haniya["primary_name"], haniya["entity_kind"], haniya["programs"]) == (
        "HANIYA, Ismail Abdul Salah",
        "person",
        "NS-PLC",
    )
    assert ("HANIYYA, Ismaeel", "alias") in names_of(out, "OFAC-CONS-9639")
    assert entity(out, "OFAC-CONS-9641")["countries"] == "PS"  # ADD country "Palestinian"
    assert admit_registry(out, tmp_path)[1] == []


def test_real_un_xml(shared: Path, tmp_path: Path) -> None:
    path = shared / "other" / "un_consolidated_2026-02-27.xml"
    if not path.exists():
        pytest.skip(f"{path} not found")
    out = tmp_path / "un"
    assert cli("import", "--source", "un-xml", "--file", str(path), "--out", str(out)) == 0
    src = source_doc(out)["sources"][0]  # type: ignore[index]
    assert src["list_date"] == "2026-02-27"
    assert src["counts"]["entities_by_kind"]["person"] == 730
    assert src["counts"]["entities_by_kind"]["organization"] == 273
    assert src["counts"]["names_by_type"]["weak_alias"] == 615  # QUALITY Low
    saddam = names_of(out, "UN-IQi.001")
    assert saddam[0] == ("SADDAM HUSSEIN AL-TIKRITI", "primary")
    assert ("صدام حسين التكريتي", "alias") in saddam
    # The derived flat file in ../shared lists the same primary names.
    flat = SHARED / "reference" / "derived" / "un_2026-02-27_names_flat.csv"
    if flat.exists():
        with flat.open(encoding="utf-8", newline="") as fh:
            theirs = {r["name"] for r in csv.DictReader(fh) if r["name_type"] == "primary"}
        ours = {r["name"] for r in rows(out, NAMES_FILE) if r["name_type"] == "primary"}
        assert ours == theirs
    assert admit_registry(out, tmp_path)[1] == []


def test_real_csl_sample(shared: Path, tmp_path: Path) -> None:
    path = shared / "other" / "csl_sample_2019.csv"
    with path.open(encoding="utf-8") as fh:
        assert tuple(fh.readline().strip().split(",")) == CSL_COLUMNS
    out = tmp_path / "csl"
    assert cli("import", "--source", "csl", "--file", str(path),
               "--list-date", "2019-01-01", "--out", str(out)) == 0  # fmt: skip
    ents = rows(out, ENTITIES_FILE)
    assert len(ents) == 115
    psa = entity(out, "CSL-SDN-20264")
    assert (psa["primary_name"], psa["countries"], psa["programs"]) == (
        "200G PSA HOLDINGS LLC",
        "US",
        "SDNTK",
    )
    assert ids_of(out, "CSL-SDN-20264") == [("TAX_ID", "80-0890696", "US")]
    vessel = next(r for r in ents if r["primary_name"] == "7-28")
    assert (vessel["entity_kind"], vessel["countries"]) == ("vessel", "KP")
    assert ("IMO", "8898831", "") in ids_of(out, vessel["entity_id"])
    lists = {r["source_list"] for r in ents}
    assert {"CSL_EL", "CSL_SDN", "CSL_DPL", "CSL_SSI"} <= lists
    assert admit_registry(out, tmp_path)[1] == []


def test_real_bis_dpl(shared: Path, tmp_path: Path) -> None:
    path = shared / "other" / "bis_dpl_2022-09.txt"
    out = tmp_path / "dpl"
    assert cli("import", "--source", "bis-dpl", "--file", str(path),
               "--list-date", "2022-09-07", "--out", str(out)) == 0  # fmt: skip
    src = source_doc(out)["sources"][0]  # type: ignore[index]
    assert src["files"][0]["records"] == 581
    assert src["counts"]["entities"] == 461  # rows of one order (name, effective date) merged
    assert src["counts"]["addresses"] == 579
    names = [(r["name"], r["name_type"]) for r in rows(out, NAMES_FILE)]
    assert ("FUYI SUN", "primary") in names and ("FRANK SUN", "alias") in names
    assert admit_registry(out, tmp_path)[1] == []


def test_real_lists_combine_into_one_admissible_registry(
    shared: Path, sdn_0402: Path, tmp_path: Path
) -> None:
    other = shared / "other"
    folders = [sdn_0402]
    for source, file_name, day in (
        ("csl", "csl_sample_2019.csv", "2019-01-01"),
        ("bis-dpl", "bis_dpl_2022-09.txt", "2022-09-07"),
    ):
        folders.append(tmp_path / source)
        assert cli("import", "--source", source, "--file", str(other / file_name),
                   "--list-date", day, "--out", str(folders[-1])) == 0  # fmt: skip
    out = tmp_path / "all"
    doc = combine_registries(folders, out)
    assert doc["outputs"][ENTITIES_FILE]["rows"] == 14_560 + 115 + 461
    assert admit_registry(out, tmp_path)[1] == []
