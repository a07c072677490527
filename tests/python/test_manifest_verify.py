"""Seal a synthetic run, verify it, then tamper with it in every way an earlier system missed."""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from omphalos.cli.verify import add_arguments, main_from_args
from omphalos.evidence.canonical import (
    CanonicalJSONError,
    canonical_bytes,
    is_safe_relpath,
    sha256_file,
    write_canonical_json,
)
from omphalos.evidence.lineage import LineageLog
from omphalos.evidence.manifest import (
    MANIFEST_NAME,
    SCHEMA_VERSION,
    ManifestError,
    build_manifest,
    classify,
    collect_artifacts,
    compute_merkle,
    compute_metadata_sha256,
    load_manifest,
    write_manifest,
)
from omphalos.evidence.problems import Problem
from omphalos.evidence.verify import verify_run

RUN_ID = "demo-20260102T030405Z-0a1b2c3d"
EXPORT = "exports/entity_matches.csv"

FILES = {
    "config/run_config.yaml": b"name: demo\nas_of_date: 2026-01-01\n",
    "inputs/admitted/shipments.parquet": b"PAR1 shipments rows PAR1",
    "inputs/rejects.csv": b"file,row,column,reason\n",
    EXPORT: b"match_id,entity_id,score\nm1,e1,12.50\nm2,e2,9.00\n",
    "exports/entity_matches.parquet": b"PAR1 entity_matches PAR1",
    "reports/run_summary.json": b'{"rows":2}\n',
    "reports/timings.json": b'{"dbt":"1.5"}\n',
    "warehouse/warehouse.duckdb": b"DUCK" + os.urandom(64),
    "dbt/run_results.json": b"{}\n",
}


def _meta() -> dict[str, Any]:
    return {
        "run_id": RUN_ID,
        "started_at": "2026-01-02T03:04:05Z",
        "tool": {"name": "omphalos", "version": "0.1.0"},
        "dependencies": {"python": "3.11.7", "duckdb": "1.4.0"},
        "engine": {"target": "duckdb", "threads": 4},
        "config": {
            "name": "demo",
            "path": "config/runs/demo.yaml",
            "sha256": hashlib.sha256(FILES["config/run_config.yaml"]).hexdigest(),
            "as_of_date": "2026-01-01",
        },
        "inputs": [
            {
                "name": "shipments",
                "format": "csv",
                "source_sha256": "ab" * 32,
                "source_size": 1234,
                "rows_read": 3,
                "rows_admitted": 3,
                "rows_rejected": 0,
            }
        ],
        "dbt": {"command": ["dbt", "build"], "vars": {"as_of_date": "2026-01-01"}},
        "tables": [
            {
                "name": "entity_matches",
                "key": ["match_id"],
                "rows": 2,
                "columns": ["match_id", "entity_id", "score"],
                "logical_sha256": "cd" * 32,
            }
        ],
    }


def make_run(base: Path, name: str = RUN_ID) -> Path:
    run = base / name
    for rel, data in FILES.items():
        target = run / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    log = LineageLog(run / "lineage/events.jsonl")
    log.append("run_started", {"run_id": RUN_ID})
    log.append("inputs_admitted", {"rows": 3})
    log.append("dbt_finished", {"models": 9})
    return run


def seal(run: Path) -> dict[str, Any]:
    manifest = build_manifest(run, _meta(), sealed_at="2026-01-02T03:05:00Z")
    write_manifest(run, manifest)
    return manifest


@pytest.fixture
def run(tmp_path: Path) -> Path:
    run = make_run(tmp_path)
    seal(run)
    return run


def problems(run: Path) -> list[Problem]:
    return verify_run(run).problems


def codes(run: Path) -> set[tuple[str, str]]:
    return {(p.code, p.path) for p in problems(run)}


def edit_manifest(run: Path, change: Callable[[dict[str, Any]], None], *, reseal: bool) -> None:
    """Edit the manifest on disk; with ``reseal`` also recompute ``metadata_sha256`` (a careful
    forger), so only the deeper checks can catch it."""
    manifest = json.loads((run / MANIFEST_NAME).read_bytes())
    change(manifest)
    if reseal:
        manifest["metadata_sha256"] = compute_metadata_sha256(manifest)
    write_canonical_json(run / MANIFEST_NAME, manifest)


def entry(manifest: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in manifest["artifacts"] if a["path"] == path)
    return found


# --------------------------------------------------------------------------- sealing, clean run


