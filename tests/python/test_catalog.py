"""The analyst SQL catalog: headers, the safety check and its attacks, the read-only engine,
bound parameters, query records, in-run execution, and every query against the demo run."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from catalog_demo import demo_run

from omphalos.evidence.canonical import loads_strict
from omphalos.evidence.manifest import META_FIELDS, build_manifest, load_manifest, write_manifest
from omphalos.evidence.verify import verify_run
from omphalos.pipeline.export import logical_fingerprint
from omphalos.pipeline.paths import project_root
from omphalos.presentation import catalog

# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_run(tmp_path_factory.mktemp("catalog_demo"))


def _reseal(run: Path) -> None:
    manifest = load_manifest(run / "run_manifest.json")
    (run / "run_manifest.json").unlink()
    for extra in run.glob("run_manifest.sig*"):
        extra.unlink()
    meta = {k: manifest[k] for k in META_FIELDS}
    write_manifest(run, build_manifest(run, meta))


@pytest.fixture(scope="session")
def previous_run(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sealed 'previous run': the demo run with a tenth of its alerts missing and some REVIEW
    candidates that were MATCH, re-sealed (so that `new matches since` has something to say)."""
    prev = tmp_path_factory.mktemp("previous") / run_dir.name
    shutil.copytree(run_dir, prev)
    path = prev / "exports" / "entity_matches.parquet"
    table = pq.read_table(path)
    ids = table.column("match_id").to_pylist()
    status = table.column("match_status").to_pylist()
    keep = [not (s != "NO_MATCH" and i % 10 == 0) for i, s in enumerate(status)]
    flipped = ["REVIEW" if s == "MATCH" and i % 7 == 0 else s for i, s in enumerate(status)]
    assert len(ids) == len(status)
    table = table.set_column(
        table.schema.get_field_index("match_status"), "match_status", pa.array(flipped)
    ).filter(pa.array(keep))
    pq.write_table(table, path)
    _reseal(prev)
    return prev


def _validate(record: Any) -> None:
    """Check a query record against contracts/query_record.schema.json (when jsonschema is
    installed)."""
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is in the dev lock
        return
    path = project_root() / "contracts" / "query_record.schema.json"
    jsonschema.validate(record, json.loads(path.read_text(encoding="utf-8")))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omphalos catalog")
    catalog.add_arguments(parser)
    return parser


def _cli(*argv: str) -> int:
    return catalog.main_from_args(_parser().parse_args(list(argv)))


# --------------------------------------------------------------------------------------------
# the catalog itself


def test_catalog_has_twenty_plus_queries_in_every_category() -> None:
    queries = catalog.load_catalog()
    assert len(queries) >= 20
    assert {q.category for q in queries.values()} == set(catalog.CATEGORIES)
    for q in queries.values():
        assert q.path == f"sql/catalog/{q.category}/{q.name}.sql"
        assert q.title and q.description and q.reads
        assert q.sha256 == hashlib.sha256(q.text.encode("utf-8")).hexdigest()


def test_every_query_returns_rows_on_the_demo_run_deterministically(
    run_dir: Path, previous_run: Path
) -> None:
    with catalog.StagedRun(
        run_dir, sorted(catalog.RELATIONS), previous_run_dir=previous_run
    ) as staged:
        for name, query in sorted(catalog.load_catalog().items()):
            first = staged.execute(query, {}, threads=1)
            assert first.table.num_rows > 0, f"{name} returned no rows on the demo run"
            again = staged.execute(query, {}, threads=4)
            assert first.table.equals(again.table), f"{name}: result depends on threads (order?)"
            assert {s.relation for s in first.sources} == set(query.reads)


