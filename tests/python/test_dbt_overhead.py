"""benchmarks/dbt_overhead.py: a run's dbt phase split, and its compiled SQL replayed without dbt."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from conftest import benchmark_module, file_digests


def _tool() -> ModuleType:
    return benchmark_module("dbt_overhead")


def test_replays_every_model_and_data_test_of_the_run_without_changing_it(
    sealed_run: Path,
) -> None:
    before = file_digests(sealed_run)
    result = _tool().measure(sealed_run)
    results = json.loads((sealed_run / "dbt/target/run_results.json").read_text("utf-8"))
    kinds = [r["unique_id"].split(".")[0] for r in results["results"]]
    assert result["replay"]["models"] == kinds.count("model")
    assert result["replay"]["data_tests"] == kinds.count("test") > 0
    assert result["nodes"]["test"]["nodes"] == kinds.count("test")
    assert result["build_elapsed_s"] == round(results["elapsed_time"], 2)
    assert result["start_parse_and_artifacts_s"] == pytest.approx(
        result["dbt_phase_s"] - result["build_elapsed_s"], abs=0.011
    )
    assert result["replay"]["sql_s"] > 0
    assert file_digests(sealed_run) == before  # opened read only: the sealed run is untouched


def _copy_with_changed_node(run: Path, dest: Path, name: str, compiled: str) -> Path:
    shutil.copytree(run, dest)
    path = dest / "dbt/target/manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    (node,) = [n for n in manifest["nodes"].values() if n["name"] == name]
    node["compiled_code"] = compiled
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return dest


def test_a_replay_that_disagrees_with_the_run_is_an_error(sealed_run: Path, tmp_path: Path) -> None:
    manifest = json.loads((sealed_run / "dbt/target/manifest.json").read_text("utf-8"))
    test_name = sorted(
        n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"
    )[0]
    failing = _copy_with_changed_node(sealed_run, tmp_path / "test", test_name, "select 1 as x")
    with pytest.raises(RuntimeError, match="1 failing rows replayed, 0 in the run"):
        _tool().replay(failing, tmp_path / "w1")

    (histogram,) = [n for n in manifest["nodes"].values() if n["name"] == "rpt_score_histogram"]
    fewer = _copy_with_changed_node(
        sealed_run,
        tmp_path / "model",
        "rpt_score_histogram",
        f"select * from ({histogram['compiled_code']}) as t limit 0",
    )
    with pytest.raises(RuntimeError, match=r"rpt_score_histogram: 0 rows replayed, [1-9]"):
        _tool().replay(fewer, tmp_path / "w2")


def test_refuses_a_folder_that_is_not_a_sealed_run(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        _tool().main([str(tmp_path)])
    assert exc.value.code == 2
