"""The sealed run end to end: layout, determinism, verify, failure handling, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from omphalos.cli.app import main
from omphalos.evidence.verify import verify_run
from omphalos.pipeline import run as run_module
from omphalos.pipeline.export import contracts, logical_fingerprint
from omphalos.pipeline.run import RunError, execute_run


def _manifest(run_dir: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((run_dir / "run_manifest.json").read_text(encoding="utf-8"))


def test_sealed_run_layout_and_verify(sealed_run: Path) -> None:
    m = _manifest(sealed_run)
    paths = {a["path"]: a for a in m["artifacts"]}
    for p in (
        "config/run_config.yaml",
        "inputs/admitted/shipments.parquet",
        "inputs/rejects.csv",
        "exports/entity_matches.parquet",
        "exports/entity_matches.csv",
        "exports/entity_scores.parquet",
        "exports/review_queue.parquet",
        "reports/admission.json",
        "reports/summary.json",
        "lineage/events.jsonl",
        "warehouse/warehouse.duckdb",
    ):
        assert p in paths, p
    assert paths["warehouse/warehouse.duckdb"]["role"] == "procedural"
    assert paths["reports/timings.json"]["role"] == "procedural"
    assert paths["exports/entity_matches.parquet"]["role"] == "payload"
    for name in ("entity_matches", "entity_scores", "review_queue"):  # spreadsheet-safe copies
        assert paths[f"exports/spreadsheet/{name}.csv"]["role"] == "payload"
    assert verify_run(sealed_run).ok
    assert not list(sealed_run.parent.glob(".tmp-*"))
    assert {t["name"] for t in m["tables"]} == {"entity_matches", "entity_scores", "review_queue"}
    assert m["dbt"]["command"][0] == "dbt" and "<run_dir>" in " ".join(m["dbt"]["command"])
    assert "/" not in m["dbt"]["command"][0]


def test_summary_has_matches_and_exposure(sealed_run: Path) -> None:
    s = json.loads((sealed_run / "reports" / "summary.json").read_text(encoding="utf-8"))
    assert s["shipments"] == 2000
    assert s["matches_by_status"].get("MATCH", 0) > 0
    assert s["top_exposed_entities"], "no exposed entity"


def test_two_runs_of_one_config_get_distinct_ids_and_the_same_payload_root(
    small_inputs: Path, runs_root: Path, sealed_run: Path
) -> None:
    second = execute_run(small_inputs / "test.yaml", runs_root=runs_root, threads=1)
    assert second != sealed_run
    a, b = _manifest(sealed_run), _manifest(second)
    assert a["run_id"] != b["run_id"]
    assert a["merkle"]["payload_root"] == b["merkle"]["payload_root"]
    assert a["merkle"]["all_root"] != b["merkle"]["all_root"]  # procedural files differ
    assert [t["logical_sha256"] for t in a["tables"]] == [t["logical_sha256"] for t in b["tables"]]


def test_logical_fingerprint_ignores_encoding_and_row_order(sealed_run: Path) -> None:
    contract = contracts()["entity_scores"]
    table = pq.read_table(sealed_run / "exports" / "entity_scores.parquet")
    from_csv = pacsv.read_csv(sealed_run / "exports" / "entity_scores.csv").cast(contract.schema)
    reversed_rows = table.take(list(range(table.num_rows - 1, -1, -1)))
    fp = logical_fingerprint(table, contract.key)
    assert fp == logical_fingerprint(from_csv, contract.key)
    assert fp == logical_fingerprint(reversed_rows, contract.key)
    recorded = {t["name"]: t["logical_sha256"] for t in _manifest(sealed_run)["tables"]}
    assert recorded["entity_scores"] == fp


def test_failed_run_is_marked_failed_and_never_looks_sealed(
    small_inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RunError("dbt build failed (simulated)")

    monkeypatch.setattr(run_module, "_run_dbt", boom)
    monkeypatch.setenv("OMPHALOS_DBT_PLAN", "0")  # dbt itself, not a replay of a saved plan
    with pytest.raises(RunError):
        execute_run(small_inputs / "test.yaml", runs_root=tmp_path)
    entries = list(tmp_path.iterdir())
    assert len(entries) == 1 and entries[0].name.endswith(".FAILED")
    assert not (entries[0] / "run_manifest.json").exists()
    failed = json.loads((entries[0] / "FAILED.json").read_text(encoding="utf-8"))
    assert "simulated" in failed["error"]


def test_bad_input_is_exit_2_with_file_and_column(small_inputs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(small_inputs, folder)
    text = (folder / "shipments.csv").read_text(encoding="utf-8")
    (folder / "shipments.csv").write_text(text.replace('"hs_code"', '"hs"', 1), encoding="utf-8")
    code = main(
        ["run", "--config", str(folder / "test.yaml"), "--runs-root", str(tmp_path / "runs")]
    )
    assert code == 2
    failed = list((tmp_path / "runs").glob("*.FAILED"))
    assert failed and "missing column(s) hs_code" in (failed[0] / "FAILED.json").read_text(
        encoding="utf-8"
    )


def test_cli_verify_exit_codes(
    sealed_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--run-dir", str(sealed_run)]) == 0
    assert "OK" in capsys.readouterr().out
    copy = tmp_path / "copy"
    shutil.copytree(sealed_run, copy, symlinks=True)
    with (copy / "exports" / "review_queue.csv").open("a", encoding="utf-8") as fh:
        fh.write("tampered\n")
    assert main(["verify", "--run-dir", str(copy), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert any(p["path"] == "exports/review_queue.csv" for p in report["problems"])
    assert main(["verify", "--run-dir", str(tmp_path / "nope")]) == 2


def test_show_prints_summary(sealed_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(sealed_run)]) == 0
    out = capsys.readouterr().out
    assert "top exposed entities" in out and "payload_root" in out