def test_sealed_run_verifies(run: Path) -> None:
    result = verify_run(run)
    assert result.problems == []
    assert result.ok
    assert result.run_id == RUN_ID
    manifest = load_manifest(run / MANIFEST_NAME)
    assert result.roots["payload_root"] == manifest["merkle"]["payload_root"]
    assert result.roots["all_root"] == manifest["merkle"]["all_root"]
    assert result.counts["artifacts_listed"] == len(FILES) + 1
    assert json.loads(result.to_json())["ok"] is True


def test_manifest_shape(run: Path) -> None:
    raw = (run / MANIFEST_NAME).read_bytes()
    manifest = load_manifest(run / MANIFEST_NAME)
    assert raw == canonical_bytes(manifest) + b"\n"
    assert manifest["schema_version"] == SCHEMA_VERSION
    paths = [a["path"] for a in manifest["artifacts"]]
    assert paths == sorted(paths, key=lambda p: p.encode())
    assert MANIFEST_NAME not in paths
    assert "lineage/events.jsonl" in paths
    merkle = manifest["merkle"]
    assert merkle["algorithm"] == "rfc6962-sha256"
    assert merkle["leaf"] == "omphalos.leaf/1"
    assert merkle["all_leaves"] == len(paths)
    assert merkle["payload_leaves"] == sum(a["role"] == "payload" for a in manifest["artifacts"])
    assert manifest["metadata_sha256"] == compute_metadata_sha256(manifest)
    for a in manifest["artifacts"]:
        assert (a["sha256"], a["size"]) == sha256_file(run / a["path"])
        assert (a["role"], a["kind"]) == classify(a["path"])


def test_payload_root_ignores_procedural_files(tmp_path: Path) -> None:
    first = seal(make_run(tmp_path / "a"))
    second_run = make_run(tmp_path / "b")
    (second_run / "reports/timings.json").write_bytes(b'{"dbt":"2.0"}\n')
    second = seal(second_run)
    assert first["merkle"]["payload_root"] == second["merkle"]["payload_root"]
    assert first["merkle"]["all_root"] != second["merkle"]["all_root"]  # warehouse bytes differ


@pytest.mark.parametrize(
    ("path", "role", "kind"),
    [
        ("config/run_config.yaml", "payload", "config"),
        ("inputs/admitted/shipments.parquet", "payload", "admitted_input"),
        ("inputs/rejects.csv", "payload", "rejects"),
        ("exports/x.parquet", "payload", "export"),
        ("exports/x.csv", "payload", "export"),
        ("reports/run_summary.json", "payload", "report"),
        ("reports/timings.json", "procedural", "timings"),
        ("warehouse/warehouse.duckdb", "procedural", "warehouse"),
        ("dbt/run_results.json", "procedural", "dbt"),
        ("lineage/events.jsonl", "procedural", "lineage"),
        ("logs/dbt.log", "procedural", "log"),
        ("notes.txt", "procedural", "other"),
        ("exportsx/a.csv", "procedural", "other"),
        (".git/config", "procedural", "other"),
    ],
)
def test_classify(path: str, role: str, kind: str) -> None:
    assert classify(path) == (role, kind)