def test_sqlfluff_lints_the_catalog() -> None:
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    if not sqlfluff.exists():
        pytest.skip("sqlfluff is not installed in this environment")
    proc = subprocess.run(
        [str(sqlfluff), "lint", "--templater", "placeholder", "sql/catalog"],
        cwd=project_root(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]


# --------------------------------------------------------------------------------------------
# headers

GOOD_HEADER = """\
-- name: sample_query
-- title: A sample
-- description: Something an analyst asks,
--   over two lines.
-- param: max_rows bigint = 5 | how many
-- param: pattern varchar = null | optional pattern
-- reads: shipments

select shipment_id
from shipments
where $pattern is null or shipper_name ilike $pattern
order by shipment_id
limit $max_rows
"""


def test_header_parses() -> None:
    q = catalog.parse_query_text(GOOD_HEADER, path="x.sql", category="ad_hoc", stem="sample_query")
    assert q.name == "sample_query"
    assert q.description == "Something an analyst asks, over two lines."
    assert [(p.name, p.type, p.default, p.required) for p in q.params] == [
        ("max_rows", "bigint", 5, False),
        ("pattern", "varchar", None, False),
    ]
    assert q.reads == ("shipments",)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("-- name: sample_query\n", "", "header lacks name"),
        ("-- name: sample_query", "-- name: other_query", "differs from the file name"),
        ("-- title: A sample\n", "-- tittle: A sample\n", "unknown header field"),
        ("-- param: max_rows bigint = 5 | how many", "-- param: max_rows bigint = 5", "must read"),
        ("max_rows bigint = 5", "max_rows int = 5", "not one of"),
        ("max_rows bigint = 5", "max_rows bigint = five", "not an integer"),
        ("-- reads: shipments", "-- reads: entity_scores, shipments", "differs from the relations"),
        ("-- reads: shipments", "-- reads: warehouse", "unknown relation"),
        ("-- param: pattern varchar = null | optional pattern\n", "", "differ from the parameters"),
        ("-- reads: shipments\n\n", "-- reads: shipments\n", "followed by a blank line"),
        ("-- title: A sample\n", "-- title: A sample\n--oops\n", "not a header line"),
    ],
)
def test_header_errors(old: str, new: str, message: str) -> None:
    text = GOOD_HEADER.replace(old, new, 1)
    assert text != GOOD_HEADER
    with pytest.raises(catalog.CatalogError, match=message):
        catalog.parse_query_text(text, path="x.sql", category="ad_hoc", stem="sample_query")


# --------------------------------------------------------------------------------------------
# the safety check: each attack is refused

