"""FollowTheMoney import, declared mappings and combining any folder of registry files.

Fixtures are written here (fictitious entries). The tests that use ``shared_data()`` read the
real BIS and UN lists under ``../shared/data`` and skip when it is absent.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from conftest import shared_data
from test_registry_formats import admit_registry, cli, entity, ids_of, names_of, rows, source_doc

from omphalos.registry.combine import combine_registries
from omphalos.registry.ftm import ftm_country, parse_ftm
from omphalos.registry.mapping import MappingError, load_mapping, parse_with_mapping
from omphalos.registry.model import (
    ADDRESSES_FILE,
    ENTITIES_FILE,
    IDENTIFIERS_FILE,
    NAMES_FILE,
    SOURCE_FILE,
    RegistryError,
)

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "config" / "registry_mappings"
REGISTRY_CSVS = (ENTITIES_FILE, NAMES_FILE, IDENTIFIERS_FILE, ADDRESSES_FILE)

# ---------------------------------------------------------------------------------------------
# FollowTheMoney


def _ftm(*entities: dict[str, object]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities)


FTM_ENTITIES = _ftm(
    {
        "id": "xx-p-1",
        "schema": "Person",
        "datasets": ["xx_test_sanctions"],
        "properties": {
            "name": ["Ivan Petrovich TESTOV", "Иван Петрович Тестов"],
            "alias": ["Vanya Testov"],
            "previousName": ["Ivan SMIRNOV"],
            "weakAlias": ["The Tester"],
            "nationality": ["ru"],
            "country": ["suhh", "ua-cri"],
            "passportNumber": ["710000001"],
            "idNumber": ["4500 123456"],
            "innCode": ["771234567890"],
            "birthDate": ["1970-02-03"],
            "topics": ["sanction"],
        },
    },
    {
        "id": "xx-c-2",
        "schema": "Company",
        "datasets": ["xx_test_sanctions", "yy_other_list"],
        "properties": {
            "name": ["OOO Testovaya Kompaniya"],
            "alias": ["Test Company LLC", "OOO TESTOVAYA KOMPANIYA"],
            "jurisdiction": ["eu", "ru"],
            "registrationNumber": ["1027700000000"],
            "ogrnCode": ["1027700000001"],
            "leiCode": ["TEST00000000000000XX"],
            "swiftBic": ["TESTRUMM"],
            "vatCode": ["RU7700000000"],
            "idNumber": ["C-99"],
            "wikidataId": ["Q1"],
            "addressEntity": ["addr-1"],
        },
    },
    {
        "id": "addr-1",
        "schema": "Address",
        "properties": {
            "full": ["1 Test Street, Moscow 101000, Russia"],
            "street": ["1 Test Street"],
            "city": ["Moscow"],
            "postalCode": ["101000"],
            "country": ["ru"],
        },
    },
    {
        "id": "xx-v-3",
        "schema": "Vessel",
        "datasets": ["xx_test_sanctions"],
        "properties": {"name": ["TEST STAR"], "imoNumber": ["IMO 9100001"], "flag": ["pa"]},
    },
    {
        "id": "xx-a-4",
        "schema": "Airplane",
        "datasets": ["xx_test_sanctions"],
        "properties": {
            "name": ["Test Air 747"],
            "registrationNumber": ["EP-TST"],
            "serialNumber": ["12345"],
            "country": ["ir"],
        },
    },
    {
        "id": "xx-s-1",
        "schema": "Sanction",
        "properties": {"entity": ["xx-p-1"], "program": ["TEST-PROGRAM"], "country": ["us"]},
    },
    {
        "id": "xx-s-2",
        "schema": "Sanction",
        "properties": {"entity": ["somebody-else"], "program": ["OTHER"]},
    },
    {
        "id": "xx-doc-1",
        "schema": "Passport",
        "properties": {"holder": ["xx-p-1"], "number": ["D-2000"], "country": ["by"]},
    },
    {
        "id": "xx-own-1",
        "schema": "Ownership",
        "properties": {"owner": ["xx-p-1"], "asset": ["xx-c-2"]},
    },
    {"id": "xx-le-5", "schema": "LegalEntity", "properties": {"weakAlias": ["no name"]}},
    {
        "id": "xx-pb-6",
        "schema": "PublicBody",
        "properties": {"name": ["Ministry of Tests"], "country": ["zz"]},
    },
)


def test_ftm_countries_map_lower_case_codes_regions_and_record_the_rest() -> None:
    import collections

    unmapped: collections.Counter[str] = collections.Counter()
    got = [ftm_country(v, unmapped) for v in ("ru", "XK", "ua-cri", "ge-ab", "eu", "suhh", "zz")]
    assert got == ["RU", "XK", "UA", "GE", None, None, None]
    assert unmapped == {"eu": 1, "suhh": 1, "zz": 1}


def test_ftm_import_maps_schemas_names_countries_and_identifiers(tmp_path: Path) -> None:
    path = tmp_path / "entities.ftm.json"
    path.write_text(FTM_ENTITIES, encoding="utf-8")
    out = tmp_path / "ftm"
    assert cli("import", "--source", "ftm", "--file", str(path), "--list-date", "2030-02-01",
               "--out", str(out)) == 0  # fmt: skip
    ents = {r["entity_id"]: r for r in rows(out, ENTITIES_FILE)}
    assert sorted(ents) == ["FTM-xx-a-4", "FTM-xx-c-2", "FTM-xx-p-1", "FTM-xx-pb-6", "FTM-xx-v-3"]
    assert {k: v["entity_kind"] for k, v in ents.items()} == {
        "FTM-xx-a-4": "aircraft",
        "FTM-xx-c-2": "organization",
        "FTM-xx-p-1": "person",
        "FTM-xx-pb-6": "organization",
        "FTM-xx-v-3": "vessel",
    }
    person = ents["FTM-xx-p-1"]
    assert person["primary_name"] == "Ivan Petrovich TESTOV"
    assert person["source_list"] == "FTM_XX_TEST_SANCTIONS"
    assert person["list_date"] == "2030-02-01"
    assert person["countries"] == "RU;UA"  # suhh left out, ua-cri is in Ukraine
    assert person["programs"] == "TEST-PROGRAM"  # from the Sanction entity
    assert person["remarks"] == "DOB: 1970-02-03; Topics: sanction"
    assert names_of(out, "FTM-xx-p-1") == [
        ("Ivan Petrovich TESTOV", "primary"),
        ("Иван Петрович Тестов", "alias"),
        ("Vanya Testov", "alias"),
        ("Ivan SMIRNOV", "alias"),
        ("The Tester", "weak_alias"),
    ]
    assert ids_of(out, "FTM-xx-p-1") == [
        ("NATIONAL_ID", "4500 123456", ""),
        ("TAX_ID", "771234567890", ""),
        ("PASSPORT", "710000001", ""),
        ("PASSPORT", "D-2000", "BY"),
    ]
    company = ents["FTM-xx-c-2"]
    assert company["source_list"] == "FTM_XX_TEST_SANCTIONS;FTM_YY_OTHER_LIST"
    assert company["countries"] == "RU"  # eu left out
    # the alias that repeats the name (other case) is kept once
    assert names_of(out, "FTM-xx-c-2") == [
        ("OOO Testovaya Kompaniya", "primary"),
        ("Test Company LLC", "alias"),
    ]
    assert ids_of(out, "FTM-xx-c-2") == [
        ("OTHER_ID", "C-99", ""),
        ("LEI", "TEST00000000000000XX", ""),
        ("REGISTRATION", "1027700000001", ""),
        ("REGISTRATION", "1027700000000", ""),
        ("SWIFT_BIC", "TESTRUMM", ""),
        ("TAX_ID", "RU7700000000", ""),
    ]
    addr = [r for r in rows(out, ADDRESSES_FILE) if r["entity_id"] == "FTM-xx-c-2"]
    assert [(a["street"], a["city"], a["postal_code"], a["country"]) for a in addr] == [
        ("1 Test Street", "Moscow", "101000", "RU")
    ]
    assert (ents["FTM-xx-v-3"]["countries"], ids_of(out, "FTM-xx-v-3")) == (
        "PA",
        [("IMO", "9100001", "")],
    )
    assert ids_of(out, "FTM-xx-a-4") == [
        ("AIRCRAFT_TAIL", "EP-TST", ""),
        ("AIRCRAFT_MSN", "12345", ""),
    ]
    src = source_doc(out)["sources"][0]  # type: ignore[index]
    assert src["source"] == "ftm"
    assert src["files"][0]["records"] == 11
    assert src["parse"]["skipped_by_schema"] == {
        "Address": 1,
        "Ownership": 1,
        "Passport": 1,
        "Sanction": 2,
    }
    assert src["parse"]["skipped_without_name"] == 1
    assert src["parse"]["sanctions_of_other_entities"] == 1
    assert src["parse"]["identifier_properties_skipped"] == {"wikidataId": 1}
    assert src["parse"]["unmapped_country_names"] == {"eu": 1, "suhh": 1, "zz": 1}
    assert admit_registry(out, tmp_path)[1] == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"line 2: not a JSON object \(column 2"),
        ('["a"]', r"line 2: not a JSON object$"),
        ('{"id": "", "schema": "Person"}', r"line 2: key id: expected a non-empty string"),
        ('{"id": "a b", "schema": "Person"}', r"line 2: key id: contains white space"),
        ('{"id": "x1", "schema": 3}', r"line 2: key schema"),
        (
            '{"id": "x1", "schema": "Person", "properties": {"name": "A"}}',
            r"line 2: key properties.name: expected a list of strings",
        ),
        (
            '{"id": "p1", "schema": "Person", "properties": {"name": ["B"]}}',
            r"line 2: key id: the same id as line 1",
        ),
        ('{"id": "x1", "schema": "Person", "datasets": "d"}', r"line 2: key datasets"),
    ],
)
def test_ftm_errors_name_the_line_and_key(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "e.json"
    path.write_text(
        '{"id": "p1", "schema": "Person", "properties": {"name": ["A"]}}\n' + line + "\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError, match=message):
        parse_ftm(path, "2030-01-01")


def test_ftm_file_without_listed_entities_fails(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(_ftm({"id": "s1", "schema": "Sanction", "properties": {}}), encoding="utf-8")
    assert cli("import", "--source", "ftm", "--file", str(path), "--list-date", "2030-01-01",
               "--out", str(tmp_path / "o")) == 2  # fmt: skip


# ---------------------------------------------------------------------------------------------
# declared mappings: a synthetic CSV and XML list

CSV_MAPPING = """\
format: omphalos-registry-mapping/1
name: test-list
source_list: TEST_LIST
input:
  format: csv
  delimiter: ";"
  columns: [Ref, Type, Name, Other names, Weak names, Country, Programs, Passport, Note]
