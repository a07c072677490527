"""Recall of the publishability scan over a planted corpus of 30 file types, and silence over a
clean one.

Every HIGH hazard (keys, tokens, passwords, classification markings, an SSN, an encrypted
PKCS#8 key and a PuTTY v3 key) is planted in every file type the scan reads: plain text,
Markdown, CSV, JSON, JSON Lines, YAML, dotenv, INI, Python, JavaScript, HTML, XML, Parquet,
DuckDB, zip, tar, tar.gz, gz, bz2, xz, xlsx, docx, pptx, PDF with a FlateDecode content stream,
UTF-16 LE/BE with and without a byte-order mark, and a zip holding a tar.gz. Recall is the share
of (file, hazard) plants found with the right rule and value hash; it must be at least 98%. The
clean corpus (prose, code, UUIDs, hashes, in the same containers) must give no finding at all.

The hazards are assembled from pieces at run time, so this file itself scans clean.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import html
import io
import json
import lzma
import re
import tarfile
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from omphalos.tools import scan

# --------------------------------------------------------------------------------------------
# hazards, built from pieces

_ENCRYPTED_PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"correct horse"),
    )
    .decode("ascii")
    .strip()
)
_PUTTY = "\n".join(
    [
        "PuTTY-User-Key-File-" + "3: ssh-ed25519",
        "Encryption: none",
        "Comment: eddsa-key-20260101",
        "Public-Lines: 2",
        "AAAAC3NzaC1lZDI1NTE5AAAAIOq2cbzx4XkIu9vJ0c8Nq1ZlSmVd3wXc2f0vQh7t",
        "Hk3m",
        "Private-Lines: 1",
        "AAAAIFp1c2VyLXNlY3JldC1rZXktbWF0ZXJpYWwtZm9yLXRlc3RzLW9ubHk=",
        "Private-MAC: 6f1e3b2a9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f",
    ]
)
AWS_KEY = "AK" + "IA" + "Q3EGRIRB2KXW7TZN"
GITHUB_TOKEN = "gh" + "p_" + "Zq8vN3xT5rL1mK7pW2yH9cB4dF6gJ0sA1eU3"
DB_CRED = "Zx9qLm2Vb7" + "Tk4Rw"
URL_CRED = "S3cr3t" + "Pa55word9"
SSN = "536-22" + "-8416"
BANNER = "TOP " + "SEC" + "RET//SI//NO" + "FORN"
DISSEM = "NO" + "FORN"


@dataclass(frozen=True)
class Hazard:
    key: str  # a config-style name for formats that assign values
    rule: str
    value: str  # what the finding's value_sha256 must be the hash of
    line: str  # the hazard as a person writes it in prose or a log


HAZARDS = [
    Hazard("aws_access_key_id", "secret.cloud_credential", AWS_KEY, f"aws key id {AWS_KEY}"),
    Hazard("github_token", "secret.api_token", GITHUB_TOKEN, f"token {GITHUB_TOKEN}"),
    Hazard(
        "db_password",
        "secret.password_assignment",
        DB_CRED,
        f'db_password = "{DB_CRED}"',
    ),
    Hazard(
        "database_url",
        "secret.url_password",
        URL_CRED,
        f"postgresql://analyst:{URL_CRED}@db.example.org:5432/screening",
    ),
    Hazard("holder_ssn", "pii.us_ssn", SSN, f"holder ssn {SSN}"),
    Hazard("banner", "marking.classification", BANNER, BANNER),
    Hazard("releasability", "marking.dissemination_control", DISSEM, f"Releasable: {DISSEM}"),
    Hazard(
        "signing_key",
        "secret.private_key",
        "BEGIN ENCRYPTED PRIVATE KEY",
        _ENCRYPTED_PEM,
    ),
    Hazard("putty_key", "secret.private_key", "PuTTY-User-Key-File-3", _PUTTY),
]


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# writers: a list of text items (each one hazard or one clean paragraph) to a file of a type


Items = list[str]


def _lines(items: Items) -> str:
    return "\n".join(items) + "\n"


def _txt(items: Items) -> bytes:
    return _lines(items).encode("utf-8")


def _md(items: Items) -> bytes:
    out = ["# Notes", ""]
    for item in items:
        out += ["```", item, "```", ""] if "\n" in item else [f"- {item}", ""]
    return _lines(out).encode("utf-8")


def _csv(items: Items) -> bytes:
    rows = ["id,note,source"]
    for i, item in enumerate(items, start=1):
        rows.append(f'{i},"{item.replace(chr(34), chr(34) * 2)}",manual')
    return _lines(rows).encode("utf-8")


def _json(items: Items) -> bytes:
    return json.dumps({"notes": items, "count": len(items)}, indent=2).encode("utf-8")


def _jsonl(items: Items) -> bytes:
    return _lines([json.dumps({"event": "note", "text": i}) for i in items]).encode("utf-8")


def _yaml_like(items: Items) -> bytes:
    out = ["notes:"]
    for item in items:
        out.append("  - |")
        out += [f"    {line}" for line in item.split("\n")]
    return _lines(out).encode("utf-8")


_ASSIGNMENT = re.compile(r'^[a-z_]+ = "[^"]*"$')


def _py(items: Items) -> bytes:
    out = ['"""Module notes."""', ""]
    for i, item in enumerate(items):
        if _ASSIGNMENT.match(item):
            out.append(item)  # an assignment is written as code
        elif "\n" in item:
            out.append(f'BLOCK_{i} = """\n{item}\n"""')
        else:
            out.append(f"NOTE_{i} = {json.dumps(item)}")
    return _lines(out).encode("utf-8")


def _js(items: Items) -> bytes:
    out = ["// notes"]
    for i, item in enumerate(items):
        if _ASSIGNMENT.match(item):
            out.append(f"const {item};")  # an assignment is written as code
        elif "\n" in item:
            out.append(f"const block{i} = `\n{item}\n`;")
        else:
            out.append(f"const note{i} = {json.dumps(item)};")
    return _lines(out).encode("utf-8")


def _html(items: Items) -> bytes:
    body = "".join(
        f"<pre>{html.escape(i, quote=False)}</pre>\n"
        if "\n" in i
        else f"<p>{html.escape(i, quote=False)}</p>\n"
        for i in items
    )
    return f"<!doctype html>\n<html><body>\n{body}</body></html>\n".encode()


def _xml(items: Items) -> bytes:
    body = "".join(f"  <note>{html.escape(i, quote=False)}</note>\n" for i in items)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<notes>\n{body}</notes>\n'.encode()


def _parquet(items: Items) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"id": list(range(len(items))), "note": items}), sink)
    return sink.getvalue()


def _duckdb(items: Items, folder: Path) -> bytes:
    path = folder / f"tmp-{uuid.uuid4().hex}.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table notes (id integer, note varchar)")
    con.executemany("insert into notes values (?, ?)", list(enumerate(items)))
    con.close()
    data = path.read_bytes()
    path.unlink()
    return data


def _zip(members: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return sink.getvalue()


def _tar(members: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with tarfile.open(fileobj=sink, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))
    return sink.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _runs(text: str, tag: str) -> str:
    """A paragraph's text as two runs when long enough (Office splits text at any edit)."""
    cut = len(text) // 2 if len(text) > 12 else len(text)
    parts = [text[:cut], text[cut:]] if cut < len(text) else [text]
    r, t = ("w:r", "w:t") if tag == "w" else ("a:r", "a:t")
    return "".join(
        f'<{r}><{t} xml:space="preserve">{html.escape(p, quote=False)}</{t}></{r}>' for p in parts
    )


