"""benchmarks/profile_models.py (`make profile`): DuckDB's JSON profile of a run's models."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from conftest import benchmark_module, file_digests


def _tool() -> ModuleType:
    return benchmark_module("profile_models")


def test_profiles_the_slowest_models_without_changing_the_run(
    sealed_run: Path, tmp_path: Path
) -> None:
    before = file_digests(sealed_run)
    out = tmp_path / "profiles"
    assert _tool().main([str(sealed_run), "--top", "3", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    models = summary["models"]
    assert len(models) == 3
    dbt_order = [m["dbt_seconds"] for m in models]
    assert dbt_order == sorted(dbt_order, reverse=True)  # the slowest first
    for m in models:
        profile = json.loads(Path(m["profile"]).read_text(encoding="utf-8"))
        assert "operator" in profile or "children" in profile  # DuckDB's own JSON profile
        assert m["top_operators"], m["model"]
        assert all(o["seconds"] >= 0 and o["operator"] for o in m["top_operators"])
    assert file_digests(sealed_run) == before  # read only: the sealed run is untouched

    chosen = _tool().main(
        [str(sealed_run), "--models", "entity_matches", "--out", str(tmp_path / "one")]
    )
    assert chosen == 0
    one = json.loads((tmp_path / "one" / "summary.json").read_text(encoding="utf-8"))
    assert [m["model"] for m in one["models"]] == ["entity_matches"]


def test_refuses_a_folder_that_is_not_a_sealed_run(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        _tool().main([str(tmp_path)])
    assert exc.value.code == 2
