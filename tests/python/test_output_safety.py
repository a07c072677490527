"""Nothing written into a sealed run, and data made inert wherever people see it.

* Every command that writes files refuses a path inside a sealed run directory (one holding
  run_manifest.json, itself or an ancestor) with exit 2, and leaves the run untouched.
* Markdown review packets: a ``|``, backtick, ``<``, ``>``, ``[``, ``]``, ``*``, ``_``, newline
  or HTML in a name neither breaks a table nor reaches the page as markup (checked with the GFM
  table and CommonMark escape rules; a Markdown library is used as well when one is installed).
* Terminal output (``omphalos show``, the catalog's table): escape sequences and control
  characters from the data are shown as visible escapes.
* CSV exports: the evidence CSV keeps the exact text; ``exports/spreadsheet/<table>.csv`` holds
  the same rows with formula-like cells neutralized (OWASP CSV injection).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from omphalos.cli import app as cli
from omphalos.pipeline.export import SPREADSHEET_DIR, spreadsheet_table, write_table
from omphalos.pipeline.paths import (
    SealedRunPathError,
    refuse_inside_sealed_run,
    sealed_run_containing,
)
from omphalos.presentation import catalog
from omphalos.presentation.packets import render_markdown
from omphalos.presentation.show import render_summary
from omphalos.textsafe import FORMULA_TRIGGERS, md_code, md_text, spreadsheet_cell, terminal_safe

# --------------------------------------------------------------------------------------------
# a sealed run directory (a manifest is all the guard looks for)


@pytest.fixture
def sealed(tmp_path: Path) -> Path:
    run = tmp_path / "runs" / "r1"
    (run / "exports").mkdir(parents=True)
    (run / "run_manifest.json").write_text('{"run_id": "r1"}\n', encoding="utf-8")
    (run / "exports" / "review_queue.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return run


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_guard_finds_the_run_from_any_depth(sealed: Path, tmp_path: Path) -> None:
    assert sealed_run_containing(sealed) == sealed.resolve()
    assert sealed_run_containing(sealed / "exports" / "new" / "x.csv") == sealed.resolve()
    assert sealed_run_containing(sealed / ".." / "r1" / "run_manifest.json") == sealed.resolve()
    link = tmp_path / "link"
    link.symlink_to(sealed / "exports")
    assert sealed_run_containing(link / "x.csv") == sealed.resolve()
    assert sealed_run_containing(tmp_path / "elsewhere" / "x.csv") is None
    with pytest.raises(SealedRunPathError, match="inside the sealed run"):
        refuse_inside_sealed_run(sealed / "exports" / "review_queue.csv", "--out")


def _commands(sealed: Path, other: Path) -> list[list[str]]:
    inside = sealed / "exports"
    other.mkdir(exist_ok=True)
    (other / "run_manifest.json").write_text("{}", encoding="utf-8")
    query = "top_exposed_entities"
    return [
        ["catalog", "run", query, "--run-dir", str(other), "--out", str(inside / "q.csv")],
        [
            "catalog",
            "run",
            query,
            "--run-dir",
            str(other),
            "--records-dir",
            str(inside / "records"),
        ],
        ["report", "--run-dir", str(other), "--out", str(inside / "index.html")],
        ["report", "--run-dir", str(other), "--out", str(sealed / "run_manifest.json")],
        ["certify", "--run-a", str(other), "--run-b", str(other), "--out", str(inside / "c.json")],
        ["release", "build", "--run-dir", str(other), "--out", str(inside / "b.tar.gz")],
        ["publishability", "scan", "--path", str(other), "--out", str(inside / "p.json")],
        ["publishability", "scan", "--path", str(other), "--sarif", str(inside / "p.sarif")],
        [
            "registry",
            "import",
            "--source",
            "csl",
            "--file",
            str(other / "run_manifest.json"),
            "--list-date",
            "2026-01-01",
            "--out",
            str(inside / "registry"),
        ],
        ["registry", "combine", "--in", str(other), "--out", str(inside / "registry")],
        ["keys", "generate", "--name", "k", "--dir", str(inside / "keys")],
        ["generate", "--out", str(inside / "inputs")],
        ["run", "--config", str(other / "x.yaml"), "--runs-root", str(inside / "runs")],
        ["load", "--config", str(other / "x.yaml"), "--warehouse", str(inside / "w.duckdb")],
    ]


def test_no_command_writes_inside_a_sealed_run(
    sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _tree(sealed)
    for argv in _commands(sealed, tmp_path / "other"):
        code = cli.main(argv)
        err = capsys.readouterr().err
        assert code == 2, (argv[:2], code, err)
        assert "inside the sealed run" in err, (argv[:2], err)
        assert "Traceback" not in err
    assert _tree(sealed) == before


# --------------------------------------------------------------------------------------------
# Markdown

HOSTILE = [
    "ACME | <img src=x onerror=alert(1)> LTD",
    "`code` **bold** _em_ [link](javascript:alert(1)) ![i](x)",
    "line one\nline two\r\n| a | b |",
    "<script>alert('x')</script> & &lt;b&gt; ~~gone~~",
    "# heading",
    "1. not a list",
    "- not a list either",
    "> not a quote",
    "trailing backslash \\",
    "\x1b[2J\x1b]8;;http://evil/\x07click\x1b]8;;\x07 \u202egnp.exe",
    "back`tick` in `` code ``",
]

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _unescape(text: str) -> str:
    """CommonMark backslash escapes undone (outside code spans)."""
    return _ESCAPED.sub(r"\1", text)


def _split_cells(row: str) -> list[str]:
    """A GFM table row's cells: split on pipes not escaped by a backslash (code spans
    included: GFM splits before inline parsing)."""
    body = row.strip()
    assert body.startswith("|") and body.endswith("|") and not body.endswith("\\|"), row
    cells, cell, i = [], "", 1
    while i < len(body) - 1:
        c = body[i]
        if c == "\\" and i + 1 < len(body) - 1:
            cell += body[i : i + 2]
            i += 2
            continue
        if c == "|":
            cells.append(cell)
            cell = ""
        else:
            cell += c
        i += 1
    cells.append(cell)
    return cells


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _outside_code(text: str) -> str:
    return _CODE_SPAN.sub(" ", text)


def _assert_inert(fragment: str) -> None:
    """No raw HTML, no inline syntax, no line break outside code spans."""
    assert "\n" not in fragment and "\r" not in fragment
    assert "\x1b" not in fragment and "\x07" not in fragment and "\u202e" not in fragment
    rest = _outside_code(fragment)
    unescaped = re.sub(r"\\.", "", rest)  # drop every escaped character
    for ch in "<`*_[]|&~":
        assert ch not in unescaped, (ch, fragment)


def test_md_text_and_code_are_inert_and_faithful() -> None:
    for value in HOSTILE:
        text = md_text(value)
        _assert_inert(text)
        assert _unescape(text) == terminal_safe(" ".join(value.split()))
        assert not re.match(r"^(?:[+\-=>#]|\d+[.)])", text)
        code = md_code(value)
        assert "\n" not in code and "|" not in code.replace("\\|", "")
        fence = re.match(r"`+", code)
        assert fence is not None and code.endswith(fence.group(0))
        inner = code[len(fence.group(0)) : -len(fence.group(0))]
        assert fence.group(0) not in inner  # the fence is longer than any backtick run inside
        assert md_code(value, table=False).count("\\|") == 0 or "\\|" in value


def _packet(name: str) -> dict[str, Any]:
    shipment = {
        "shipment_id": name,
        "ship_date": "2026-01-02",
        "hs_code": name,
        "controlled_goods": True,
        "value_usd": "10.00",
        "origin_country": "DE",
        "destination_country": name,
        "goods_description": name,
    }
    candidate = {
        "queue_position": 1,
        "match_status": "MATCH",
        "score": "0.9500",
        "match_id": name,
        "shipment": shipment,
        "party": {
            "name": name,
            "role": "consignee",
            "normalized": name,
            "legal_form": name,
            "country": name,
            "kind": name,
            "kind_source": name,
            "imo": None,
        },
        "registry": {
            "name": name,
            "name_type": "primary",
            "normalized": name,
            "legal_form": None,
            "listed_countries": [name],
            "kind": name,
        },
        "imo_evidence": "unknown",
        "country_evidence": name,
        "matched_tokens": [name],
        "similarity": {"jw_sorted": "0.9", "alignment": "0.9", "name_score": "0.9"},
        "block_keys": name,
        "evidence_for": [name],
        "evidence_against": [name],
        "evidence_context": [name],
        "evidence": name,
    }
    return {
        "entity": {
            "entity_id": name,
            "primary_name": name,
            "entity_kind": name,
            "source_list": name,
            "list_date": "2026-01-01",
            "programs": [name],
            "countries": [name],
            "remarks": name,
            "names": [{"name": name, "name_type": name, "script": name, "name_id": name}],
            "identifiers": [{"id_type": name, "id_value": name, "id_country": name}],
        },
        "summary": {
            "status": "MATCH",
            "candidates": {"MATCH": 1, "REVIEW": 0, "NO_MATCH": 1},
            "shipments": 1,
            "first_queue_position": 1,
            "omitted": {"alerting": 0, "cleared": 0},
            "where_the_rest_is": "exports",
        },
        "rules": {
            "thresholds": {"match": "0.9", "review": "0.8"},
            "config": {"name": name, "as_of_date": "2026-10-31"},
            "status": "scored",
            "rules": [name],
            "max_block_key_names": 50,
            "stated_in": [{"path": name}],
        },
        "exposure": None,
        "candidates": [candidate],
        "cleared_candidates": [{**candidate, "match_status": "NO_MATCH"}],
        "run": {
            "inputs": [
                {
                    "name": name,
                    "file": name,
                    "source_sha256": name,
                    "rows_admitted": 1,
                    "rows_rejected": 0,
                }
            ],
            "sources": [{"path": name, "sha256": name}],
        },
        "verification": "verify it",
    }


def _tables(markdown: str) -> list[list[str]]:
    lines = markdown.split("\n")
    out = []
    for i, line in enumerate(lines[:-1]):
        if line.startswith("|") and re.fullmatch(r"\|(?:---\|)+", lines[i + 1]):
            block = [line]
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                block.append(lines[j])
                j += 1
            out.append(block)
    return out


@pytest.mark.parametrize("name", HOSTILE)
def test_packet_markdown_tables_hold_and_no_markup_leaks(name: str) -> None:
    text = render_markdown(_packet(name))
    tables = _tables(text)
    assert len(tables) >= 6
    for block in tables:
        width = len(_split_cells(block[0]))
        for row in block[1:]:
            assert len(_split_cells(row)) == width, row
            for cell in _split_cells(row):
                _assert_inert(cell.strip())
    for line in text.split("\n"):
        if line.startswith(("|", "```")):
            continue
        rest = re.sub(r"\\.", "", _outside_code(line))
        assert "<" not in rest, line
    assert "\x1b" not in text and "\u202e" not in text
    try:
        import markdown_it
    except ImportError:  # no Markdown library in the environment: the checks above stand
        return
    rendered = markdown_it.MarkdownIt("gfm-like").render(text)
    assert "<script" not in rendered and "<img" not in rendered


def test_packet_markdown_memo_is_md_text_by_value_and_type() -> None:
    """The packet template memoizes the Markdown of plain values: every lookup is exactly
    md_text / md_code of the value, and 1, True and "1" stay three values."""
    from omphalos.presentation.templating import markdown_env

    env = markdown_env()
    assert env.finalize is not None
    values: list[object] = [1, True, "1", 0, False, "0", None, "", "—", *HOSTILE]
    for _ in range(2):  # the second pass reads the memo
        for v in values:
            assert str(env.finalize(v)) == md_text(v), v
            assert str(env.filters["code"](v)) == md_code(v), v
            assert str(env.filters["code_text"](v)) == md_code(v, table=False), v
    assert env.finalize(True) == "True" and env.finalize(1) == "1"


# --------------------------------------------------------------------------------------------
# terminals

ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil/\x1b\\x\r\x08\x9b31m\u202e"


def test_terminal_safe_shows_every_control_character() -> None:
    safe = terminal_safe(ESCAPES + "\n")
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e]", safe)
    assert safe.startswith("\\x1b[2J\\x1b]0;owned\\x07")
    assert "\\u202e" in safe and safe.endswith("\\x0a")
    assert terminal_safe("a\nb", keep_newlines=True) == "a\nb"


def test_show_neutralizes_data(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "reports").mkdir(parents=True)
    manifest = {
        "run_id": "r\x1b[31m1",
        "merkle": {"payload_root": "ab" * 32},
        "inputs": [{"name": "ship\x1b]0;x\x07ments", "rows_admitted": 1, "rows_rejected": 0}],
    }
    summary = {
        "shipments": 1,
        "parties": 1,
        "distinct_party_names": 1,
        "registry_entities": 1,
        "registry_names": 1,
        "candidate_pairs": 1,
        "matches_by_status": {"MATCH": 1},
        "review_queue": 1,
        "top_exposed_entities": [
            {
                "rank": 1,
                "entity_id": "E\x1b[2J1",
                "name": "EVIL" + ESCAPES + "\nCORP",
                "match_shipments": 1,
                "matched_value_usd": "1.00",
                "exposure_score": "1.0",
            }
        ],
    }
    (run / "run_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (run / "reports" / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    text = render_summary(run)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text)
    assert "EVIL\\x1b[2J" in text
    table = [line for line in text.split("\n") if "EVIL" in line]
    assert len(table) == 1  # the name's newline did not start a line of its own


def test_catalog_table_and_json_neutralize_data() -> None:
    table = pa.table({"name\x1b[1m": ["ok", ESCAPES, "a\nb"], "n": [1, 2, 3]})
    out = catalog.write_output(table, "table", None).decode("utf-8")
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out)
    assert len(out.rstrip("\n").split("\n")) == 2 + 3 + 1
    data = catalog.write_output(table, "json", None).decode("utf-8")
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", data.replace("\n", ""))
    assert json.loads(data)[1]["name\x1b[1m"] == ESCAPES  # the same JSON value, exactly
    exact = catalog.write_output(table, "csv", None)
    assert ESCAPES.encode("utf-8") in exact  # CSV to a file or a pipe keeps the bytes


# --------------------------------------------------------------------------------------------
# spreadsheets

FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\uff1d1"]


def test_spreadsheet_cell_follows_owasp() -> None:
    for value in FORMULAS:
        assert spreadsheet_cell(value) == "'" + value
    for value in ("ACME", "1-2", "a=b", "", "'quoted"):
        assert spreadsheet_cell(value) == value


def test_spreadsheet_table_equals_spreadsheet_cell_on_every_value() -> None:
    """The column-wise (Arrow) neutralization gives what ``spreadsheet_cell`` gives, cell by
    cell: every trigger at the start, inside or alone, other first characters, nulls, both
    string types."""
    values: list[str | None] = [
        None,
        "",
        "'",
        "a",
        "1-2",
        "a=b",
        " =x",
        "\u00e9=",
        "]x",
        "^x",
        "\\x",
    ]
    for trigger in FORMULA_TRIGGERS:
        values += [trigger, trigger + "x", "x" + trigger, trigger * 2]
    for kind in (pa.string(), pa.large_string()):
        out = spreadsheet_table(pa.table({"v": pa.array(values, kind)}))
        assert out.column(0).to_pylist() == [
            None if v is None else spreadsheet_cell(v) for v in values
        ]


def test_exports_keep_exact_csv_and_add_a_spreadsheet_copy(tmp_path: Path) -> None:
    table = pa.table(
        {
            "name": [*FORMULAS, "plain", None],
            "value": pa.array([-1, 2, 3, 4, 5, 6, 7, 8, 9], pa.int64()),
            "=header": ["x"] * 9,
        }
    )
    written = write_table(table, tmp_path / "exports", "t")
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "exports/t.parquet",
        "exports/t.csv",
        f"exports/{SPREADSHEET_DIR}/t.csv",
    ]
    exact = pacsv.read_csv(tmp_path / "exports" / "t.csv")
    assert exact.column("name").to_pylist()[: len(FORMULAS)] == FORMULAS
    raw = (tmp_path / "exports" / SPREADSHEET_DIR / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert rows[0] == ["name", "value", "'=header"]
    assert [r[0] for r in rows[1 : 1 + len(FORMULAS)]] == ["'" + f for f in FORMULAS]
    assert rows[1][1] == "-1"  # numbers stay numbers
    assert rows[-2][0] == "plain" and rows[-1][0] == ""
    for r in rows[1:]:
        assert not r[0].startswith(("=", "+", "-", "@", "\t", "\r"))


# --------------------------------------------------------------------------------------------
# export order


def test_conform_sorts_unless_the_engine_sorted_by_the_key() -> None:
    """conform keeps an engine's order only when it is strictly ascending in the one key column
    (as sort_by orders it); a repeat, a null, a key of several columns or any other order is
    sorted."""
    from omphalos.pipeline.export import TableContract, conform

    schema = pa.schema([("k", pa.string()), ("v", pa.int64())])

    def contract(key: tuple[str, ...]) -> TableContract:
        return TableContract(name="t", layer="marts", key=key, schema=schema, export_dir="exports")

    def rows(keys: list[str | None], key: tuple[str, ...] = ("k",)) -> list[object]:
        table = pa.table({"v": list(range(len(keys))), "k": keys})
        return conform(table, contract(key)).column("k").to_pylist()

    assert rows(["a", "b", "c"]) == ["a", "b", "c"]
    assert rows(["b", "a", "c"]) == ["a", "b", "c"]
    assert rows(["B", "a", "C"]) == ["B", "C", "a"]  # byte order, as sort_by
    assert rows(["a", None, "b"]) == ["a", "b", None]
    assert rows(["b", "a"], key=("k", "v")) == ["a", "b"]


def test_export_bytes_do_not_depend_on_how_the_engine_batched_the_rows(tmp_path: Path) -> None:
    """The same rows fetched in several Arrow chunks (DuckDB returns a large mart in vectors,
    already in key order) and in one chunk (sorted) write the same Parquet and CSV bytes: Parquet
    pages follow the chunks, and the packets cite the Parquet file's sha256 (write_batches writes
    one row group at a time, each in one chunk). Found at 1M shipments, where entity_matches came
    back in 5 chunks and every packet changed."""
    import hashlib

    from omphalos.pipeline.export import TableContract, conform, write_table

    # pages break differently once a chunk boundary falls inside a row group (262,144 rows);
    # 122,880 rows is the batch DuckDB returned at 1M shipments
    n = 300_000
    keys = [f"k{i:07d}" for i in range(n)]
    schema = pa.schema([("k", pa.string()), ("v", pa.int64())])
    contract = TableContract(
        name="t", layer="marts", key=("k",), schema=schema, export_dir="exports"
    )
    in_order = pa.table({"k": keys, "v": list(range(n))})
    chunked = pa.Table.from_batches(in_order.to_batches(max_chunksize=122_880))
    shuffled = in_order.take(list(range(n - 1, -1, -1)))  # sorted again by conform
    assert chunked.column("k").num_chunks == 3

    def digests(table: pa.Table, out: Path) -> list[str]:
        paths = write_table(conform(table, contract), out, "t")
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]

    assert digests(chunked, tmp_path / "a") == digests(shuffled, tmp_path / "b")

    # streamed from the engine in key order, batch by batch (the DuckDB export path): the same
    # bytes again, with the order checked across the batches
    from omphalos.pipeline.export import (
        RowDigest,
        conformed_batches,
        logical_fingerprint,
        write_batches,
    )

    digest = RowDigest(schema.names)
    streamed, n_rows = write_batches(
        conformed_batches(in_order.to_batches(max_chunksize=65_536), contract),
        schema,
        tmp_path / "c",
        "t",
        digest,
    )
    assert n_rows == n
    assert digest.hexdigest() == logical_fingerprint(shuffled, ["k"])
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in streamed] == digests(
        chunked, tmp_path / "d"
    )


def test_a_stream_out_of_key_order_is_refused_and_the_mart_sorted_whole(tmp_path: Path) -> None:
    """An engine's stream is trusted only while its one key column ascends strictly across
    the batches; a repeat, a null or a step back stops it (KeyOrderError), and the run's
    exporter then fetches the mart whole and sorts it: the files are those of the sorted rows."""
    import hashlib

    from omphalos.pipeline.export import (
        KeyOrderError,
        TableContract,
        conform,
        conformed_batches,
        logical_fingerprint,
        write_table,
    )
    from omphalos.pipeline.run import _export_mart

    schema = pa.schema([("k", pa.string()), ("v", pa.int64())])
    contract = TableContract(name="t", layer="marts", key=("k",), schema=schema)

    def batches(*keys: list[str | None]) -> list[pa.RecordBatch]:
        return [pa.record_batch({"v": list(range(len(k))), "k": k}) for k in keys]

    assert [b.num_rows for b in conformed_batches(batches(["a", "b"], ["c"]), contract)] == [2, 1]
    for bad in (
        batches(["a", "c"], ["b"]),  # a step back between batches
        batches(["a", "b"], ["b"]),  # a repeat across batches
        batches(["b", "a"]),  # within a batch
        batches(["a", None]),  # a null key
    ):
        with pytest.raises(KeyOrderError):
            list(conformed_batches(bad, contract))
    with pytest.raises(KeyOrderError):  # a key of several columns: sorted whole
        list(conformed_batches(batches(["a"]), dataclasses.replace(contract, key=("k", "v"))))

    rows = pa.Table.from_batches(batches(["c", "a"], ["b"]))

    class Streaming:
        def stream(self, layer: str, name: str, key: object) -> pa.RecordBatchReader:
            return pa.RecordBatchReader.from_batches(rows.schema, rows.to_batches())

        def fetch(self, layer: str, name: str, schema: object, key: object) -> pa.Table:
            return rows

    parquet, n, logical = _export_mart(Streaming(), contract, tmp_path / "streamed")  # type: ignore[arg-type]
    assert n == 3
    assert logical == logical_fingerprint(conform(rows, contract), ["k"])  # as sorted first
    assert pq.read_table(parquet).column("k").to_pylist() == ["a", "b", "c"]
    expected = write_table(conform(rows, contract), tmp_path / "sorted", "t")
    assert sorted(
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "streamed").rglob("*.*")
    ) == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in expected)