list_date:
  from: file_name
  pattern: '_(\\d{8})\\.csv$'
  format: "%Y%m%d"
records:
  - id: {template: "TL-{Ref}"}
    kind:
      field: Type
      map: {P: person, E: organization, Ship: vessel}
    name: Name
    aliases:
      - value: {field: Other names, split: "|"}
      - value: {field: Weak names, split: "|"}
        type: weak_alias
    countries: [Country]
    programs: [{field: Programs, split: ","}]
    remarks: {template: "Note: {Note}"}
    identifiers:
      - type: PASSPORT
        value: {field: Passport, pattern: '^(\\w+)'}
        country: {field: Passport, pattern: '\\((.*)\\)'}
"""

CSV_LIST = (
    "Ref;Type;Name;Other names;Weak names;Country;Programs;Passport;Note\n"
    "7;P;Anna  TESTOVA;Anna Testowa|A. Testova;Annie;Russia;EO1,EO2;P123 (Belarus);first\n"
    "10;E;Test Trading FZE;;;AE;EO1;;\n"
    "8;Ship;SEA TEST;;;Panama;;;\n"
)


def _mapping(tmp: Path, text: str, name: str = "m.yml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_mapping_reads_a_list_it_was_written_for(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, CSV_MAPPING)
    data = tmp_path / "test_list_20300115.csv"
    data.write_text(CSV_LIST, encoding="utf-8")
    out = tmp_path / "out"
    assert cli("import", "--source", "mapping", "--mapping", str(mapping), "--file", str(data),
               "--out", str(out)) == 0  # fmt: skip
    assert [r["entity_id"] for r in rows(out, ENTITIES_FILE)] == ["TL-7", "TL-8", "TL-10"]
    anna = entity(out, "TL-7")
    assert anna == {
        "entity_id": "TL-7",
        "source_list": "TEST_LIST",
        "list_date": "2030-01-15",
        "entity_kind": "person",
        "primary_name": "Anna TESTOVA",
        "countries": "RU",
        "programs": "EO1;EO2",
        "remarks": "Note: first",
    }
    assert names_of(out, "TL-7") == [
        ("Anna TESTOVA", "primary"),
        ("Anna Testowa", "alias"),
        ("A. Testova", "alias"),
        ("Annie", "weak_alias"),
    ]
    assert ids_of(out, "TL-7") == [("PASSPORT", "P123", "BY")]
    assert entity(out, "TL-10")["remarks"] == ""  # the template's field is empty: no remarks
    assert (entity(out, "TL-8")["entity_kind"], entity(out, "TL-8")["countries"]) == (
        "vessel",
        "PA",
    )
    src = source_doc(out)["sources"][0]  # type: ignore[index]
    assert src["source"] == "mapping:test-list"
    assert [f["role"] for f in src["files"]] == ["list", "mapping"]
    assert admit_registry(out, tmp_path)[1] == []
    # --list-date overrides the file name's date
    again = tmp_path / "again"
    assert cli("import", "--source", "mapping", "--mapping", str(mapping), "--file", str(data),
               "--list-date", "2030-02-01", "--out", str(again)) == 0  # fmt: skip
    assert entity(again, "TL-7")["list_date"] == "2030-02-01"


def test_csv_mapping_list_errors_name_file_line_and_key(tmp_path: Path) -> None:
    mapping = load_mapping(_mapping(tmp_path, CSV_MAPPING))
    bad = tmp_path / "l_20300101.csv"
    bad.write_text(CSV_LIST.replace("10;E;", "10;Q;"), encoding="utf-8")
    with pytest.raises(RegistryError, match=r"line 3: records\[0\]\.kind: a value is not in map"):
        parse_with_mapping(mapping, bad, None)
    bad.write_text(CSV_LIST.replace("8;Ship;", "7;Ship;"), encoding="utf-8")
    with pytest.raises(RegistryError, match=r"line 4: records\[0\]\.id: id TL-7 was already"):
        parse_with_mapping(mapping, bad, None)
    bad.write_text(CSV_LIST.replace(";Note\n", "\n"), encoding="utf-8")
    with pytest.raises(RegistryError, match=r"row 1 \(header\): missing column\(s\) Note"):
        parse_with_mapping(mapping, bad, None)
    bad.write_text(CSV_LIST + "9;P;X\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"line 5: expected 9 fields, found 3"):
        parse_with_mapping(mapping, bad, None)
    undated = tmp_path / "list.csv"
    undated.write_text(CSV_LIST, encoding="utf-8")
    with pytest.raises(RegistryError, match=r"list_date\.pattern does not match; pass --list-date"):
        parse_with_mapping(mapping, undated, None)


XML_MAPPING = """\
format: omphalos-registry-mapping/1
name: test-xml
source_list: TEST_XML
input:
  format: xml
  root: "{urn:test}list"
  namespaces: {t: "urn:test"}