ATTACKS = {
    "insert": "insert into shipments select * from shipments",
    "update": "update shipments set value_usd = 0",
    "delete": "delete from shipments",
    "create": "create table x as select 1 as a",
    "create_view": "create view v as select 1 as a",
    "create_macro": "create macro m() as 1",
    "drop": "drop table shipments",
    "alter": "alter table shipments add column x integer",
    "copy_table": "copy shipments to '/tmp/x.csv'",
    "copy_query": "copy (select * from shipments) to '/tmp/x.csv'",
    "attach": "attach '/tmp/x.duckdb' as x",
    "detach": "detach x",
    "install": "install httpfs",
    "load": "load httpfs",
    "pragma": "pragma database_list",
    "set": "set threads = 1",
    "reset": "reset threads",
    "set_variable": "set variable x = 1",
    "use": "use memory",
    "call": "call pragma_version()",
    "checkpoint": "checkpoint",
    "export": "export database '/tmp/x'",
    "begin": "begin transaction",
    "select_into": "select * into t2 from shipments",
    "dml_cte_insert": "with x as (insert into shipments select * from shipments returning *) "
    "select * from x",
    "dml_cte_delete": "with x as (delete from shipments returning *) select * from x",
    "dml_cte_update": "with x as (update shipments set value_usd = 0 returning *) select * from x",
    "two_statements": "select 1 as a; drop table shipments",
    "two_selects": "select 1 as a; select 2 as b",
    "read_csv": "select * from read_csv('/etc/passwd')",
    "read_csv_auto": "select * from read_csv_auto('/etc/passwd')",
    "read_parquet": "select * from read_parquet('/tmp/x.parquet')",
    "parquet_scan": "select * from parquet_scan('/tmp/x.parquet')",
    "read_json": "select * from read_json_auto('/tmp/x.json')",
    "read_text": "select * from read_text('/etc/passwd')",
    "read_blob": "select * from read_blob('/etc/passwd')",
    "glob": "select * from glob('/*')",
    "sniff_csv": "select * from sniff_csv('/etc/passwd')",
    "query_table": "select * from query_table('shipments')",
    "query": "select * from query('select 1')",
    "file_in_subquery": "select (select count(*) from read_csv('/etc/passwd')) as n",
    "file_in_join": "select * from shipments, read_parquet('/tmp/x.parquet') as p",
    "replacement_scan": "select * from '/etc/passwd'",
    "replacement_scan_quoted": 'select * from "/etc/passwd"',
    "file_in_union": "select 1 as a union all select * from read_csv('/etc/passwd')",
    "unknown_table": "select * from secrets",
    "schema_qualified": "select * from main.shipments",
    "information_schema": "select * from information_schema.tables",
    "duckdb_settings": "select * from duckdb_settings()",
    "current_setting": "select current_setting('home_directory') as h",
    "getenv": "select getenv('HOME') as h",
    "describe": "describe shipments",
    "summarize": "summarize shipments",
    "show": "show tables",
    "values": "values (1)",
    "positional_param": "select * from shipments where value_usd > ?",
    "numbered_param": "select * from shipments where value_usd > $1",
    "random": "select random() as r",
    "now": "select now() as t",
    "current_date": "select current_date as d",
    "sample": "select * from shipments using sample 10",
    "empty": "  ",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_refused(name: str) -> None:
    with pytest.raises(catalog.CatalogError):
        catalog.check_sql(ATTACKS[name])


@pytest.mark.parametrize("name", ["copy_query", "read_csv", "dml_cte_insert", "replacement_scan"])
def test_attack_file_is_refused_by_check_and_run(name: str, run_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "evil.sql"
    path.write_text(
        f"-- name: evil\n-- title: t\n-- description: d\n-- reads: shipments\n\n{ATTACKS[name]}\n",
        encoding="utf-8",
    )
    assert _cli("check", str(path)) == 1
    code = _cli(
        "run", "--file", str(path), "--run-dir", str(run_dir), "--records-dir", str(tmp_path)
    )
    assert code == 2
    assert not (tmp_path / "x.csv").exists()


def test_legitimate_constructs_are_accepted() -> None:
    rel, params = catalog.check_sql(
        "with a as (select * from shipments where value_usd > $v) "
        "select a.shipment_id, g.n from a cross join range(3) as g (n) "
        "cross join unnest([1, 2]) as u (x) union all "
        "select shipment_id, 1 as n from review_queue"
    )
    assert rel == {"shipments", "review_queue"}
    assert params == {"v"}


def test_readonly_engine_blocks_writes_and_files_even_past_the_check(
    run_dir: Path, tmp_path: Path
) -> None:
    """Defence in depth: the staged database itself refuses what the check refuses."""
    db = tmp_path / "staged.duckdb"
    catalog._stage(run_dir, ["shipments"], db, previous_run_dir=None, sealed_digests=None)
    target = tmp_path / "leak.csv"
    statements = [
        f"copy shipments to '{target}'",
        "select * from read_csv('/etc/hostname')",
        f"attach '{tmp_path / 'other.duckdb'}' as other",
        "create table x as select 1 as a",
        "insert into shipments select * from shipments",
        "drop table shipments",
        "set threads = 1",
        "set enable_external_access = true",
        "set memory_limit = '100GB'",
        "set max_temp_directory_size = '1TB'",
        "install httpfs",
    ]
    with catalog._readonly_connection(db, 1) as con:
        for sql in statements:
            with pytest.raises(duckdb.Error):
                con.execute(sql)
        admitted = pq.read_metadata(run_dir / "inputs/admitted/shipments.parquet").num_rows
        assert con.execute("select count(*) from shipments").fetchone() == (admitted,)
    assert not target.exists()


def test_parameters_are_bound_not_interpolated(run_dir: Path) -> None:
    q = catalog.load_catalog()["party_shipments_by_name"]
    hostile = "%' or 1=1; drop table shipments; --"
    result = catalog.execute_query(q, {"name_pattern": hostile}, run_dir)
    assert result.table.num_rows == 0
    assert result.params["name_pattern"] == hostile
    ok = catalog.execute_query(q, {"name_pattern": "%ELECTRONICS%", "max_rows": "3"}, run_dir)
    assert ok.table.num_rows == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"nope": "1"}, "unknown parameter"),
        ({"max_rows": "ten"}, "not an integer"),
        ({"min_match_shipments": "1.5"}, "not an integer"),
    ],
)
def test_bad_parameters(params: dict[str, str], message: str, run_dir: Path) -> None:
    q = catalog.load_catalog()["top_exposed_entities"]
    with pytest.raises(catalog.CatalogError, match=message):
        catalog.execute_query(q, params, run_dir)


