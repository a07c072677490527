"""The publishability scan: planted hazards of every kind in every file type are found and
located, clean prose is not flagged, values are never stored, suppressions are applied and
listed, and the project's repository and the demo run scan clean.

The hazards are assembled at run time from pieces, so this file itself scans clean.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from catalog_demo import demo_run
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from omphalos.cli import publishability as scan_cli
from omphalos.pipeline.paths import project_root
from omphalos.tools import scan

# --------------------------------------------------------------------------------------------
# hazards, built from pieces

PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    .decode("ascii")
)
AWS_KEY = "AK" + "IA" + "Q3EGRIRB2KXW7TZN"
GITHUB_TOKEN = "gh" + "p_" + "Zq8vN3xT5rL1mK7pW2yH9cB4dF6gJ0sA1eU3"
YAML_CRED = "Zx9qLm2Vb7Tk4Rw"
URL_CRED = "S3cr3t" + "Pa55word9"
BANNER = "TOP " + "SEC" + "RET//SI//NO" + "FORN"
BANNER2 = "SEC" + "RET//REL TO USA, FVEY"
PORTION = "(S" + "//REL TO USA, FVEY)"
PORTION_TS = "(T" + "S//SI)"
HANDLING_BANNER = "CU" + "I//SP-EXPT"
HANDLING_PORTION = "(U//FO" + "UO)"
HANDLING_PHRASE = "FOR OFFICIAL " + "USE ONLY"
EMAIL = "jane.doe" + "@" + "acme-trading.co.uk"
EMAIL2 = "k.ivanov" + "@" + "mail.ru"
PHONE_INTL = "+44 20 " + "7946 0958"
PHONE_US = "(202) 555" + "-0143"
SSN = "536-22" + "-8416"
IBAN = "GB82 WEST " + "1234 5698 7654 32"
HOST_URL = "https://build01" + ".corp/artifacts"
HOST = "db01.prod" + ".internal"
IP4 = "10.12" + ".0.7"
IP4_B = "192.168" + ".1.20"
IP6 = "fe80" + "::1ff:fe23:4567:890a"
HOME = "/ho" + "me/jsmith/projects/omphalos"
HOME_WIN = "C:\\" + "Users\\jsmith\\Desktop"

LINES = {
    "secret.private_key": PEM,
    "secret.cloud_credential": f"aws_access_key_id = {AWS_KEY}",
    "secret.api_token": f"token {GITHUB_TOKEN}",
    "secret.url_password": f"dsn: postgresql://analyst:{URL_CRED}@db.example.org:5432/x",
    "marking.classification": f"{BANNER}\n{PORTION} The shipment was diverted.\n{BANNER2}",
    "marking.dissemination_control": "Releasable: NO" + "FORN",
    "marking.handling": f"{HANDLING_BANNER}\n{HANDLING_PORTION} Draft.\n{HANDLING_PHRASE}",
    "pii.email": f"contact {EMAIL} or {EMAIL2}",
    "pii.phone": f"call {PHONE_INTL} or {PHONE_US}",
    "pii.us_ssn": f"ssn {SSN}",
    "pii.iban": f"pay to {IBAN}",
    "infra.internal_hostname": f"see {HOST_URL} and {HOST}:5432",
    "infra.private_ip": f"hosts {IP4}, {IP4_B} and {IP6}",
    "infra.home_path": f"log at {HOME}/run.log and {HOME_WIN}\\notes.txt",
}
ALL_RULES = set(LINES) | {"secret.password_assignment"}

CLEAN_PROSE = """\
# Screening notes