list_date: {from: xml, path: "t:meta/@published"}
records:
  - element: t:entry
    id: {field: "@id", prefix: TX-}
    duplicate_ids: suffix
    kind: {field: "@type", map: {individual: person, entity: organization}}
    name: t:name
    name_aliases:
      split: '\\s+a\\.k\\.a\\.\\s+'
    aliases:
      - each: t:alias
        value: "."
        type: {field: "@strength", map: {weak: weak_alias}, default: alias}
    country_codes: false
    countries: [t:citizen]
    addresses:
      - each: t:address
        city: t:city
        country: t:country
    identifiers:
      - each: t:doc
        type: {field: "@kind", map: {pass: PASSPORT, imo: IMO}, default: OTHER_ID}
        value: "."
        country: "@issuer"
"""

XML_LIST = """<?xml version="1.0" encoding="UTF-8"?>
<list xmlns="urn:test">
  <meta published="2030-03-04"/>
  <entry id="1" type="individual">
    <name>Boris TESTEV a.k.a. Bob Testev</name>
    <alias>B. Testev</alias><alias strength="weak">Bobby</alias>
    <citizen>Bulgaria</citizen><citizen>former Soviet Union</citizen>
    <doc kind="pass" issuer="Bulgaria">X1</doc><doc kind="card">C2</doc>
  </entry>
  <entry id="1" type="entity">
    <name>Testev Holding AD</name>
    <address><city>Sofia</city><country>Bulgaria</country></address>
    <doc kind="imo">IMO 9000001</doc>
  </entry>