def test_required_parameter(tmp_path: Path) -> None:
    text = GOOD_HEADER.replace("max_rows bigint = 5", "max_rows bigint")
    q = catalog.parse_query_text(text, path="x.sql", category="ad_hoc", stem="sample_query")
    with pytest.raises(catalog.CatalogError, match="required"):
        catalog.resolve_params(q, {})


# --------------------------------------------------------------------------------------------
# provenance


def _tree(path: Path) -> dict[str, str]:
    return {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_adhoc_run_writes_a_record_outside_the_sealed_run(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _tree(run_dir)
    records = tmp_path / "queries"
    out = tmp_path / "out.csv"
    code = _cli(
        "run",
        "top_exposed_entities",
        "--run-dir",
        str(run_dir),
        "--param",
        "max_rows=7",
        "--format",
        "csv",
        "--out",
        str(out),
        "--records-dir",
        str(records),
    )
    assert code == 0, capsys.readouterr().err
    assert _tree(run_dir) == before
    assert verify_run(run_dir).ok
    manifest = load_manifest(run_dir / "run_manifest.json")
    (record_dir,) = (records / manifest["run_id"]).iterdir()
    assert record_dir.name.endswith("-top_exposed_entities")
    record: Any = loads_strict((record_dir / "query.json").read_bytes())
    query = catalog.load_catalog()["top_exposed_entities"]
    _validate(record)
    assert record["schema_version"] == "omphalos.query_record/1"
    assert record["query"]["name"] == "top_exposed_entities"
    assert record["query"]["text"] == query.text
    assert record["query"]["sha256"] == hashlib.sha256(query.text.encode()).hexdigest()
    assert record["parameters"] == {"max_rows": 7, "min_match_shipments": 1}
    assert record["engine"] == {"name": "duckdb", "version": duckdb.__version__}
    assert record["run"]["run_id"] == manifest["run_id"]
    assert record["run"]["payload_root"] == manifest["merkle"]["payload_root"]
    assert record["context"] == "ad_hoc" and record["executed_at"].endswith("Z")
    result_bytes = (record_dir / "result.parquet").read_bytes()
    table = pq.read_table(record_dir / "result.parquet")
    assert record["result"]["rows"] == table.num_rows == 7
    assert record["result"]["sha256"] == hashlib.sha256(result_bytes).hexdigest()
    assert record["result"]["logical_sha256"] == logical_fingerprint(table, table.column_names)
    assert record["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    digests = {a["path"]: a["sha256"] for a in manifest["artifacts"]}
    for source in record["sources"]:
        assert digests[source["path"]] == source["sha256"]


def test_formats(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["run", "weak_alias_candidates", "--run-dir", str(run_dir)]
    base += ["--records-dir", str(tmp_path)]
    assert _cli(*base, "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {"match_status", "candidates"} <= set(rows[0])
    assert _cli(*base, "--format", "table") == 0
    assert "match_status" in capsys.readouterr().out
    assert _cli(*base, "--format", "parquet") == 2  # needs --out
    assert _cli(*base, "--format", "parquet", "--out", str(tmp_path / "r.parquet")) == 0
    assert pq.read_table(tmp_path / "r.parquet").num_rows > 0


def test_tampered_run_is_refused(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    path = copy / "exports" / "entity_scores.parquet"
    pq.write_table(pq.read_table(path), path, compression="snappy")  # same rows, other bytes
    code = _cli(
        "run", "top_exposed_entities", "--run-dir", str(copy), "--records-dir", str(tmp_path)
    )
    assert code == 1
    unsealed = tmp_path / "unsealed"
    shutil.copytree(run_dir, unsealed)
    (unsealed / "run_manifest.json").unlink()
    assert _cli("run", "top_exposed_entities", "--run-dir", str(unsealed)) == 1


def test_previous_run_query(run_dir: Path, previous_run: Path) -> None:
    q = catalog.load_catalog()["matches_since_previous_run"]
    with pytest.raises(catalog.CatalogError, match="previous run"):
        catalog.execute_query(q, {}, run_dir)
    result = catalog.execute_query(q, {}, run_dir, previous_run_dir=previous_run)
    kinds = set(result.table.column("change_kind").to_pylist())
    assert kinds == {"new", "status_changed"}
    sources = {(s.run, s.relation) for s in result.sources}
    assert ("previous", "previous_entity_matches") in sources


# --------------------------------------------------------------------------------------------
# queries listed in the run config: executed in the run, sealed as payload


RUN_QUERIES = [
    {"name": "top_exposed_entities", "params": {"max_rows": 10}},
    {"name": "rejects_by_reason"},
    {"name": "scores_near_thresholds", "params": {"band": 0.03}, "as": "near_thresholds"},
]


def _unsealed_copy(run_dir: Path, dest: Path) -> Path:
    shutil.copytree(run_dir, dest)
    (dest / "run_manifest.json").unlink()
    for extra in dest.glob("run_manifest.sig*"):
        extra.unlink()
    return dest


def test_catalog_queries_in_a_run_are_deterministic_payload(run_dir: Path, tmp_path: Path) -> None:
    a = _unsealed_copy(run_dir, tmp_path / "a")
    b = _unsealed_copy(run_dir, tmp_path / "b")
    records_a = catalog.execute_catalog_into_run(a, RUN_QUERIES)
    records_b = catalog.execute_catalog_into_run(b, RUN_QUERIES, threads=4)
    assert records_a == records_b
    assert _tree(a / "catalog") == _tree(b / "catalog")
    assert sorted(p.name for p in (a / "catalog").iterdir()) == [
        "near_thresholds.parquet",
        "near_thresholds.query.json",
        "rejects_by_reason.parquet",
        "rejects_by_reason.query.json",
        "top_exposed_entities.parquet",
        "top_exposed_entities.query.json",
    ]
    record: Any = loads_strict((a / "catalog" / "near_thresholds.query.json").read_bytes())
    assert record["parameters"]["band"] == "0.03"
    assert record["context"] == "run" and "executed_at" not in record and "run" not in record
    _validate(record)
    rejects: Any = loads_strict((a / "catalog" / "rejects_by_reason.query.json").read_bytes())
    assert rejects["result"]["rows"] > 0
    manifest = load_manifest(run_dir / "run_manifest.json")
    meta = {k: manifest[k] for k in META_FIELDS}
    sealed = build_manifest(a, meta)
    write_manifest(a, sealed)
    roles = {x["path"]: (x["role"], x["kind"]) for x in sealed["artifacts"]}
    assert roles["catalog/near_thresholds.parquet"] == ("payload", "catalog_result")
    assert roles["catalog/near_thresholds.query.json"] == ("payload", "catalog_result")
    assert verify_run(a).ok


@pytest.mark.parametrize(
    ("queries", "message"),
    [
        ([{"name": "no_such_query"}], "no catalog query"),
        ([{"name": "top_exposed_entities", "params": {"nope": 1}}], "unknown parameter"),
        ([{"name": "top_exposed_entities", "params": {"max_rows": "x"}}], "not an integer"),
        ([{"name": "weak_alias_candidates"}, {"name": "weak_alias_candidates"}], "used twice"),
        ([{"name": "matches_since_previous_run"}], "previous run"),
        ([{"name": "weak_alias_candidates", "as": "../escape"}], "output name"),
        ([{"name": "weak_alias_candidates", "extra": 1}], "unknown key"),
    ],
)
def test_run_config_queries_are_validated(queries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(catalog.CatalogError, match=message):
        catalog.validate_catalog_queries(queries)


# --------------------------------------------------------------------------------------------
# the other commands


def test_list_show_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("list") == 0
    listing = capsys.readouterr().out
    assert "entity_dossier" in listing and "briefing" in listing
    assert _cli("list", "--json", "--category", "audit") == 0
    items = json.loads(capsys.readouterr().out)
    assert items and all(i["category"] == "audit" for i in items)
    assert _cli("show", "entity_dossier") == 0
    shown = capsys.readouterr().out
    assert "entity_id varchar" in shown and "select" in shown
    assert _cli("show", "nope") == 2
    assert _cli("check") == 0
    assert capsys.readouterr().out.startswith("OK ")


# --------------------------------------------------------------------------------------------
# limits: statement timeout, memory cap

RUNAWAY = """\
-- name: runaway_recursion
-- title: A recursive CTE that never ends
-- description: Counts forever.
-- reads: shipments

with recursive r (n) as (
    select 1 as n
    union all
    select n + 1 from r
)

select count(*) as n from r cross join (select count(*) as c from shipments) as s
"""

HUNGRY = """\
-- name: memory_hungry
-- title: One huge string
-- description: Aggregates far more text than the memory limit holds.
-- reads: shipments

select string_agg(repeat('x', 1000), ',') as s
from range(300000) as t (i) cross join (select count(*) as c from shipments) as s
"""


def _tiny_run(tmp_path: Path) -> Path:
    run = tmp_path / "tiny"
    (run / "inputs" / "admitted").mkdir(parents=True)
    pq.write_table(
        pa.table({"shipment_id": ["S1", "S2"]}), run / "inputs" / "admitted" / "shipments.parquet"
    )
    return run


def test_statement_timeout_stops_a_runaway_query(tmp_path: Path) -> None:
    query = catalog.parse_query_text(RUNAWAY, path="runaway.sql", category="ad_hoc", stem=None)
    limits = catalog.Limits(timeout_seconds=0.5)
    staged = catalog.StagedRun(_tiny_run(tmp_path), ["shipments"], sealed=False, limits=limits)
    with (
        staged,
        pytest.raises(catalog.CatalogError, match=r"stopped after 0\.5 s, the statement timeout"),
    ):
        staged.execute(query, {})


def test_memory_limit_stops_a_hungry_query_with_a_clear_error(tmp_path: Path) -> None:
    query = catalog.parse_query_text(HUNGRY, path="hungry.sql", category="ad_hoc", stem=None)
    limits = catalog.Limits(memory_limit="64MB", max_temp_directory_size="16MB")
    staged = catalog.StagedRun(_tiny_run(tmp_path), ["shipments"], sealed=False, limits=limits)
    with staged, pytest.raises(catalog.CatalogError, match=r"more memory than its limit .*64MB"):
        staged.execute(query, {})


def test_limits_are_checked_and_offered_on_the_command_line(tmp_path: Path) -> None:
    for bad in (
        {"timeout_seconds": 0},
        {"timeout_seconds": -1},
        {"memory_limit": "lots"},
        {"max_temp_directory_size": "1 parsec"},
    ):
        with pytest.raises(catalog.CatalogError):
            catalog.Limits(**bad)  # type: ignore[arg-type]
    base = ["run", "top_exposed_entities", "--run-dir", str(tmp_path)]
    args = _parser().parse_args(
        [*base, "--timeout", "7", "--memory-limit", "1GB", "--max-temp-size", "2GB"]
    )
    assert (args.timeout, args.memory_limit, args.max_temp_size) == (7.0, "1GB", "2GB")
    defaults = _parser().parse_args(["run", "top_exposed_entities", "--run-dir", str(tmp_path)])
    assert defaults.timeout == catalog.DEFAULT_TIMEOUT_SECONDS
    assert defaults.memory_limit == catalog.DEFAULT_MEMORY_LIMIT
    assert _cli("run", "top_exposed_entities", "--run-dir", str(tmp_path), "--timeout", "0") == 2


def test_run_out_inside_a_sealed_run_is_refused(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    for target in (copy / "exports" / "review_queue.csv", copy / "run_manifest.json"):
        code = _cli(
            "run", "top_exposed_entities", "--run-dir", str(copy), "--format", "csv",
            "--out", str(target),
        )  # fmt: skip
        assert code == 2
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
    assert verify_run(copy).ok
