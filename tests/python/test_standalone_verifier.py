"""The standalone verifier (tools/omphalos_verify_standalone.py) against the package's verifiers.

Both must agree on the shared vectors under contracts/test_vectors: the RFC 6962 vectors, the
``omphalos.leaf/1`` and canonical JSON vectors, a tiny sealed run and its tampered variants
(``run_tampering.json``, each with the exact problems expected), and bundles of that run.

Set ``OMPHALOS_REGENERATE_VECTORS=1`` to rewrite the tiny run vector after a deliberate format
change (then review the diff).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from omphalos.evidence import release
from omphalos.evidence.canonical import canonical_bytes, loads_strict
from omphalos.evidence.lineage import LineageLog
from omphalos.evidence.manifest import (
    META_FIELDS,
    ROLE_RULES,
    SEALED_FIELDS,
    build_manifest,
    compute_merkle,
    compute_metadata_sha256,
    write_manifest,
)
from omphalos.evidence.merkle import artifact_leaf_data, inclusion_proof, leaf_hash
from omphalos.evidence.verify import verify_run

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "omphalos_verify_standalone.py"
VECTORS = ROOT / "contracts" / "test_vectors"
RUN_VECTOR = VECTORS / "run_minimal"
TAMPERING = VECTORS / "run_tampering.json"

Codes = list[tuple[str, str]]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("omphalos_verify_standalone", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["omphalos_verify_standalone"] = module
    spec.loader.exec_module(module)
    return module


def codes(problems: list[Any]) -> Codes:
    out = []
    for p in problems:
        d = p if isinstance(p, dict) else p.to_dict()
        out.append((d["code"], d["path"]))
    return sorted(out)


# --------------------------------------------------------------------------------------------
# the tool uses the standard library only


def test_tool_imports_only_the_standard_library() -> None:
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    top: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            top.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top.add(node.module.split(".")[0])
    optional = {"cryptography"}  # imported lazily, only for --trusted-key
    assert top - optional <= set(sys.stdlib_module_names), top - set(sys.stdlib_module_names)
    assert "omphalos" not in top


def test_tool_runs_without_site_packages(tmp_path: Path) -> None:
    """With ``-S -I`` neither omphalos nor cryptography can be imported: the tool still works."""
    out = subprocess.run(
        [sys.executable, "-S", "-I", str(TOOL), "run", str(RUN_VECTOR), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["ok"] is True
    vec = subprocess.run(
        [sys.executable, "-S", "-I", str(TOOL), "vectors", str(VECTORS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert vec.returncode == 0, vec.stdout + vec.stderr
    key = tmp_path / "k.pub"
    key.write_text("{}", encoding="utf-8")
    no_crypto = subprocess.run(
        [sys.executable, "-S", "-I", str(TOOL), "run", str(RUN_VECTOR), "--trusted-key", str(key)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert no_crypto.returncode == 2
    assert "cryptography" in no_crypto.stderr


def test_tool_rules_match_the_package(tool: ModuleType) -> None:
    assert [(r.pattern, r.role, r.kind) for r in ROLE_RULES] == list(tool.ROLE_RULES)
    assert tuple(META_FIELDS) == tool.META_FIELDS
    assert tuple(SEALED_FIELDS) == tool.SEALED_FIELDS
    assert release.SCHEMA_VERSION == tool.RELEASE_SCHEMA
    assert release.PROOF_SCHEMA_VERSION == tool.PROOF_SCHEMA
    assert release.RELEASE_SIGNATURE_SCHEMA == tool.RELEASE_SIGNATURE_SCHEMA


# --------------------------------------------------------------------------------------------
# shared vectors: both implementations reproduce them


def test_both_agree_on_the_vector_files(tool: ModuleType) -> None:
    result = tool.check_vectors(VECTORS)
    assert result["ok"], result["problems"]
    assert result["checked"] > 40


def test_package_reproduces_leaf_vectors() -> None:
    doc = json.loads((VECTORS / "omphalos_leaf.json").read_text(encoding="utf-8"))
    for case in doc["cases"]:
        data = artifact_leaf_data(case["path"], case["size"], case["sha256"])
        assert data.hex() == case["leaf_data"]
        assert leaf_hash(data).hex() == case["leaf_hash"]
    for case in doc["invalid"]:
        with pytest.raises(ValueError):
            artifact_leaf_data(case["path"], case["size"], case["sha256"])
    for tree in doc["trees"]:
        merkle = compute_merkle(tree["artifacts"])
        for name in ("payload_root", "payload_leaves", "all_root", "all_leaves"):
            assert merkle[name] == tree[name]
        ordered = sorted(tree["artifacts"], key=lambda a: a["path"].encode("utf-8"))
        payload = [
            artifact_leaf_data(a["path"], a["size"], a["sha256"])
            for a in ordered
            if a["role"] == "payload"
        ]
        for proof in tree["inclusion_proofs"]:
            got = [h.hex() for h in inclusion_proof(payload, proof["leaf_index"])]
            assert got == proof["audit_path"]


def test_package_reproduces_canonical_vectors() -> None:
    doc = json.loads((VECTORS / "canonical_json.json").read_text(encoding="utf-8"))
    for case in doc["cases"]:
        data = canonical_bytes(loads_strict(case["json"]))
        assert data.decode("utf-8") == case["canonical"]
        assert hashlib.sha256(data).hexdigest() == case["sha256"]
    for case in doc["rejected"]:
        with pytest.raises(ValueError):
            loads_strict(case["json"])


def test_tool_rejects_a_wrong_vector(tool: ModuleType, tmp_path: Path) -> None:
    copy = tmp_path / "vectors"
    shutil.copytree(VECTORS, copy)
    doc = json.loads((copy / "omphalos_leaf.json").read_text(encoding="utf-8"))
    doc["trees"][0]["payload_root"] = "00" * 32
    (copy / "omphalos_leaf.json").write_text(json.dumps(doc), encoding="utf-8")
    result = tool.check_vectors(copy)
    assert not result["ok"]
    assert ("vector_tree", "omphalos_leaf.json") in codes(result["problems"])


# --------------------------------------------------------------------------------------------
# the tiny run vector


MINIMAL_FILES = {
    "config/run_config.yaml": b'name: minimal\nas_of_date: "2026-01-31"\n',
    "inputs/rejects.csv": b"file,row,column,reason\nshipments.csv,7,value_usd,not a decimal\n",
    "exports/entity_matches.csv": b"match_id,entity_id,score\nm1,E1,0.97\nm2,E2,0.91\n",
    "reports/summary.json": b'{"matches":2,"schema_version":"omphalos.run_summary/1"}\n',
    "reports/timings.json": b'{"phases_ms":{"dbt_build":1500},"schema_version":"omphalos.timings/1"}\n',
}
MINIMAL_RUN_ID = "minimal-20260131T120000Z-00c0ffee"


def make_minimal_run(target: Path) -> None:
    """Deterministically write the tiny sealed run (fixed clock, fixed metadata)."""
    for rel, data in MINIMAL_FILES.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(data)
    ticks = iter(f"2026-01-31T12:00:0{i}.000000Z" for i in range(10))
    log = LineageLog(target / "lineage" / "events.jsonl", clock=lambda: next(ticks))
    log.append("run_started", {"run_id": MINIMAL_RUN_ID, "config": "minimal"})
    log.append("input_admitted", {"name": "shipments", "rows_admitted": 9, "rows_rejected": 1})
    log.append("table_exported", {"name": "entity_matches", "rows": 2})
    log.append("sealing", {"run_id": MINIMAL_RUN_ID})
    meta = {
        "run_id": MINIMAL_RUN_ID,
        "started_at": "2026-01-31T12:00:00.000000Z",
        "tool": {"name": "omphalos", "version": "0.1.0"},
        "dependencies": {"python": "3.11.7"},
        "engine": {"target": "duckdb", "threads": 1},
        "config": {
            "name": "minimal",
            "path": "config/run_config.yaml",
            "sha256": hashlib.sha256(MINIMAL_FILES["config/run_config.yaml"]).hexdigest(),
            "as_of_date": "2026-01-31",
        },
        "inputs": [
            {
                "name": "shipments",
                "format": "csv",
                "source_sha256": "ab" * 32,
                "source_size": 321,
                "rows_read": 10,
                "rows_admitted": 9,
                "rows_rejected": 1,
            }
        ],
        "dbt": {"command": ["dbt", "build"], "vars": {"as_of_date": "2026-01-31"}},
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
    manifest = build_manifest(target, meta, sealed_at="2026-01-31T12:00:05.000000Z")
    write_manifest(target, manifest)


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_run_vector_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "run_minimal"
    fresh.mkdir()
    make_minimal_run(fresh)
    if os.environ.get("OMPHALOS_REGENERATE_VECTORS") == "1":
        shutil.rmtree(RUN_VECTOR, ignore_errors=True)
        shutil.copytree(fresh, RUN_VECTOR)
    assert _tree_bytes(RUN_VECTOR) == _tree_bytes(fresh), (
        "contracts/test_vectors/run_minimal is stale; rerun with OMPHALOS_REGENERATE_VECTORS=1"
    )


def test_both_verify_the_run_vector(tool: ModuleType) -> None:
    ours = verify_run(RUN_VECTOR)
    theirs = tool.verify_run_dir(RUN_VECTOR, tool.Keys())
    assert ours.ok, ours.problems
    assert theirs["ok"], theirs["problems"]
    assert theirs["roots"] == ours.roots


# --------------------------------------------------------------------------------------------
# tampered variants (run_tampering.json): both verifiers report exactly the expected problems


def _edit_manifest(run: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = run / "run_manifest.json"
    manifest = json.loads(path.read_bytes())
    change(manifest)
    path.write_bytes(canonical_bytes(manifest) + b"\n")


def _set_pointer(obj: Any, pointer: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    for part in parts[:-1]:
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    last = parts[-1]
    if isinstance(obj, list):
        obj[int(last)] = value
    else:
        obj[last] = value


def apply_op(run: Path, op: dict[str, Any]) -> None:
    kind = op["op"]
    if kind == "write":
        (run / op["path"]).parent.mkdir(parents=True, exist_ok=True)
        (run / op["path"]).write_bytes(op["text"].encode("utf-8"))
    elif kind == "replace":
        data = (run / op["path"]).read_bytes()
        old, new = op["old"].encode("utf-8"), op["new"].encode("utf-8")
        assert old in data, op
        (run / op["path"]).write_bytes(data.replace(old, new, 1))
    elif kind == "truncate":
        data = (run / op["path"]).read_bytes()
        (run / op["path"]).write_bytes(data[: len(data) - op["bytes"]])
    elif kind == "delete":
        (run / op["path"]).unlink()
    elif kind == "symlink":
        os.symlink(op["target"], run / op["path"])
    elif kind == "manifest_set":
        _edit_manifest(run, lambda m: _set_pointer(m, op["pointer"], op["value"]))
    elif kind == "manifest_set_artifact":

        def change(m: dict[str, Any]) -> None:
            entry = next(a for a in m["artifacts"] if a["path"] == op["path"])
            entry[op["field"]] = op["value"]

        _edit_manifest(run, change)
    elif kind == "manifest_insert_artifact":
        _edit_manifest(run, lambda m: m["artifacts"].insert(op["index"], op["entry"]))
    elif kind == "manifest_remove_artifact":
        _edit_manifest(
            run,
            lambda m: m.update(artifacts=[a for a in m["artifacts"] if a["path"] != op["path"]]),
        )
    elif kind == "manifest_rehash_artifact":

        def rehash(m: dict[str, Any]) -> None:
            data = (run / op["path"]).read_bytes()
            entry = next(a for a in m["artifacts"] if a["path"] == op["path"])
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["size"] = len(data)

        _edit_manifest(run, rehash)
    elif kind == "manifest_reformat":
        path = run / "run_manifest.json"
        path.write_text(json.dumps(json.loads(path.read_bytes()), indent=1) + "\n")
    elif kind == "reseal":
        _edit_manifest(run, lambda m: m.update(metadata_sha256=compute_metadata_sha256(m)))
    else:  # pragma: no cover
        raise AssertionError(f"unknown op {kind}")


def tampering_cases() -> list[dict[str, Any]]:
    doc: dict[str, Any] = json.loads(TAMPERING.read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = doc["cases"]
    return cases


@pytest.mark.parametrize("case", tampering_cases(), ids=lambda c: c["name"])
def test_both_verifiers_report_the_tampering(
    case: dict[str, Any], tool: ModuleType, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    shutil.copytree(RUN_VECTOR, run)
    for op in case["ops"]:
        apply_op(run, op)
    expected = sorted((c, p) for c, p in case["expect"])
    ours = codes(verify_run(run).problems)
    theirs = codes(tool.verify_run_dir(run, tool.Keys())["problems"])
    assert ours == expected
    assert theirs == expected


def test_tampering_cases_cover_the_evidence_notes() -> None:
    names = {c["name"] for c in tampering_cases()}
    assert len(names) == len(tampering_cases())
    for needed in (
        "export edited",
        "export deleted with its entry",
        "file hidden in a dot directory",
        "manifest path escapes the run",
        "metadata edited",
        "export and entry edited, resealed",
    ):
        assert needed in names


# --------------------------------------------------------------------------------------------
# bundles of the tiny run: both verifiers agree (hostile archives are in test_release.py)


@pytest.fixture
def minimal_bundles(tmp_path: Path) -> dict[str, Path]:
    full = tmp_path / "full.tar.gz"
    sel = tmp_path / "sel.tar.gz"
    release.build_release(RUN_VECTOR, full)
    release.build_release(RUN_VECTOR, sel, only=["exports/entity_matches.csv"])
    return {"full": full, "selective": sel}


def test_both_verify_good_bundles(minimal_bundles: dict[str, Path], tool: ModuleType) -> None:
    for kind, path in minimal_bundles.items():
        ours = release.verify_bundle(path)
        theirs = tool.verify_bundle_file(path, tool.Keys())
        assert ours.ok, ours.problems
        assert theirs["ok"], theirs["problems"]
        assert ours.disclosure == theirs["disclosure"] == kind
        assert ours.roots == theirs["roots"]


def test_standalone_cli_exit_codes(minimal_bundles: dict[str, Path], tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(TOOL), *args], capture_output=True, text=True, check=False
        )

    assert run("bundle", str(minimal_bundles["full"])).returncode == 0
    ok = run("bundle", str(minimal_bundles["selective"]), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["disclosure"] == "selective"
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a bundle")
    assert run("bundle", str(junk)).returncode == 2
    assert run("bundle", str(tmp_path / "absent.tar.gz")).returncode == 2
    assert run("run", str(tmp_path / "absent")).returncode == 2
    broken = tmp_path / "broken"
    shutil.copytree(RUN_VECTOR, broken)
    (broken / "exports/entity_matches.csv").write_bytes(b"edited\n")
    bad = run("run", str(broken))
    assert bad.returncode == 1
    assert "[sha256_mismatch] exports/entity_matches.csv" in bad.stdout