</list>
"""


def test_xml_mapping_with_namespaces_each_and_attributes(tmp_path: Path) -> None:
    mapping = load_mapping(_mapping(tmp_path, XML_MAPPING))
    data = tmp_path / "list.xml"
    data.write_text(XML_LIST, encoding="utf-8")
    entities, record = parse_with_mapping(mapping, data, None)
    by_id = {e.entity_id: e for e in entities}
    assert sorted(by_id) == ["TX-1", "TX-1-2"]  # duplicate_ids: suffix
    boris, holding = by_id["TX-1"], by_id["TX-1-2"]
    assert (boris.entity_kind, boris.list_date, boris.countries) == ("person", "2030-03-04", ["BG"])
    assert [(n.name, n.name_type) for n in boris.names] == [
        ("Boris TESTEV", "primary"),
        ("Bob Testev", "alias"),
        ("B. Testev", "alias"),
        ("Bobby", "weak_alias"),
    ]
    assert [(i.id_type, i.id_value, i.id_country) for i in boris.identifiers] == [
        ("PASSPORT", "X1", "BG"),
        ("OTHER_ID", "C2", None),
    ]
    assert holding.entity_kind == "organization"
    assert [(a.city, a.country) for a in holding.addresses] == [("Sofia", "BG")]
    assert [(i.id_type, i.id_value) for i in holding.identifiers] == [("IMO", "9000001")]
    assert record.stats["ids_disambiguated"] == 1
    assert record.stats["unmapped_country_names"] == {"former Soviet Union": 1}
    # kind="card" is not in the map: the default, counted; an alias without strength has no
    # value at all: the default, not counted
    assert record.stats["values_not_in_map"] == {"records[0].identifiers[0].type": 1}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("name: test-list", "name: Test List"), r"line 2: name: lower-case letters"),
        (("  format: csv\n", "  format: json\n"), r"line 5: input.format: expected one of csv"),
        (
            ("    name: Name\n", "    name: Name\n    nickname: x\n"),
            r"line 18: records\[0\]\.nickname: unknown key \(allowed here: element, kind",
        ),
        (
            ("P: person", "P: human"),
            r"line 16: records\[0\]\.kind\.map\.P: expected one of person, organization",
        ),
        (
            ("    name: Name\n", "    name: Nmae\n"),
            r"line 17: records\[0\]\.name: column 'Nmae' is not in input.columns",
        ),
        (("type: PASSPORT", "type: PASSPORTS"), r"identifiers\[0\]\.type: expected one of"),
        (
            ("pattern: '^(\\w+)'", "pattern: '^(\\w+'"),
            r"identifiers\[0\]\.value\.pattern: not a valid regular expression",
        ),
        (("pattern: '^(\\w+)'", "pattern: '^\\w+'"), r"must have exactly 1 group"),
        (
            ('  - id: {template: "TL-{Ref}"}\n', '  - id: {template: "TL-{Ref"}\n'),
            r"records\[0\]\.id\.template: unbalanced",
        ),
        (
            ('  - id: {template: "TL-{Ref}"}\n', '  - id: {template: "TL", const: "x"}\n'),
            r"records\[0\]\.id: a value needs exactly one of field, const",
        ),
        (
            ("    countries: [Country]\n", "    countries: [{field: Country, default: X}]\n"),
            r"countries\[0\]\.default: default is for a value with map",
        ),
        (("    name: Name\n", ""), r"records\[0\]: missing required key name"),
        (
            ("    name: Name\n", "    name: Name\n    element: row\n"),
            r"records\[0\]\.element: element is for XML lists",
        ),
        (
            (
                '      - value: {field: Other names, split: "|"}\n',
                '      - value: {field: Other names, split: "|"}\n        each: x\n',
            ),
            r"aliases\[0\]\.each: each is for XML lists",
        ),
        (
            ("format: omphalos-registry-mapping/1", "format: omphalos-registry-mapping/2"),
            r"line 1: format: expected omphalos-registry-mapping/1",
        ),
        (
            ("source_list: TEST_LIST\n", "source_list: TEST_LIST\nsource_list: X\n"),
            r"line 4: source_list: repeated key",
        ),
        (
            ("  from: file_name\n", "  from: argument\n"),
            r"list_date.pattern: not for from: argument",
        ),
        (("records:", "records: [\n"), r"m.yml: line \d+: "),
    ],
)
def test_mapping_validation_errors_are_located(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    old, new = edit
    assert old in CSV_MAPPING, old
    path = _mapping(tmp_path, CSV_MAPPING.replace(old, new, 1))
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


def test_mapping_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "l_20300101.csv"
    data.write_text(CSV_LIST, encoding="utf-8")
    out = str(tmp_path / "o")
    assert cli("import", "--source", "mapping", "--file", str(data), "--out", out) == 2
    bad = _mapping(tmp_path, CSV_MAPPING.replace("P: person", "P: human"))
    assert cli("import", "--source", "mapping", "--mapping", str(bad), "--file", str(data),
               "--out", out) == 2  # fmt: skip
    assert cli("import", "--source", "csl", "--mapping", str(bad), "--file", str(data),
               "--list-date", "2030-01-01", "--out", out) == 2  # fmt: skip
    assert not (tmp_path / "o").exists()


def test_shipped_mappings_are_valid() -> None:
    found = sorted(p.name for p in MAPPINGS.glob("*.yml"))
    assert found == ["bis_dpl.yml", "un_sc.yml"]
    for path in MAPPINGS.glob("*.yml"):
        load_mapping(path)


# ---------------------------------------------------------------------------------------------
# the shipped mappings give the built-in importers' registry on the real lists


@pytest.mark.parametrize(
    ("builtin", "mapping", "file_name", "list_date"),
    [
        ("bis-dpl", "bis_dpl.yml", "bis_dpl_2022-09.txt", ["--list-date", "2022-09-07"]),
        ("un-xml", "un_sc.yml", "un_consolidated_2026-02-27.xml", []),
    ],
)
def test_mapping_equals_builtin_importer_on_the_real_list(
    tmp_path: Path, builtin: str, mapping: str, file_name: str, list_date: list[str]
) -> None:
    path = shared_data() / "watchlists" / "other" / file_name
    a, b = tmp_path / "builtin", tmp_path / "mapping"
    assert cli("import", "--source", builtin, "--file", str(path), *list_date, "--out", str(a)) == 0
    assert cli("import", "--source", "mapping", "--mapping", str(MAPPINGS / mapping),
               "--file", str(path), *list_date, "--out", str(b)) == 0  # fmt: skip
    for file_name_out in REGISTRY_CSVS:
        assert (a / file_name_out).read_bytes() == (b / file_name_out).read_bytes(), file_name_out
    sa, sb = source_doc(a)["sources"][0], source_doc(b)["sources"][0]  # type: ignore[index]
    assert sa["counts"] == sb["counts"] and sa["list_date"] == sb["list_date"]
    assert sa["counts"]["entities"] > 400
    assert sa["parse"]["unmapped_country_names"] == sb["parse"]["unmapped_country_names"]


# ---------------------------------------------------------------------------------------------
# combine: any folder of valid registry files


def _hand_made(folder: Path, entities: str, names: str, identifiers: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ENTITIES_FILE).write_text(
        "entity_id,source_list,list_date,entity_kind,primary_name,countries,programs,remarks\r\n"
        + entities,
        encoding="utf-8",
    )
    (folder / NAMES_FILE).write_text(
        "\ufeffname_id,entity_id,name,name_type,script\n" + names, encoding="utf-8"
    )
    if identifiers is not None:
        (folder / IDENTIFIERS_FILE).write_text(
            "identifier_id,entity_id,id_type,id_value,id_country\n" + identifiers,
            encoding="utf-8",
        )
    return folder


def test_combine_accepts_a_hand_made_folder_and_checks_it(tmp_path: Path) -> None:
    data = tmp_path / "l_20300101.csv"
    data.write_text(CSV_LIST, encoding="utf-8")
    imported = tmp_path / "imported"
    assert cli("import", "--source", "mapping", "--mapping", str(_mapping(tmp_path, CSV_MAPPING)),
               "--file", str(data), "--out", str(imported)) == 0  # fmt: skip
    hand = _hand_made(
        tmp_path / "canada",
        "CA-2,CA_SEMA,2030-01-05,Organization,North Test Corp,ru;by,,\r\n"
        "CA-10,CA_SEMA,2030-01-05,person,Jean TESTEUR,,,\r\n",
        "CA-2-N1,CA-2,North Test Corp,primary,latin\nCA-10-N1,CA-10,Jean TESTEUR,PRIMARY,latin\n",
    )
    out = tmp_path / "all"
    doc = combine_registries([imported, hand], out)
    assert [r["entity_id"] for r in rows(out, ENTITIES_FILE)] == [
        "CA-2",
        "CA-10",
        "TL-7",
        "TL-8",
        "TL-10",
    ]
    ca2 = entity(out, "CA-2")
    assert (ca2["entity_kind"], ca2["countries"]) == ("organization", "BY;RU")
    assert ("Jean TESTEUR", "primary") in names_of(out, "CA-10")
    hand_source = doc["sources"][1]
    assert (hand_source["source"], hand_source["source_list"], hand_source["list_date"]) == (
        "registry-files",
        "CA_SEMA",
        "2030-01-05",
    )
    assert doc["combined_from"][1]["registry_source_sha256"] is None
    assert admit_registry(out, tmp_path)[1] == []
    assert cli("combine", "--in", str(hand), "--in", str(imported), "--out",
               str(tmp_path / "cli")) == 0  # fmt: skip


@pytest.mark.parametrize(
    ("entities", "names", "identifiers", "message"),
    [
        (
            "CA-1,CA,2030-01-05,company,X,,,\n",
            "",
            None,
            r"registry_entities.csv: row 2: column entity_kind: not one of person",
        ),
        ("CA-1,CA,05/01/2030,person,X,,,\n", "", None, r"row 2: column list_date: not a date"),
        (
            "CA-1,CA,2030-01-05,person,X,Canada,,\n",
            "",
            None,
            r"row 2: column countries: not ISO 3166-1 alpha-2 code\(s\) joined by ;",
        ),
        (
            "CA-1,CA,2030-01-05,person,X,,,\nCA-1,CA,2030-01-05,person,Y,,,\n",
            "",
            None,
            r"row 3: column entity_id: repeats row 2",
        ),
        (
            "CA-1,CA,2030-01-05,person,X,,,\n",
            "N1,CA-9,X,primary,\n",
            None,
            r"registry_names.csv: row 2: column entity_id: no entity of that id",
        ),
        (
            "CA-1,CA,2030-01-05,person,X,,,\n",
            "N1,CA-1,X,nickname,\n",
            None,
            r"registry_names.csv: row 2: column name_type: not one of primary",
        ),
        (
            "CA-1,CA,2030-01-05,person,X,,,\n",
            "",
            "I1,CA-1,PASSPORT,,\n",
            r"registry_identifiers.csv: row 2: column id_value: empty",
        ),
        (
            "CA-1,CA,2030-01-05,person,X,,\n",
            "",
            None,
            r"registry_entities.csv: line 2: expected 8 fields, found 7",
        ),
    ],
)
def test_combine_refuses_invalid_registry_files_with_their_location(
    tmp_path: Path, entities: str, names: str, identifiers: str | None, message: str
) -> None:
    good = _hand_made(tmp_path / "good", "GB-1,GB,2030-01-05,person,Y,,,\n", "")
    bad = _hand_made(tmp_path / "bad", entities, names, identifiers)
    with pytest.raises(RegistryError, match=message):
        combine_registries([good, bad], tmp_path / "out")


def test_combine_refuses_an_imported_folder_changed_after_import(tmp_path: Path) -> None:
    data = tmp_path / "l_20300101.csv"
    data.write_text(CSV_LIST, encoding="utf-8")
    imported = tmp_path / "imported"
    assert cli("import", "--source", "mapping", "--mapping", str(_mapping(tmp_path, CSV_MAPPING)),
               "--file", str(data), "--out", str(imported)) == 0  # fmt: skip
    changed = tmp_path / "changed"
    shutil.copytree(imported, changed)
    with (changed / NAMES_FILE).open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(["TL-7-N9", "TL-7", "EXTRA", "alias", ""])
    hand = _hand_made(tmp_path / "hand", "GB-1,GB,2030-01-05,person,Y,,,\n", "")
    with pytest.raises(RegistryError, match=r"registry_names.csv: not the file registry_source"):
        combine_registries([changed, hand], tmp_path / "out")
    (changed / SOURCE_FILE).unlink()
    doc = combine_registries([changed, hand], tmp_path / "out")
    assert doc["outputs"][NAMES_FILE]["rows"] == 7


def test_the_documented_mapping_example_is_valid_and_reads_a_list(tmp_path: Path) -> None:
    import re

    doc = (REPO / "docs" / "registries.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n(format: omphalos-registry-mapping/1.*?)```", doc, re.S)
    assert found is not None
    mapping = load_mapping(_mapping(tmp_path, found.group(1)))
    data = tmp_path / "sema_20260820.csv"
    data.write_text(
        "Ref;Type;Name;Aliases;Country;Citizenship;Regime;Birth date;Notes;Passport;Address;"
        "City;Province;Postcode\n1;I;Jean (a.k.a. Johnny) TEST a/k/a J. T.;Jo;Canada;FR,be;"
        "RUSSIA;1970;weak: Jeannot;AB123 (France);1 rue;Paris;;75001\n",
        encoding="utf-8",
    )
    (e,), _ = parse_with_mapping(mapping, data, None)
    assert (e.entity_id, e.primary_name, e.list_date) == ("CA-1", "Jean TEST", "2026-08-20")
    assert [(n.name, n.name_type) for n in e.names][1:] == [
        ("Johnny", "alias"),
        ("J. T.", "alias"),
        ("Jo", "alias"),
        ("Jeannot", "weak_alias"),
    ]
    assert sorted(e.countries) == ["BE", "CA", "FR"]