def _docx(items: Items) -> bytes:
    paragraphs = "".join(
        f"<w:p>{_runs(line, 'w')}</w:p>" for item in items for line in item.split("\n")
    )
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{_W}"><w:body>{paragraphs}</w:body></w:document>'
    )
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "word/document.xml": document.encode(),
        }
    )


def _pptx(items: Items) -> bytes:
    paragraphs = "".join(
        f"<a:p>{_runs(line, 'a')}</a:p>" for item in items for line in item.split("\n")
    )
    slide = (
        f'<?xml version="1.0" encoding="UTF-8"?><p:sld xmlns:a="{_A}" '
        'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree>'
        f"<p:sp><p:txBody>{paragraphs}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
    )
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "ppt/slides/slide1.xml": slide.encode(),
        }
    )


def _xlsx(items: Items) -> bytes:
    # shared strings, one as rich text in two runs; cells referencing them by index
    strings = []
    for i, item in enumerate(items):
        esc = html.escape(item, quote=False)
        if i % 2:
            cut = len(esc) // 2
            strings.append(
                f'<si><r><t xml:space="preserve">{esc[:cut]}</t></r>'
                f'<r><t xml:space="preserve">{esc[cut:]}</t></r></si>'
            )
        else:
            strings.append(f'<si><t xml:space="preserve">{esc}</t></si>')
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_S}" count="{len(items)}">'
        + "".join(strings)
        + "</sst>"
    )
    rows = "".join(
        f'<row r="{i + 1}"><c r="A{i + 1}"><v>{i}</v></c><c r="B{i + 1}" t="s"><v>{i}</v></c></row>'
        for i in range(len(items))
    )
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="{_S}"><sheetData>{rows}</sheetData></worksheet>'
    )
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "xl/sharedStrings.xml": shared.encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )


