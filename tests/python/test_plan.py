"""A saved dbt build plan (omphalos.pipeline.plan): saved after a successful dbt build, replayed by
the next run of the same build without dbt, with the payload the build gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omphalos.evidence.verify import verify_run
from omphalos.pipeline import plan
from omphalos.pipeline.run import RunError, execute_run


def _manifest(run: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((run / "run_manifest.json").read_text(encoding="utf-8"))


def _events(run: Path) -> list[str]:
    lines = (run / "lineage" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["event"] for line in lines]


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OMPHALOS_CACHE_DIR", str(folder))
    monkeypatch.delenv("OMPHALOS_DBT_PLAN", raising=False)
    monkeypatch.delenv("OMPHALOS_PARSE_CACHE", raising=False)
    return folder


def _plans(cache: Path) -> list[Path]:
    root = cache / "dbt-plan"
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) if root.is_dir() else []


def test_the_next_run_replays_the_plan_with_the_same_payload(
    small_inputs: Path, tmp_path: Path, cache: Path
) -> None:
    built = execute_run(small_inputs / "test.yaml", runs_root=tmp_path / "runs", threads=2)
    assert "plan" not in _manifest(built)["dbt"]  # no plan yet: dbt build, which saves one
    assert "dbt_invoked" in _events(built)
    (saved,) = _plans(cache)
    doc = json.loads((saved / plan.PLAN_FILE).read_text(encoding="utf-8"))
    assert doc["built_by_run"] == built.name
    kinds = {n["kind"] for n in doc["nodes"]}
    assert kinds == {"operation", "seed", "model", "test", "exposure"}

    replayed = execute_run(small_inputs / "test.yaml", runs_root=tmp_path / "runs", threads=2)
    m = _manifest(replayed)
    assert m["dbt"]["plan"]["key"] == saved.name
    assert m["dbt"]["plan"]["built_by_run"] == built.name
    assert m["dbt"]["command"] == _manifest(built)["dbt"]["command"]
    events = _events(replayed)
    assert "dbt_plan_replayed" in events and "dbt_invoked" not in events
    assert events.count("test_run") == _events(built).count("test_run") > 0
    assert m["merkle"]["payload_root"] == _manifest(built)["merkle"]["payload_root"]
    for rel in ("reports/data_tests.json", "exports/entity_matches.parquet"):
        assert (replayed / rel).read_bytes() == (built / rel).read_bytes(), rel
    # the replayed run carries the SQL it executed and dbt's manifest of the build
    assert (replayed / "dbt/target/manifest.json").read_bytes() == (
        built / "dbt/target/manifest.json"
    ).read_bytes()

    def tree(run: Path) -> dict[str, bytes]:
        base = run / "dbt/target/run"
        return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*.sql")}

    assert tree(replayed) == tree(built)  # the SQL dbt ran is the SQL replayed
    results = json.loads((replayed / "dbt/target/run_results.json").read_text(encoding="utf-8"))
    assert results["metadata"]["omphalos_plan"]["key"] == saved.name
    assert verify_run(replayed).ok


def test_a_failing_data_test_in_a_plan_fails_the_run(
    small_inputs: Path, tmp_path: Path, cache: Path
) -> None:
    execute_run(small_inputs / "test.yaml", runs_root=tmp_path / "runs", threads=2)
    (saved,) = _plans(cache)
    path = saved / plan.PLAN_FILE
    doc = json.loads(path.read_text(encoding="utf-8"))
    test = next(n for n in doc["nodes"] if n["kind"] == "test")
    test["sql"] = "select 3 as failures, true as should_warn, true as should_error"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RunError, match=rf"{test['unique_id']}: fail: Got 3 results"):
        execute_run(small_inputs / "test.yaml", runs_root=tmp_path / "runs", threads=2)
    (failed,) = sorted((tmp_path / "runs").glob("*.FAILED"))  # never a sealed-looking run
    assert not (failed / "run_manifest.json").exists()
    # the failed run keeps the SQL it executed: the plan's, as changed
    executed = (failed / "dbt/target" / test["run_file"]).read_text(encoding="utf-8")
    assert executed == test["sql"]


def test_replays_can_be_turned_off(
    small_inputs: Path, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute_run(small_inputs / "test.yaml", runs_root=tmp_path / "runs", threads=2)
    assert len(_plans(cache)) == 1
    monkeypatch.setenv("OMPHALOS_DBT_PLAN", "0")
    again = execute_run(small_inputs / "test.yaml", runs_root=tmp_path / "runs", threads=2)
    assert "plan" not in _manifest(again)["dbt"]
    assert "dbt_invoked" in _events(again)


def test_no_plan_of_a_build_that_did_not_succeed(sealed_run: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    for name in ("manifest.json", "run_results.json"):
        (target / name).write_bytes((sealed_run / "dbt/target" / name).read_bytes())
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    test = next(r for r in results["results"] if r["unique_id"].startswith("test."))
    test["status"] = "fail"
    (target / "run_results.json").write_text(json.dumps(results), encoding="utf-8")
    warehouse = sealed_run / "warehouse" / "warehouse.duckdb"
    assert not plan.save(target, warehouse, tmp_path / "plans" / "k", "r", ["dbt"])
    assert not (tmp_path / "plans" / "k").exists()
    assert plan.load(tmp_path / "plans" / "k") is None


def test_artifacts_not_as_expected_are_no_plan_and_no_error(
    sealed_run: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "run_results.json").write_bytes(
        (sealed_run / "dbt/target/run_results.json").read_bytes()
    )
    (target / "manifest.json").write_text("{}", encoding="utf-8")  # no nodes at all
    warehouse = sealed_run / "warehouse" / "warehouse.duckdb"
    assert not plan.save(target, warehouse, tmp_path / "plans" / "k", "r", ["dbt"])
    assert not (tmp_path / "plans" / "k").exists()


def test_data_tests_are_decided_as_dbt_decides_them() -> None:
    warn_only = {"severity": "WARN", "warn_if": "!= 0", "error_if": "!= 0"}
    assert plan._test_result(warn_only, (1, True, True)) == (
        "warn",
        1,
        "Got 1 result, configured to warn if != 0",
    )
    strict = {"severity": "ERROR", "warn_if": "!= 0", "error_if": "> 10"}
    assert plan._test_result(strict, (12, True, True)) == (
        "fail",
        12,
        "Got 12 results, configured to fail if > 10",
    )
    assert plan._test_result(strict, (3, True, False))[0] == "warn"
    assert plan._test_result(strict, (3, False, False)) == ("pass", 0, None)


def test_dbt_flags_are_part_of_the_plan_key(tmp_path: Path) -> None:
    parse = tmp_path / "abc.msgpack"
    assert plan.plan_dir(parse, {}) == plan.plan_dir(parse, {"OMPHALOS_X": "1"})
    assert plan.plan_dir(parse, {}) != plan.plan_dir(parse, {"DBT_EXCLUDE_RESOURCE_TYPES": "test"})


def _graph_nodes() -> list[dict]:  # type: ignore[type-arg]
    # a diamond (a -> b, c -> d) and an independent e, in a finishing order dbt could give
    return [
        {"unique_id": "a", "depends_on": []},
        {"unique_id": "e", "depends_on": []},
        {"unique_id": "b", "depends_on": ["a", "source.x"]},
        {"unique_id": "c", "depends_on": ["a"]},
        {"unique_id": "d", "depends_on": ["b", "c"]},
    ]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_parallel_replay_runs_a_node_after_everything_it_depends_on(threads: int) -> None:
    import threading
    import time

    lock = threading.Lock()
    events: list[tuple[str, str]] = []
    at_once: list[int] = []
    running: set[str] = set()

    def run(node: dict) -> None:  # type: ignore[type-arg]
        uid = node["unique_id"]
        with lock:
            events.append(("start", uid))
            running.add(uid)
            at_once.append(len(running))
        time.sleep(0.02)
        with lock:
            running.discard(uid)
            events.append(("end", uid))

    plan._run_parallel(_graph_nodes(), run, threads, [])
    ends = {uid: i for i, (what, uid) in enumerate(events) if what == "end"}
    starts = {uid: i for i, (what, uid) in enumerate(events) if what == "start"}
    assert set(starts) == set(ends) == {"a", "b", "c", "d", "e"}
    for node in _graph_nodes():
        for dep in node["depends_on"]:
            if dep in ends:  # a dependency outside the plan (a source) is never waited for
                assert ends[dep] < starts[node["unique_id"]]
    assert max(at_once) <= threads
    if threads > 1:
        assert max(at_once) > 1  # independent nodes did run side by side


def test_parallel_replay_starts_nothing_after_a_failure() -> None:
    failed: list[str] = []
    ran: list[str] = []

    def run(node: dict) -> None:  # type: ignore[type-arg]
        ran.append(node["unique_id"])
        if node["unique_id"] == "a":
            failed.append("a: error")

    plan._run_parallel(_graph_nodes(), run, 2, failed)
    # a and e start together; after a fails, nothing that is not already running starts
    assert "a" in ran and not {"b", "c", "d"} & set(ran)
