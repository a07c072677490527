"""Shared fixtures: small generated inputs and sealed runs, built once per test session."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from omphalos.pipeline.run import execute_run
from omphalos.tools.generate import generate

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

#: The longest test modules (a Spark run each, minutes): collected first, so that `make test`'s
#: two workers (pytest-xdist, --dist loadfile) start one each and the rest fills in around them.
LONGEST_FIRST = ("test_spark.py", "test_engines_demo.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)


CONFIG_TEMPLATE = """\
name: {name}
as_of_date: "2026-10-31"
inputs:
  shipments: shipments.{ext}
  registry_entities: registry_entities.{ext}
  registry_names: registry_names.{ext}
  registry_identifiers: registry_identifiers.{ext}
"""


def write_config(folder: Path, name: str = "test", ext: str = "csv") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(CONFIG_TEMPLATE.format(name=name, ext=ext), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 shipments x 300 entities, seed 11, CSV, with a config `test.yaml` beside them."""
    folder = tmp_path_factory.mktemp("inputs")
    generate(folder, shipments=2000, entities=300, seed=11)
    write_config(folder)
    return folder


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def sealed_run(small_inputs: Path, runs_root: Path) -> Path:
    """One sealed run of the small inputs (do not modify it: copy it first)."""
    return execute_run(small_inputs / "test.yaml", runs_root=runs_root, threads=2)


def shared_data() -> Path:
    """The real public data folder (../shared/data); skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            "../shared/data not found: tests on real public data need the shared data folder"
        )
    return SHARED_DATA


# --- run report and review packets (tests/python/test_report*.py) -----------------------------


@pytest.fixture(scope="session")
def sealed_run_twin(small_inputs: Path, runs_root: Path, sealed_run: Path) -> Path:
    """A second sealed run of the same small inputs (1 thread): same payload, other run id."""
    return execute_run(small_inputs / "test.yaml", runs_root=runs_root, threads=1)


def unsealed_copy_with_report(run: Path, dest: Path) -> Path:
    """Copy a sealed run without its seal and (re)write its packets and report page, as the run
    does before sealing. Returns the copy."""
    import shutil

    from omphalos.presentation.packets import PACKETS_DIR, write_packets
    from omphalos.presentation.report import REPORT_PATH, write_report

    shutil.copytree(run, dest)
    for name in ("run_manifest.json", "run_manifest.sig.json"):
        (dest / name).unlink(missing_ok=True)
    shutil.rmtree(dest / PACKETS_DIR, ignore_errors=True)
    (dest / REPORT_PATH).unlink(missing_ok=True)
    write_packets(dest)
    write_report(dest)
    return dest


@pytest.fixture(scope="session")
def reported_run(sealed_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unsealed copy of `sealed_run` with packets and reports/index.html written."""
    return unsealed_copy_with_report(sealed_run, tmp_path_factory.mktemp("reported") / "run")


@pytest.fixture(scope="session")
def reported_run_twin(sealed_run_twin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same for `sealed_run_twin`."""
    return unsealed_copy_with_report(sealed_run_twin, tmp_path_factory.mktemp("reported") / "run")


# --- the benchmark tools (benchmarks/*.py, scripts rather than package modules) ---------------


def benchmark_module(name: str) -> ModuleType:
    """benchmarks/<name>.py loaded as a module."""
    import importlib.util

    from omphalos.pipeline.paths import project_root

    spec = importlib.util.spec_from_file_location(
        name, project_root() / "benchmarks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path: to show a folder unchanged."""
    import hashlib

    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