def test_build_manifest_rejects_bad_metadata(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    meta = _meta()
    del meta["tables"]
    with pytest.raises(ManifestError, match="tables"):
        build_manifest(run, meta)
    with pytest.raises(ManifestError, match="merkle"):
        build_manifest(run, {**_meta(), "merkle": {}})
    with pytest.raises(ManifestError, match="float"):
        build_manifest(run, {**_meta(), "engine": {"target": "duckdb", "threads": 1.5}})


def test_collect_artifacts_refuses_symlinks(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    (run / "exports/link.csv").symlink_to(run / EXPORT)
    with pytest.raises(ManifestError, match="symlink"):
        collect_artifacts(run)


def test_write_manifest_refuses_stale_metadata(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    manifest = build_manifest(run, _meta())
    manifest["run_id"] = "other"
    with pytest.raises(ManifestError, match="metadata_sha256"):
        write_manifest(run, manifest)
    assert not (run / MANIFEST_NAME).exists()


# --------------------------------------------------------------------------- tampering


def test_edited_export(run: Path) -> None:
    data = bytearray((run / EXPORT).read_bytes())
    data[-3] ^= 1  # same size, different bytes
    (run / EXPORT).write_bytes(bytes(data))
    found = codes(run)
    assert ("sha256_mismatch", EXPORT) in found
    assert ("size_mismatch", EXPORT) not in found
    assert ("payload_root_mismatch", MANIFEST_NAME) in found


def test_grown_export_is_a_size_mismatch(run: Path) -> None:
    with open(run / EXPORT, "ab") as f:
        f.write(b"m3,e3,1.00\n")
    assert {("size_mismatch", EXPORT), ("sha256_mismatch", EXPORT)} <= codes(run)


def test_edited_export_with_rehashed_entry(run: Path) -> None:
    (run / EXPORT).write_bytes(b"match_id,entity_id,score\nm1,e1,99.99\n")
    digest, size = sha256_file(run / EXPORT)

    def rehash(m: dict[str, Any]) -> None:
        entry(m, EXPORT).update(sha256=digest, size=size)

    edit_manifest(run, rehash, reseal=True)
    found = codes(run)
    assert found == {
        ("payload_root_mismatch", MANIFEST_NAME),
        ("all_root_mismatch", MANIFEST_NAME),
    }


def test_edited_export_with_rehashed_entry_without_reseal(run: Path) -> None:
    (run / EXPORT).write_bytes(b"match_id,entity_id,score\n")
    digest, size = sha256_file(run / EXPORT)
    edit_manifest(run, lambda m: entry(m, EXPORT).update(sha256=digest, size=size), reseal=False)
    found = codes(run)
    assert ("payload_root_mismatch", MANIFEST_NAME) in found
    assert ("metadata_mismatch", MANIFEST_NAME) in found
    assert not any(path == EXPORT for _, path in found)


def test_full_forgery_changes_the_payload_root(run: Path) -> None:
    """A forger who rewrites everything passes verify, but cannot keep the payload root: any
    independently recorded root (a signature, a second run) exposes the change."""
    original = load_manifest(run / MANIFEST_NAME)["merkle"]["payload_root"]
    (run / EXPORT).write_bytes(b"match_id,entity_id,score\n")
    (run / MANIFEST_NAME).unlink()
    forged = seal(run)
    assert problems(run) == []
    assert forged["merkle"]["payload_root"] != original


@pytest.mark.parametrize("extra", ["exports/extra.csv", ".git/config", "build/out.bin", ".hidden"])
def test_added_file(run: Path, extra: str) -> None:
    (run / extra).parent.mkdir(parents=True, exist_ok=True)
    (run / extra).write_bytes(b"smuggled\n")
    found = codes(run)
    assert ("unlisted_file", extra) in found
    assert ("all_root_mismatch", MANIFEST_NAME) in found
    assert ("leaf_count_mismatch", MANIFEST_NAME) in found


def test_deeply_hidden_file(run: Path) -> None:
    hidden = run / ".git/objects/ab/cdef"
    hidden.parent.mkdir(parents=True)
    hidden.write_bytes(b"x")
    assert ("unlisted_file", ".git/objects/ab/cdef") in codes(run)


def test_deleted_file(run: Path) -> None:
    (run / EXPORT).unlink()
    assert ("missing_file", EXPORT) in codes(run)


def test_deleted_file_and_entry(run: Path) -> None:
    (run / EXPORT).unlink()

    def drop(m: dict[str, Any]) -> None:
        m["artifacts"] = [a for a in m["artifacts"] if a["path"] != EXPORT]

    edit_manifest(run, drop, reseal=True)
    found = codes(run)
    assert found == {
        ("payload_root_mismatch", MANIFEST_NAME),
        ("all_root_mismatch", MANIFEST_NAME),
        ("leaf_count_mismatch", MANIFEST_NAME),
    }


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(run_id="demo-20990101T000000Z-deadbeef"),
        lambda m: m["inputs"][0].update(source_sha256="ef" * 32),
        lambda m: m["dbt"]["vars"].update(as_of_date="2020-01-01"),
        lambda m: m.update(sealed_at="2026-01-02T04:00:00Z"),
    ],
    ids=["run_id", "input_digest", "dbt_vars", "sealed_at"],
)
def test_edited_metadata(run: Path, change: Callable[[dict[str, Any]], None]) -> None:
    edit_manifest(run, change, reseal=False)
    assert codes(run) == {("metadata_mismatch", MANIFEST_NAME)}


def test_symlink_to_outside(run: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret\n")
    (run / "exports/link.csv").symlink_to(outside)
    (run / "logs").symlink_to(tmp_path, target_is_directory=True)
    found = codes(run)
    assert ("symlink", "exports/link.csv") in found
    assert ("symlink", "logs") in found
    assert not any(path.startswith("logs/") for _, path in found)


def test_listed_file_replaced_by_symlink(run: Path, tmp_path: Path) -> None:
    copy_outside = tmp_path / "copy.csv"
    copy_outside.write_bytes((run / EXPORT).read_bytes())
    (run / EXPORT).unlink()
    (run / EXPORT).symlink_to(copy_outside)
    found = codes(run)
    assert ("symlink", EXPORT) in found
    assert ("missing_file", EXPORT) not in found
    assert ("payload_root_mismatch", MANIFEST_NAME) in found


def test_symlinked_manifest_is_not_followed(run: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.json"
    (run / MANIFEST_NAME).rename(real)
    (run / MANIFEST_NAME).symlink_to(real)
    found = codes(run)
    assert ("symlink", MANIFEST_NAME) in found
    assert ("manifest_unreadable", MANIFEST_NAME) in found


def test_fifo_is_not_a_regular_file(run: Path) -> None:
    os.mkfifo(run / "exports/pipe")
    assert ("not_regular_file", "exports/pipe") in codes(run)


@pytest.mark.parametrize(
    "bad_path",
    ["../outside.txt", "/etc/passwd", "exports\\a.csv", "exports//a.csv", "./exports/a.csv", ""],
)
def test_unsafe_manifest_paths(run: Path, tmp_path: Path, bad_path: str) -> None:
    (tmp_path / "outside.txt").write_bytes(b"x")
    digest = hashlib.sha256(b"x").hexdigest()

    def add(m: dict[str, Any]) -> None:
        m["artifacts"].append(
            {"path": bad_path, "size": 1, "sha256": digest, "role": "procedural", "kind": "other"}
        )

    edit_manifest(run, add, reseal=True)
    found = codes(run)
    assert ("unsafe_path", bad_path) in found
    assert not any(code in {"missing_file", "sha256_mismatch"} for code, _ in found)


def test_duplicate_manifest_path(run: Path) -> None:
    edit_manifest(
        run, lambda m: m["artifacts"].append(copy.deepcopy(entry(m, EXPORT))), reseal=True
    )
    assert ("duplicate_path", EXPORT) in codes(run)


def test_role_claim_must_match_the_path(run: Path) -> None:
    warehouse = "warehouse/warehouse.duckdb"
    edit_manifest(run, lambda m: entry(m, warehouse).update(role="payload"), reseal=True)
    assert ("role_mismatch", warehouse) in codes(run)


def test_leaf_count_type_is_checked(run: Path) -> None:
    def boolify(m: dict[str, Any]) -> None:
        m["merkle"]["all_leaves"] = float(m["merkle"]["all_leaves"]) > 0

    edit_manifest(run, boolify, reseal=True)
    assert ("leaf_count_mismatch", MANIFEST_NAME) in codes(run)


def test_unsorted_artifacts(run: Path) -> None:
    edit_manifest(run, lambda m: m["artifacts"].reverse(), reseal=True)
    assert "manifest_not_sorted" in {code for code, _ in codes(run)}


def test_manifest_missing(run: Path) -> None:
    (run / MANIFEST_NAME).unlink()
    assert codes(run) == {("manifest_missing", MANIFEST_NAME)}


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b'{"a":1,"a":2}', b'{"schema_version":"omphalos.run_manifest/1","x":1.5}'],
)
def test_manifest_not_json(run: Path, raw: bytes) -> None:
    (run / MANIFEST_NAME).write_bytes(raw)
    assert codes(run) == {("manifest_invalid_json", MANIFEST_NAME)}
    with pytest.raises(ManifestError):
        load_manifest(run / MANIFEST_NAME)


def test_manifest_unknown_schema_version(run: Path) -> None:
    edit_manifest(run, lambda m: m.update(schema_version="omphalos.run_manifest/2"), reseal=True)
    assert codes(run) == {("manifest_unknown_schema", MANIFEST_NAME)}
    with pytest.raises(ManifestError, match="schema_version") as info:
        load_manifest(run / MANIFEST_NAME)
    assert info.value.code == "manifest_unknown_schema"


def test_manifest_not_canonical(run: Path) -> None:
    manifest = load_manifest(run / MANIFEST_NAME)
    (run / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    assert codes(run) == {("manifest_not_canonical", MANIFEST_NAME)}


def test_tampered_lineage_line(run: Path) -> None:
    path = run / "lineage/events.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b'"run_started"', b'"run_forged"')
    path.write_bytes(b"\n".join(lines))
    found = problems(run)
    lineage = [p for p in found if p.code.startswith("lineage_")]
    assert [(p.code, p.path) for p in lineage] == [
        ("lineage_prev_mismatch", "lineage/events.jsonl")
    ]
    assert "line 2" in lineage[0].message
    assert ("sha256_mismatch", "lineage/events.jsonl") in {(p.code, p.path) for p in found}


def test_garbage_artifact_entries_do_not_crash(run: Path) -> None:
    def mangle(m: dict[str, Any]) -> None:
        m["artifacts"].extend([42, {"path": 7}, {"path": "zz", "size": "1", "sha256": None}])
        m["merkle"] = "nope"

    edit_manifest(run, mangle, reseal=True)
    found = codes(run)
    assert ("manifest_invalid_entry", "artifacts[10]") in found
    assert ("manifest_invalid_entry", "zz") in found
    assert ("manifest_invalid", MANIFEST_NAME) in found


# --------------------------------------------------------------------------- CLI


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="omphalos verify")
    add_arguments(parser)
    return main_from_args(parser.parse_args(argv))


def test_cli_ok(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["--run-dir", str(run)]) == 0
    out = capsys.readouterr().out
    root = load_manifest(run / MANIFEST_NAME)["merkle"]["payload_root"]
    assert out.startswith(f"OK {RUN_ID} payload_root={root}")


def test_cli_problems(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run / ".git").mkdir()
    (run / ".git/HEAD").write_bytes(b"x")
    assert _cli(["--run-dir", str(run)]) == 1
    assert "[unlisted_file] .git/HEAD: " in capsys.readouterr().out
    assert _cli(["--run-dir", str(run), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert {"code": "unlisted_file", "path": ".git/HEAD"}.items() <= doc["problems"][0].items()


def test_cli_missing_run_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["--run-dir", str(tmp_path / "nope")]) == 2
    (tmp_path / "file").write_bytes(b"")
    assert _cli(["--run-dir", str(tmp_path / "file"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["ok"] is False
    with pytest.raises(SystemExit) as info:
        _cli([])
    assert info.value.code == 2


# --------------------------------------------------------------------------- canonical helpers


def test_canonical_bytes() -> None:
    assert canonical_bytes({"b": 1, "a": ["\u00e9", None, True]}) == (
        '{"a":["\u00e9",null,true],"b":1}'.encode()
    )
    for bad in (1.5, float("nan"), {"x": [float("inf")]}, {1: "a"}, b"bytes", {"s": "\ud800"}):
        with pytest.raises(CanonicalJSONError):
            canonical_bytes(bad)


def test_write_canonical_json_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_canonical_json(target, {"k": "v"})
    assert target.read_bytes() == b'{"k":"v"}\n'
    with pytest.raises(CanonicalJSONError):
        write_canonical_json(target, {"k": 0.1})
    assert target.read_bytes() == b'{"k":"v"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]


def test_sha256_file(tmp_path: Path) -> None:
    data = os.urandom(9 * 1024 * 1024 + 7)  # crosses the 4 MiB chunk boundary
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == (hashlib.sha256(data).hexdigest(), len(data))
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "empty") == (hashlib.sha256(b"").hexdigest(), 0)
    (tmp_path / "link").symlink_to(tmp_path / "f")
    with pytest.raises(OSError):
        sha256_file(tmp_path / "link", follow_symlinks=False)
    with pytest.raises(OSError):
        sha256_file(tmp_path)


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        ("a", True),
        ("exports/a.csv", True),
        (".git/config", True),
        ("a..b/c", True),
        ("", False),
        ("/abs", False),
        ("../x", False),
        ("a/../b", False),
        ("./a", False),
        ("a/.", False),
        ("a//b", False),
        ("a/", False),
        ("a\\b", False),
        ("a\x00b", False),
        ("bad\udcff", False),
    ],
)
def test_is_safe_relpath(path: str, safe: bool) -> None:
    assert is_safe_relpath(path) is safe


def test_compute_merkle_matches_manifest(run: Path) -> None:
    manifest = load_manifest(run / MANIFEST_NAME)
    assert compute_merkle(manifest["artifacts"]) == manifest["merkle"]