The secret to good screening is patience. Top secret recipes and the Secret Service aside,
confidential sources are not cited here; nothing is classified, and no one said "secret".
The SECRET of this paragraph is that it is written in capitals mid-sentence.
(C) 2026 omphalOS contributors. Party(s) and item(s) are listed below.
(a) first item (b) second item
Dates such as 2026-10-31, amounts like 1234567.89 and 0.9600, HS code 847130, shipment SHP-0000001,
registration 91T6L0F0JRBUQUL210, tax id 735513815024, IMO 9387421.
Write to someone@example.com, or reviewer@screening.test. Loopback 127.0.0.1 and ::1 are fine.
Public hosts 8.8.8.8 and www.baohua.com are fine. threading.local() and self.local are code.
The configuration reads password = os.environ["PGPASSWORD"] and url postgresql://user:${PGPASSWORD}@localhost/db.
Paths: /home/user/project, ~/omphalos, $HOME/data, /usr/local/lib, C:\\Program Files\\omphalos.
CUI is discussed in prose as controlled unclassified information; fouo in lowercase is not a marking.
Cui bono? The cui of the question. The word SECRETARIAT and TOPSECRET123 are not markings.
"""


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hazards")
    text = "\n".join(LINES.values()) + f'\nsettings:\n  password: "{YAML_CRED}"\n'
    (root / "notes.md").write_text(text, encoding="utf-8")
    (root / "config.yaml").write_text(f"db:\n  password: {YAML_CRED}\n", encoding="utf-8")
    (root / "clean.md").write_text(CLEAN_PROSE, encoding="utf-8")
    # CSV: one hazard per row, in the `detail` column
    rows = ["id,detail,note"]
    for i, (rule, value) in enumerate(sorted(LINES.items()), start=1):
        flat = value.replace("\n", " ") if rule != "secret.private_key" else "see key file"
        rows.append(f'{i},"{flat.replace(chr(34), chr(34) * 2)}",{rule}')
    (root / "parties.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    # JSON with escapes that hide the text from a plain text search
    doc = {
        "parties": [{"name": "ACME", "contact": EMAIL.replace("@", "\\u0040")}],
        "marking": BANNER.replace("/", "\\/"),
        EMAIL2: "as a key",
    }
    raw = json.dumps(doc).replace("\\\\u0040", "\\u0040").replace("\\\\/", "\\/")
    (root / "doc.json").write_text(raw, encoding="utf-8")
    (root / "events.jsonl").write_text(
        json.dumps({"event": "note", "text": f"phone {PHONE_US}"})
        + "\n"
        + json.dumps({"event": "ok"})
        + "\nnot json: "
        + SSN
        + "\n",
        encoding="utf-8",
    )
    # Parquet: hazards in cells, one in a column name, one in the key-value metadata
    table = pa.table(
        {
            "party": ["ACME LTD", "BETA LLC", None, "GAMMA"],
            "contact": ["none", EMAIL, "none", EMAIL],
            "value": [1, 2, 3, 4],
            f"note {IP4_B}": ["a", "b", "c", HANDLING_BANNER],
        }
    ).replace_schema_metadata({"owner": HOME})
    pq.write_table(table, root / "cells.parquet")
    pq.write_table(
        pa.table({"x": ["clean " * 5] * 10, "n": list(range(10))}), root / "clean.parquet"
    )
    # DuckDB: a table with hazards and a view whose SQL carries one
    db = root / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    con.execute("create table marts.contacts (id integer, email varchar, ssn varchar, n double)")
    con.execute(
        "insert into marts.contacts values (1, ?, 'none', 1.5), (2, 'none', ?, 2.5)", [EMAIL, SSN]
    )
    con.execute(f"create view marts.v as select '{IP4}' as host")
    con.close()
    # more than 2 MB of text with the hazard at the very end
    with (root / "big.log").open("w", encoding="utf-8") as fh:
        for i in range(60_000):
            fh.write(f"{i:08d} INFO nothing to see in this line of the log file\n")
        fh.write(f"FINAL {HOST_URL}\n")
    (root / "blob.bin").write_bytes(b"\x00\x01\x02" * 1000 + IP4.encode() + b"\x00\xff" * 10)
    (root / "bundle.gz").write_bytes(gzip.compress(b"anything"))
    (root / "corrupt.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"garbage" * 10)
    (root / "broken.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 10 + b"PAR1")
    os.symlink(root / "notes.md", root / "link.md")
    return root


@pytest.fixture(scope="module")
def report(tree: Path) -> scan.ScanReport:
    return scan.scan_path(tree)


def _by_file(report: scan.ScanReport) -> dict[str, list[scan.Finding]]:
    out: dict[str, list[scan.Finding]] = {}
    for f in report.findings:
        out.setdefault(f.path, []).append(f)
    return out


# --------------------------------------------------------------------------------------------
# detection


def test_every_hazard_found_in_text(report: scan.ScanReport) -> None:
    found = _by_file(report)["notes.md"]
    assert {f.rule for f in found} == ALL_RULES
    lines = {f.rule: f.location["line"] for f in found}
    assert lines["marking.dissemination_control"] > 1
    assert all("column" in f.location for f in found)
    # every finding, not the first per file
    assert sum(1 for f in found if f.rule == "pii.email") == 2
    assert sum(1 for f in found if f.rule == "pii.phone") == 2
    assert sum(1 for f in found if f.rule == "infra.private_ip") == 3
    assert sum(1 for f in found if f.rule == "marking.classification") >= 3


def test_config_password(report: scan.ScanReport) -> None:
    (f,) = _by_file(report)["config.yaml"]
    assert f.rule == "secret.password_assignment"
    assert f.location == {"line": 2, "column": 13}
    assert f.value_sha256 == _sha(YAML_CRED)


def test_clean_prose_is_not_flagged(report: scan.ScanReport) -> None:
    assert "clean.md" not in _by_file(report)
    assert "clean.parquet" not in _by_file(report)


def test_csv_cells_are_located_by_row_and_column(report: scan.ScanReport) -> None:
    found = _by_file(report)["parties.csv"]
    expected = set(LINES) - {"secret.private_key"}
    assert {f.rule for f in found} == expected
    for f in found:
        assert f.location["column_name"] == "detail"
        assert 2 <= f.location["row"] <= len(LINES) + 1


def test_json_values_are_decoded(report: scan.ScanReport) -> None:
    found = {(f.rule, f.location["pointer"]) for f in _by_file(report)["doc.json"]}
    assert ("pii.email", "/parties/0/contact") in found
    assert ("marking.classification", "/marking") in found
    assert ("pii.email", "/" + EMAIL2) in found  # keys are scanned too
    jsonl = {(f.rule, f.location.get("line")) for f in _by_file(report)["events.jsonl"]}
    assert jsonl == {("pii.phone", 1), ("pii.us_ssn", 3)}


def test_parquet_cells_names_and_metadata(report: scan.ScanReport) -> None:
    found = _by_file(report)["cells.parquet"]
    cells = sorted(
        (f.rule, f.location.get("row"), f.location.get("column_name"))
        for f in found
        if "row" in f.location
    )
    assert cells == [
        ("marking.handling", 4, f"note {IP4_B}"),
        ("pii.email", 2, "contact"),
        ("pii.email", 4, "contact"),
    ]
    assert any(
        f.rule == "infra.private_ip" and f.location["schema"] == "column_names" for f in found
    )
    assert any(
        f.rule == "infra.home_path" and f.location["schema"] == "metadata:owner" for f in found
    )


def test_duckdb_tables_and_views_read_only(tree: Path, report: scan.ScanReport) -> None:
    found = {
        (f.rule, f.location.get("table"), f.location.get("row"), f.location.get("column_name"))
        for f in _by_file(report)["warehouse.duckdb"]
    }
    assert ("pii.email", "marts.contacts", 1, "email") in found
    assert ("pii.us_ssn", "marts.contacts", 2, "ssn") in found
    assert any(f.location.get("view") == "marts.v" for f in _by_file(report)["warehouse.duckdb"])
    entry = next(e for e in report.files if e["path"] == "warehouse.duckdb")
    assert entry["kind"] == "duckdb"
    assert entry["sha256"] == hashlib.sha256((tree / "warehouse.duckdb").read_bytes()).hexdigest()
    assert not (tree / "warehouse.duckdb.wal").exists()


def test_no_size_limit_binary_archive_symlink_unreadable(report: scan.ScanReport) -> None:
    files = _by_file(report)
    (big,) = files["big.log"]
    assert big.rule == "infra.internal_hostname" and big.location["line"] == 60_001
    (blob,) = files["blob.bin"]
    assert blob.rule == "infra.private_ip" and blob.location == {"byte_offset": 3000}
    assert "bundle.gz" not in files  # opened and read: nothing in it
    (corrupt,) = files["corrupt.gz"]
    assert corrupt.rule == "scan.opaque_archive" and corrupt.severity == "HIGH"
    assert [f.rule for f in files["link.md"]] == ["scan.symlink"]
    (broken,) = files["broken.parquet"]
    assert broken.rule == "scan.unreadable" and broken.severity == "HIGH"


def test_values_are_hashed_never_stored(
    tree: Path, report: scan.ScanReport, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    sarif = tmp_path / "report.sarif"
    report.write_json(out)
    report.write_sarif(sarif)
    for path in (out, sarif):
        body = path.read_text(encoding="utf-8")
        for value in (AWS_KEY, GITHUB_TOKEN, URL_CRED, EMAIL, SSN, IP4, YAML_CRED, BANNER):
            assert value not in body, f"{value[:6]}... leaked into {path.name}"
    digests = {f.value_sha256 for f in report.findings}
    for value in (AWS_KEY, GITHUB_TOKEN, URL_CRED, EMAIL, SSN, IBAN, PHONE_US):
        assert _sha(value) in digests
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["schema_version"] == "omphalos.publishability_report/1"
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is in the dev lock
        return
    schema_path = project_root() / "contracts" / "publishability_report.schema.json"
    jsonschema.validate(doc, json.loads(schema_path.read_text(encoding="utf-8")))
    assert doc["summary"]["blocking"] == len(report.blocking) > 0
    assert doc["rule_pack"]["path"] == "contracts/publishability_rules.yml"


def test_sarif(report: scan.ScanReport) -> None:
    sarif: Any = report.to_sarif()
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(run["results"]) == len(report.findings)
    assert all(r["ruleId"] in ids for r in run["results"])
    levels = {r["level"] for r in run["results"]}
    assert {"error", "warning", "note"} <= levels


# --------------------------------------------------------------------------------------------
# suppressions and exit codes


def _write_suppressions(path: Path, entries: list[dict[str, Any]]) -> Path:
    doc = {"schema_version": "omphalos.publishability_suppressions/1", "suppressions": entries}
    path.write_text(json.dumps(doc), encoding="utf-8")  # JSON is YAML
    return path


def test_suppressions_are_applied_and_listed(tree: Path, tmp_path: Path) -> None:
    sup = _write_suppressions(
        tmp_path / "sup.yml",
        [
            {
                "rule": "pii.email",
                "path": "*.parquet",
                "value_sha256": _sha(EMAIL),
                "reason": "test fixture address, not a person",
            },
            {
                "rule": "secret.password_assignment",
                "path": "config.yaml",
                "line": 2,
                "reason": "throwaway password of the test fixture",
            },
            {"rule": "scan.symlink", "path": "link.md", "reason": "the link is deliberate here"},
            {"rule": "pii.iban", "path": "nowhere/*", "reason": "matches nothing at all"},
        ],
    )
    report = scan.scan_path(tree, suppressions=sup)
    doc = report.to_dict()
    matched = {s["index"]: s["matched"] for s in doc["suppressions"]}
    assert matched[0] == 2 and matched[1] == 1 and matched[2] == 1 and matched[3] == 0
    assert doc["unused_suppressions"] == [3]
    assert doc["suppressions"][2]["scope"] == "file"
    suppressed = doc["suppressed_findings"]
    assert len(suppressed) == doc["summary"]["suppressed"] == 4
    assert all(f["suppression"] in (0, 1, 2) for f in suppressed)
    assert not any(
        f["rule"] == "pii.email" and f["path"] == "cells.parquet" for f in doc["findings"]
    )
    sarif = report.to_sarif()
    justified = [r for r in sarif["runs"][0]["results"] if "suppressions" in r]
    assert len(justified) == 4


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"rule": "pii.email", "path": "*"}, "reason"),
        ({"rule": "pii.email", "path": "*", "reason": "  "}, "reason"),
        ({"rule": "no.such_rule", "path": "*", "reason": "a good reason"}, "unknown rule"),
        ({"rule": "pii.email", "reason": "a good reason"}, "path"),
        ({"rule": "pii.email", "path": "*", "reason": "a good reason", "value_sha256": "x"}, "hex"),
        ({"rule": "pii.email", "path": "*", "reason": "a good reason", "extra": 1}, "unknown key"),
    ],
)
def test_bad_suppressions(entry: dict[str, Any], message: str, tmp_path: Path) -> None:
    path = _write_suppressions(tmp_path / "bad.yml", [entry])
    with pytest.raises(scan.ScanError, match=message):
        scan.load_suppressions(path, scan.load_rule_pack())


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="omphalos publishability")
    scan_cli.add_arguments(parser)
    return scan_cli.main_from_args(parser.parse_args(list(argv)))


def test_exit_codes(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    assert _cli("scan", "--path", str(tree), "--out", str(out), "--sarif", str(tmp_path / "s")) == 1
    assert json.loads(out.read_text())["ok"] is False
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "clean.md").write_text(CLEAN_PROSE, encoding="utf-8")
    assert _cli("scan", "--path", str(clean), "--out", str(tmp_path / "c.json")) == 0
    assert _cli("scan", "--path", str(tmp_path / "missing")) == 2
    bad = _write_suppressions(tmp_path / "bad.yml", [{"rule": "pii.email", "path": "*"}])
    assert _cli("scan", "--path", str(clean), "--suppressions", str(bad)) == 2
    # MEDIUM and LOW findings alone do not block
    medium = tmp_path / "medium"
    medium.mkdir()
    (medium / "a.txt").write_text(f"mail {EMAIL}\n", encoding="utf-8")
    assert _cli("scan", "--path", str(medium)) == 0
    # excluded paths are skipped and the exclusion recorded
    excl = tmp_path / "e.json"
    assert _cli("scan", "--path", str(tree), "--exclude", "*", "--out", str(excl)) == 0
    assert json.loads(excl.read_text())["options"]["excludes"] == ["*"]
    capsys.readouterr()


def test_preflight(tree: Path, tmp_path: Path) -> None:
    reasons = scan.preflight_scan(tree)
    assert reasons and all(r.startswith("HIGH ") for r in reasons)
    assert not any(AWS_KEY in r or SSN in r for r in reasons)
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "clean.md").write_text(CLEAN_PROSE, encoding="utf-8")
    assert scan.preflight_scan(clean) == []
    with pytest.raises(scan.ScanError):
        scan.preflight_scan(tmp_path / "missing")


def test_rule_pack_is_declared_and_validated(tmp_path: Path) -> None:
    pack = scan.load_rule_pack()
    ids = [r.id for r in pack.rules]
    assert len(ids) == len(set(ids))
    assert {r.severity for r in pack.rules} == {"HIGH", "MEDIUM", "LOW"}
    assert set(ids) >= ALL_RULES
    bad = tmp_path / "rules.yml"
    bad.write_text(
        "schema_version: omphalos.publishability_rules/1\nrules:\n"
        "  - {id: x.y, severity: SEVERE, category: c, title: t, description: d, detector: email}\n",
        encoding="utf-8",
    )
    with pytest.raises(scan.ScanError, match="severity"):
        scan.load_rule_pack(bad)


# --------------------------------------------------------------------------------------------
# the project's own material


def test_demo_run_scans_clean(tmp_path_factory: pytest.TempPathFactory) -> None:
    run = demo_run(tmp_path_factory.mktemp("catalog_demo"))
    report = scan.scan_path(run)
    assert report.blocking == [], [f.where() for f in report.blocking]
    assert report.open_findings == [], [(f.rule, f.where()) for f in report.open_findings]


def test_repository_scans_clean() -> None:
    root = project_root()
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    report = scan.scan_path(
        root,
        git_files=True,
        suppressions=root / "contracts" / "publishability_suppressions.yml",
    )
    assert report.blocking == [], [(f.rule, f.where()) for f in report.blocking]
    assert report.open_findings == [], [(f.rule, f.where()) for f in report.open_findings]