def _pdf_literal(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _pdf(items: Items) -> bytes:
    """A one-page PDF whose content stream is FlateDecode-compressed; every other line is
    shown with TJ in two pieces."""
    ops = ["BT", "/F1 9 Tf", "11 TL", "40 800 Td"]
    n = 0
    for item in items:
        for line in item.split("\n"):
            if n % 2 and len(line) > 8:
                cut = len(line) // 2
                ops.append(f"[{_pdf_literal(line[:cut])} -20 {_pdf_literal(line[cut:])}] TJ T*")
            else:
                ops.append(f"{_pdf_literal(line)} Tj T*")
            n += 1
    ops.append("ET")
    content = zlib.compress("\n".join(ops).encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _utf16(encoding: str, bom: bytes) -> Callable[[Items], bytes]:
    return lambda items: bom + _lines(items).encode(encoding)


Writer = Callable[[Items], bytes]

# file name -> writer of a list of items
FORMATS: dict[str, Writer] = {
    "notes.txt": _txt,
    "README.md": _md,
    "data.csv": _csv,
    "doc.json": _json,
    "events.jsonl": _jsonl,
    "notes.yaml": _yaml_like,
    "app.py": _py,
    "app.js": _js,
    "page.html": _html,
    "data.xml": _xml,
    "cells.parquet": _parquet,
    "bundle.zip": lambda items: _zip({"docs/notes.txt": _txt(items)}),
    "bundle.tar": lambda items: _tar({"docs/notes.txt": _txt(items)}),
    "bundle.tar.gz": lambda items: gzip.compress(_tar({"docs/notes.txt": _txt(items)}), mtime=0),
    "notes.txt.gz": lambda items: gzip.compress(_txt(items), mtime=0),
    "notes.txt.bz2": lambda items: bz2.compress(_txt(items)),
    "notes.txt.xz": lambda items: lzma.compress(_txt(items)),
    "report.xlsx": _xlsx,
    "memo.docx": _docx,
    "slides.pptx": _pptx,
    "report.pdf": _pdf,
    "utf16le-bom.txt": _utf16("utf-16-le", b"\xff\xfe"),
    "utf16be-bom.txt": _utf16("utf-16-be", b"\xfe\xff"),
    "utf16le.txt": _utf16("utf-16-le", b""),
    "utf16be.txt": _utf16("utf-16-be", b""),
    "outer.zip": lambda items: _zip(
        {"inner/bundle.tar.gz": gzip.compress(_tar({"a/notes.json": _json(items)}), mtime=0)}
    ),
    "sheets.zip": lambda items: _zip({"q3/report.xlsx": _xlsx(items)}),
}


def _dotenv(hazards: list[Hazard]) -> bytes:
    out = ["# local settings"]
    for h in hazards:
        if h.rule == "secret.password_assignment":
            out.append(f"DB_PASSWORD={h.value}")
        elif "\n" in h.line:
            out.append(f'{h.key.upper()}="{h.line}"')
        else:
            out.append(f"{h.key.upper()}={h.line}")
    return _lines(out).encode("utf-8")


def _ini(hazards: list[Hazard]) -> bytes:
    out = ["[service]"]
    for h in hazards:
        if h.rule == "secret.password_assignment":
            out.append(f"password = {h.value}")
        else:
            first, *rest = h.line.split("\n")
            out.append(f"{h.key} = {first}")
            out += [f"    {r}" for r in rest]
    return _lines(out).encode("utf-8")


def _config_yaml(hazards: list[Hazard]) -> bytes:
    out = ["service:"]
    for h in hazards:
        if h.rule == "secret.password_assignment":
            out.append(f"  password: {h.value}")
        elif "\n" in h.line:
            out.append(f"  {h.key}: |")
            out += [f"    {r}" for r in h.line.split("\n")]
        else:
            out.append(f"  {h.key}: {json.dumps(h.line)}")
    return _lines(out).encode("utf-8")


def _pairs_json(hazards: list[Hazard]) -> bytes:
    doc = {h.key: (h.value if h.rule == "secret.password_assignment" else h.line) for h in hazards}
    return json.dumps({"service": doc}, indent=1).encode("utf-8")


CONFIG_FORMATS: dict[str, Callable[[list[Hazard]], bytes]] = {
    ".env": _dotenv,
    "settings.ini": _ini,
    "config.yaml": _config_yaml,
    "settings.json": _pairs_json,
}


# --------------------------------------------------------------------------------------------
# the corpora


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("planted")
    items = [h.line for h in HAZARDS]
    for name, writer in FORMATS.items():
        (root / name).write_bytes(writer(items))
    (root / "warehouse.duckdb").write_bytes(_duckdb(items, root))
    for name, config_writer in CONFIG_FORMATS.items():
        (root / name).write_bytes(config_writer(HAZARDS))
    return root


CLEAN_ITEMS = [
    "The screening run compares every shipment party with the listed names and keeps the "
    "candidates whose score passes the review threshold.",
    "Reviewers confirm or clear each candidate; the packet lists the evidence for and against.",
    "def normalize(name: str) -> str:\n    return ' '.join(name.upper().split())",
    "for (const row of rows) { total += row.value_usd; }",
    "run 3f2b8c1e-9d4a-4e7b-a1c2-5d6e7f8a9b0c finished; next 0c9b8a7f-6e5d-4c3b-a2a1-9f8e7d6c5b4a",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "md5 d41d8cd98f00b204e9800998ecf8427e, git commit 1d6ec76a3b2c4d5e6f708192a3b4c5d6e7f80912",
    "payload_root 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "Amounts 1,234,567.89 USD; HS code 847130; shipment SHP-0000001; dates 2026-10-31.",
    "password = os.environ['PGPASSWORD']  # read from the environment, never written here",
    "The key of the table is (match_id); the token count of a name is bounded.",
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    for name, writer in FORMATS.items():
        (root / name).write_bytes(writer(CLEAN_ITEMS))
    (root / "warehouse.duckdb").write_bytes(_duckdb(CLEAN_ITEMS, root))
    (root / ".env").write_bytes(b"LOG_LEVEL=info\nTHREADS=2\nPGPASSWORD=${PGPASSWORD}\n")
    (root / "settings.ini").write_bytes(b"[service]\nthreads = 2\nmode = strict\n")
    return root


@pytest.fixture(scope="module")
def planted_report(planted: Path) -> scan.ScanReport:
    return scan.scan_path(planted)


# --------------------------------------------------------------------------------------------
# recall


def _found(report: scan.ScanReport) -> set[tuple[str, str, str]]:
    return {(f.path, f.rule, f.value_sha256 or "") for f in report.findings}


def test_recall_over_thirty_file_types(planted: Path, planted_report: scan.ScanReport) -> None:
    files = sorted(p.name for p in planted.iterdir())
    assert len(files) >= 30
    found = _found(planted_report)
    missed = [
        (name, h.rule)
        for name in files
        for h in HAZARDS
        if (name, h.rule, _sha(h.value)) not in found
    ]
    total = len(files) * len(HAZARDS)
    recall = (total - len(missed)) / total
    assert recall >= 0.98, f"recall {recall:.3f}; missed {missed}"
    assert not missed, f"recall {recall:.3f} (over the goal), but missed {missed}"


def test_container_findings_are_located_in_their_members(
    planted_report: scan.ScanReport,
) -> None:
    where = {f.where() for f in planted_report.findings}
    by_file: dict[str, set[str]] = {}
    for f in planted_report.findings:
        by_file.setdefault(f.path, set()).add(str(f.location.get("member", "")))
    assert by_file["bundle.zip"] == {"docs/notes.txt"}
    assert by_file["bundle.tar.gz"] == {"docs/notes.txt"}  # the .tar between is transparent
    assert by_file["notes.txt.gz"] == {"notes.txt"}
    assert by_file["memo.docx"] == {"word/document.xml"}
    assert by_file["report.xlsx"] == {"xl/sharedStrings.xml"}
    assert by_file["outer.zip"] == {"inner/bundle.tar.gz!a/notes.json"}
    assert by_file["report.pdf"] == {"object 4 0"}
    assert any(w.startswith("memo.docx!word/document.xml:") for w in where)
    assert any(w.startswith("bundle.zip!docs/notes.txt:2:") for w in where)


def test_container_findings_keep_their_severity_and_block(
    planted: Path, planted_report: scan.ScanReport, tmp_path: Path
) -> None:
    inside = [f for f in planted_report.findings if "member" in f.location]
    assert inside and all(f.severity == "HIGH" for f in inside)
    assert not any(f.rule == "scan.opaque_archive" for f in planted_report.findings)
    only_zip = tmp_path / "release"
    only_zip.mkdir()
    (only_zip / "bundle.zip").write_bytes((planted / "bundle.zip").read_bytes())
    blocking = scan.preflight_scan(only_zip)
    assert any("secret.cloud_credential bundle.zip!docs/notes.txt" in b for b in blocking)
    # `release build` runs this preflight (omphalos.evidence.release.main_from_args) and refuses to
    # build while it returns anything


def test_clean_corpus_has_no_finding(clean: Path) -> None:
    report = scan.scan_path(clean)
    assert [(f.rule, f.where()) for f in report.findings] == []
    kinds = {e["path"]: e["kind"] for e in report.files}
    assert kinds["report.pdf"] == "pdf"
    assert kinds["utf16le.txt"] == kinds["utf16be.txt"] == "utf16"
    assert kinds["memo.docx"] == kinds["bundle.tar.gz"] == "archive"


# --------------------------------------------------------------------------------------------
# bounded against bombs


def _opaque(report: scan.ScanReport, name: str) -> list[str]:
    return [
        str(f.location.get("reason"))
        for f in report.findings
        if f.path == name and f.rule == "scan.opaque_archive" and f.severity == "HIGH"
    ]


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bomb.zip").write_bytes(_zip({"zeros.bin": b"\0" * (8 * 1024 * 1024)}))
    report = scan.scan_path(tmp_path)
    assert any("compression ratio above 200:1" in r for r in _opaque(report, "bomb.zip"))
    assert not report.ok


def test_total_members_and_depth_limits(tmp_path: Path) -> None:
    limits = scan.ContainerLimits(total_bytes=200_000, members=20, depth=3)
    (tmp_path / "big.gz").write_bytes(gzip.compress(bytes(range(256)) * 1000))
    (tmp_path / "many.zip").write_bytes(_zip({f"m{i}.txt": b"x" for i in range(30)}))
    nested = _zip({"notes.txt": f"aws key id {AWS_KEY}\n".encode()})
    for level in range(4):
        nested = _zip({f"level{level}.zip": nested})
    (tmp_path / "deep.zip").write_bytes(nested)
    report = scan.scan_path(tmp_path, limits=limits)
    assert any("uncompressed bytes" in r for r in _opaque(report, "big.gz"))
    assert any("more than 20 members" in r for r in _opaque(report, "many.zip"))
    assert any("nested deeper than 3" in r for r in _opaque(report, "deep.zip"))


def test_encrypted_and_corrupt_members_are_not_cleared(tmp_path: Path) -> None:
    data = bytearray(_zip({"secret.txt": b"anything at all"}))
    # set the "encrypted" flag bit in the local header and the central directory entry
    data[6] |= 1
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 1
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    (tmp_path / "broken.pdf").write_bytes(
        b"%PDF-1.4\n1 0 obj\n<< /Length 20 /Filter /FlateDecode >>\nstream\n"
        + b"not a zlib stream at all"
        + b"\nendstream\nendobj\n"
    )
    report = scan.scan_path(tmp_path)
    assert _opaque(report, "locked.zip") == ["encrypted zip member"]
    assert _opaque(report, "broken.pdf") == ["corrupt FlateDecode stream"]
