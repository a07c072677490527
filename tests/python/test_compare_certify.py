"""certify: verified runs compared artifact by artifact, row differences located by key, signed
certificates in a hash-chained log. Real runs prove determinism (twice, 1 vs 4 threads) and that a
one-row input change is named."""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from omphalos.cli import certificates as certificates_cmd
from omphalos.cli import certify as certify_cmd
from omphalos.evidence.canonical import canonical_bytes, sha256_bytes
from omphalos.evidence.certificates import (
    GENESIS,
    CertificateLogError,
    verify_certificates,
)
from omphalos.evidence.certify import CertifyError, certify, report_sha256
from omphalos.evidence.keys import SigningKey, generate_keypair, load_signing_key, load_trusted_keys
from omphalos.evidence.manifest import build_manifest, write_manifest
from omphalos.evidence.sign import SIGNATURE_NAME
from omphalos.evidence.verify import verify_run
from omphalos.pipeline.export import logical_fingerprint

# ---------------------------------------------------------------------------------------------
# synthetic sealed runs (fast): one export table "t" keyed by id, plus reports


def _table(rows: list[tuple[str, int, str | None]]) -> pa.Table:
    ids, scores, statuses = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "score": pa.array(scores, pa.int64()),
            "status": pa.array(statuses, pa.string()),
        }
    )


BASE_ROWS: list[tuple[str, int, str | None]] = [
    ("k1", 10, "MATCH"),
    ("k2", 20, "REVIEW"),
    ("k3", 30, None),
    ("k4", 40, "NO_MATCH"),
]


def synthetic_run(
    base: Path,
    name: str,
    rows: list[tuple[str, int, str | None]] = BASE_ROWS,
    *,
    compression: str = "zstd",
    summary: dict[str, Any] | None = None,
    extra: dict[str, bytes] | None = None,
    threads: int = 1,
) -> Path:
    run = base / name
    table = _table(rows)
    (run / "exports").mkdir(parents=True)
    pq.write_table(table, run / "exports/t.parquet", compression=compression)
    (run / "config").mkdir()
    (run / "config/run_config.yaml").write_bytes(b"name: synth\nas_of_date: 2026-01-01\n")
    (run / "reports").mkdir()
    (run / "reports/summary.json").write_bytes(
        canonical_bytes(summary or {"rows": len(rows), "status": {"MATCH": 1}}) + b"\n"
    )
    (run / "reports/timings.json").write_bytes(canonical_bytes({"ms": name}) + b"\n")
    for rel, data in (extra or {}).items():
        (run / rel).parent.mkdir(parents=True, exist_ok=True)
        (run / rel).write_bytes(data)
    meta = {
        "run_id": f"synth-20260102T030405Z-{hashlib.sha256(name.encode()).hexdigest()[:8]}",
        "started_at": "2026-01-02T03:04:05Z",
        "tool": {"name": "omphalos", "version": "0.1.0"},
        "dependencies": {"python": "3.11.7"},
        "engine": {"target": "duckdb", "threads": threads},
        "config": {
            "name": "synth",
            "path": "config/run_config.yaml",
            "sha256": "0" * 64,
            "as_of_date": "2026-01-01",
        },
        "inputs": [],
        "dbt": {"command": ["dbt", "build"], "vars": {}},
        "tables": [
            {
                "name": "t",
                "key": ["id"],
                "rows": table.num_rows,
                "columns": table.column_names,
                "logical_sha256": logical_fingerprint(table, ["id"]),
            }
        ],
    }
    write_manifest(run, build_manifest(run, meta, sealed_at="2026-01-02T03:05:00Z"))
    return run


@pytest.fixture
def signer(tmp_path: Path) -> tuple[SigningKey, Path]:
    key, pub, _ = generate_keypair("certifier", tmp_path / "keys")
    return load_signing_key(key), pub


def test_identical_synthetic_runs_are_equivalent(tmp_path: Path) -> None:
    a = synthetic_run(tmp_path, "a")
    b = synthetic_run(tmp_path, "b", threads=4)
    outcome = certify(a, b)
    report = outcome.report
    assert report["schema_version"] == "omphalos.certify_report/1"
    assert report["verdict"] == "equivalent" and outcome.exit_code == 0
    assert report["substantive"] == []
    assert [p["path"] for p in report["procedural"]] == ["reports/timings.json"]
    assert {c["field"] for c in report["context"]} == {"engine.threads"}
    assert report["summary"].startswith("EQUIVALENT")
    assert outcome.report_sha256 == sha256_bytes(canonical_bytes(report))


def test_row_differences_are_located_by_key(tmp_path: Path) -> None:
    a = synthetic_run(tmp_path, "a")
    rows_b = [("k1", 10, "MATCH"), ("k2", 25, "MATCH"), ("k4", 40, "NO_MATCH"), ("k5", 50, "X")]
    b = synthetic_run(tmp_path, "b", rows_b, summary={"rows": 4, "status": {"MATCH": 2}})
    outcome = certify(a, b, examples=1)
    report = outcome.report
    assert report["verdict"] == "different" and outcome.exit_code == 1
    assert [s["path"] for s in report["substantive"]] == [
        "exports/t.parquet",
        "reports/summary.json",
    ]
    (diff,) = report["tables"]
    assert diff["key"] == ["id"] and diff["origin"] == "export"
    assert diff["only_in_a"]["count"] == 1
    assert diff["only_in_a"]["examples"] == [
        {"key": {"id": "k3"}, "row": {"id": "k3", "score": "30", "status": None}}
    ]
    assert diff["only_in_b"]["count"] == 1
    assert diff["only_in_b"]["examples"][0]["key"] == {"id": "k5"}
    assert diff["changed"]["count"] == 1
    assert diff["changed"]["columns"] == {"score": 1, "status": 1}
    assert diff["changed"]["examples"] == [
        {
            "key": {"id": "k2"},
            "changes": [
                {"column": "score", "a": "20", "b": "25"},
                {"column": "status", "a": "REVIEW", "b": "MATCH"},
            ],
        }
    ]
    assert diff["logical_equal"] is False
    summary_json = report["substantive"][1]["json_diff"]
    assert summary_json["fields_differing"] == 1
    assert summary_json["examples"] == [{"field": "$.status.MATCH", "a": 1, "b": 2}]
    text = report["summary"]
    assert text.startswith("DIFFERENT: 2 substantive differences")
    assert (
        "exports/t.parquet: 1 row(s) only in A, 1 row(s) only in B, "
        "1 changed (columns: score, status); e.g. id=k2, id=k3, id=k5" in text
    )


def test_examples_are_capped_and_ordered_by_key(tmp_path: Path) -> None:
    rows_a = [(f"k{i:03d}", i, "A") for i in range(50)]
    rows_b = [(f"k{i:03d}", i + (i % 2), "A") for i in range(50)]
    a = synthetic_run(tmp_path, "a", rows_a)
    b = synthetic_run(tmp_path, "b", rows_b)
    (diff,) = certify(a, b, examples=3).report["tables"]
    assert diff["changed"]["count"] == 25
    assert [e["key"]["id"] for e in diff["changed"]["examples"]] == ["k001", "k003", "k005"]


def test_encoding_only_difference_is_procedural(tmp_path: Path) -> None:
    a = synthetic_run(tmp_path, "a", compression="zstd")
    b = synthetic_run(tmp_path, "b", compression="snappy")
    report = certify(a, b).report
    assert report["verdict"] == "different"  # the payload roots differ ...
    assert report["substantive"] == []  # ... but no row does
    (entry,) = [p for p in report["procedural"] if p["path"] == "exports/t.parquet"]
    assert entry["reason"].startswith("encoding only")
    assert "equal logical fingerprint" in entry["reason"]
    (diff,) = report["tables"]
    assert diff["logical_equal"] is True
    # recomputed by DuckDB from each file, equal to what export.logical_fingerprint sealed
    assert diff["logical_sha256_a"] == diff["claimed_logical_sha256_a"]
    assert diff["logical_sha256_b"] == diff["claimed_logical_sha256_b"]
    assert report["warnings"] == []
    assert "differs only in encoding" in report["summary"]


def test_artifact_on_one_side_only_is_substantive(tmp_path: Path) -> None:
    a = synthetic_run(tmp_path, "a")
    b = synthetic_run(tmp_path, "b", extra={"reports/extra.json": b"{}\n"})
    report = certify(a, b).report
    (entry,) = report["substantive"]
    assert entry["path"] == "reports/extra.json" and entry["change"] == "only_in_b"
    assert entry["a"] is None


def test_run_paths_with_glob_characters_and_quotes(tmp_path: Path) -> None:
    odd = tmp_path / "it's [a] *run*"
    odd.mkdir()
    a = synthetic_run(odd, "a")
    b = synthetic_run(odd, "b", BASE_ROWS[:3])
    (diff,) = certify(a, b).report["tables"]
    assert diff["only_in_a"]["count"] == 1 and diff["rows_b"] == 3


def test_a_run_that_fails_verification_is_an_error_not_a_verdict(tmp_path: Path) -> None:
    a = synthetic_run(tmp_path, "a")
    b = synthetic_run(tmp_path, "b")
    (b / "exports/t.parquet").write_bytes(b"PAR1 tampered PAR1")
    with pytest.raises(CertifyError) as info:
        certify(a, b)
    assert set(info.value.problems) == {"b"}
    assert "sha256_mismatch" in {p.code for p in info.value.problems["b"]}


def _parse(module: Any, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser.parse_args(argv)


def test_certify_command_exit_codes_and_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = synthetic_run(tmp_path, "a")
    same = synthetic_run(tmp_path, "same")
    diff = synthetic_run(tmp_path, "diff", BASE_ROWS[:3])
    out = tmp_path / "report.json"
    args = _parse(certify_cmd, ["--run-a", str(a), "--run-b", str(same), "--out", str(out)])
    assert certify_cmd.main_from_args(args) == 0
    assert capsys.readouterr().out.startswith("EQUIVALENT")
    written = out.read_bytes()
    assert written == canonical_bytes(json.loads(written)) + b"\n"

    args = _parse(certify_cmd, ["--run-a", str(a), "--run-b", str(diff), "--json"])
    assert certify_cmd.main_from_args(args) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "different"
    assert report["tables"][0]["only_in_a"]["examples"][0]["key"] == {"id": "k4"}

    args = _parse(certify_cmd, ["--run-a", str(a), "--run-b", str(tmp_path / "nope")])
    assert certify_cmd.main_from_args(args) == 2
    (diff / "reports/summary.json").write_bytes(b"{}\n")
    args = _parse(certify_cmd, ["--run-a", str(a), "--run-b", str(diff)])
    assert certify_cmd.main_from_args(args) == 2
    printed = capsys.readouterr()
    assert "run B: [sha256_mismatch] reports/summary.json" in printed.out
    assert "failed verification" in printed.err


# ---------------------------------------------------------------------------------------------
# certificates


def _log_with_three(tmp_path: Path, key: SigningKey) -> Path:
    a = synthetic_run(tmp_path, "a")
    b = synthetic_run(tmp_path, "b", BASE_ROWS[1:])
    log = tmp_path / "certs" / "certificates.jsonl"
    certify(a, a, sign_key=key, certificates_log=log)
    certify(a, b, sign_key=key, certificates_log=log)
    certify(b, b, sign_key=key, certificates_log=log)
    return log


def test_certificates_chain_verifies(tmp_path: Path, signer: tuple[SigningKey, Path]) -> None:
    key, pub = signer
    a = synthetic_run(tmp_path, "a")
    b = synthetic_run(tmp_path, "b", BASE_ROWS[1:])
    log = tmp_path / "certificates.jsonl"
    first = certify(a, b, sign_key=key, certificates_log=log)
    second = certify(a, a, sign_key=key, certificates_log=log)
    assert first.certificate is not None and second.certificate is not None
    assert first.certificate_line == 1 and second.certificate_line == 2
    lines = log.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3
    cert = json.loads(lines[0])
    assert cert["schema_version"] == "omphalos.certificate/1"
    assert cert["prev_certificate_sha256"] == GENESIS
    assert cert["verdict"] == "different"
    assert cert["report_sha256"] == report_sha256(first.report) == first.report_sha256
    assert cert["run_a"] == {
        k: first.report["runs"]["a"][k] for k in ("run_id", "payload_root", "metadata_sha256")
    }
    assert cert["key_id"] == key.key_id
    assert json.loads(lines[1])["prev_certificate_sha256"] == sha256_bytes(lines[0])
    assert verify_certificates(log, load_trusted_keys([pub])) == (2, [])


def test_edited_certificate_is_detected(tmp_path: Path, signer: tuple[SigningKey, Path]) -> None:
    key, pub = signer
    log = _log_with_three(tmp_path, key)
    lines = log.read_bytes().split(b"\n")
    cert = json.loads(lines[1])
    cert["verdict"] = "equivalent"  # the signer never said so
    lines[1] = canonical_bytes(cert)
    log.write_bytes(b"\n".join(lines))
    count, problems = verify_certificates(log, load_trusted_keys([pub]))
    assert count == 1
    assert [p.code for p in problems] == ["certificate_signature_invalid"]
    assert "line 2" in problems[0].message


def test_removed_or_reordered_certificate_is_detected(
    tmp_path: Path, signer: tuple[SigningKey, Path]
) -> None:
    key, pub = signer
    log = _log_with_three(tmp_path, key)
    lines = log.read_bytes().split(b"\n")
    log.write_bytes(b"\n".join([lines[0], lines[2], b""]))
    _, problems = verify_certificates(log, load_trusted_keys([pub]))
    assert problems[0].code == "certificate_seq_gap" and "line 2" in problems[0].message


def test_torn_last_line_is_detected_and_blocks_appending(
    tmp_path: Path, signer: tuple[SigningKey, Path]
) -> None:
    key, pub = signer
    log = _log_with_three(tmp_path, key)
    raw = log.read_bytes()
    log.write_bytes(raw[:-40])  # truncated in the middle of the last certificate
    count, problems = verify_certificates(log, load_trusted_keys([pub]))
    assert count == 2
    assert [p.code for p in problems] == ["certificate_torn_line"]
    assert "line 3" in problems[0].message
    a = tmp_path / "a"
    with pytest.raises(CertificateLogError, match="torn"):
        certify(a, a, sign_key=key, certificates_log=log)
    log.write_bytes(raw[:-1])  # only the final newline missing
    assert [p.code for p in verify_certificates(log, load_trusted_keys([pub]))[1]] == [
        "certificate_torn_line"
    ]


def test_wrong_key_is_detected(tmp_path: Path, signer: tuple[SigningKey, Path]) -> None:
    key, _ = signer
    log = _log_with_three(tmp_path, key)
    _, other_pub, _ = generate_keypair("other", tmp_path / "keys")
    _, problems = verify_certificates(log, load_trusted_keys([other_pub]))
    assert [p.code for p in problems] == ["certificate_untrusted_key"]
    assert "line 1" in problems[0].message


def test_verify_certificates_command(
    tmp_path: Path, signer: tuple[SigningKey, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    key, pub = signer
    log = _log_with_three(tmp_path, key)
    argv = ["--log", str(log), "--trusted-key", str(pub)]
    assert certificates_cmd.main_from_args(_parse(certificates_cmd, argv)) == 0
    assert capsys.readouterr().out.startswith("OK 3 certificate(s)")
    assert certificates_cmd.main_from_args(_parse(certificates_cmd, ["--log", str(log)])) == 2
    log.write_bytes(log.read_bytes()[:-1])
    assert certificates_cmd.main_from_args(_parse(certificates_cmd, [*argv, "--json"])) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["certificates_verified"] == 2
    assert out["problems"][0]["code"] == "certificate_torn_line"
    missing = ["--log", str(tmp_path / "nope.jsonl"), "--trusted-key", str(pub)]
    assert certificates_cmd.main_from_args(_parse(certificates_cmd, missing)) == 2


def test_certify_command_signs_into_a_log(
    tmp_path: Path, signer: tuple[SigningKey, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, pub = signer
    key_path = tmp_path / "keys" / "certifier.key"
    a = synthetic_run(tmp_path, "a")
    log = tmp_path / "log.jsonl"
    argv = ["--run-a", str(a), "--run-b", str(a), "--sign-key", str(key_path)]
    args = _parse(certify_cmd, [*argv, "--certificates-log", str(log)])
    assert certify_cmd.main_from_args(args) == 0
    assert "certificate 1 appended" in capsys.readouterr().out
    assert verify_certificates(log, load_trusted_keys([pub])) == (1, [])
    no_key = _parse(
        certify_cmd, ["--run-a", str(a), "--run-b", str(a), "--certificates-log", str(log)]
    )
    assert certify_cmd.main_from_args(no_key) == 2


# ---------------------------------------------------------------------------------------------
# real runs (session scoped; each takes a few seconds). `small_inputs` (2,000 shipments x 300
# entities, config test.yaml) and `sealed_run` (threads=2) come from conftest.py.

CHANGED_SHIPMENT = "SHP-0001000"


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certify_runs")


@pytest.fixture(scope="session")
def listed_org(small_inputs: Path) -> tuple[str, str]:
    """(entity_id, primary name) of a listed organization."""
    with (small_inputs / "registry_entities.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["entity_kind"] == "organization":
                return row["entity_id"], row["primary_name"]
    raise AssertionError("no listed organization in the demo registry")


@pytest.fixture(scope="session")
def changed_inputs(workspace: Path, small_inputs: Path, listed_org: tuple[str, str]) -> Path:
    """The same inputs and config with ONE shipment's consignee renamed to a listed name."""
    out = workspace / "changed_inputs"
    shutil.copytree(small_inputs, out)
    path = out / "shipments.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    col = header.index("consignee_name")
    hits = [i for i, line in enumerate(lines) if line.startswith(f'"{CHANGED_SHIPMENT}",')]
    assert len(hits) == 1
    fields = next(csv.reader([lines[hits[0]]]))
    assert fields[col] != listed_org[1]
    fields[col] = listed_org[1]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    lines[hits[0]] = buf.getvalue()
    path.write_text("".join(lines), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def run_key(workspace: Path) -> tuple[Path, Path]:
    key, pub, _ = generate_keypair("runs", workspace / "keys")
    return key, pub


def _run(inputs: Path, runs: Path, threads: int, sign_key: Path | None = None) -> Path:
    from omphalos.pipeline.run import execute_run

    return execute_run(inputs / "test.yaml", runs_root=runs, threads=threads, sign_key=sign_key)


@pytest.fixture(scope="session")
def run_again_signed(workspace: Path, small_inputs: Path, run_key: tuple[Path, Path]) -> Path:
    """A second run of `sealed_run`'s inputs and config (threads=2), signed at sealing."""
    return _run(small_inputs, workspace / "runs", 2, sign_key=run_key[0])


@pytest.fixture(scope="session")
def run_t1(workspace: Path, small_inputs: Path) -> Path:
    return _run(small_inputs, workspace / "runs", 1)


@pytest.fixture(scope="session")
def run_t4(workspace: Path, small_inputs: Path) -> Path:
    return _run(small_inputs, workspace / "runs", 4)


@pytest.fixture(scope="session")
def run_changed(workspace: Path, changed_inputs: Path) -> Path:
    return _run(changed_inputs, workspace / "runs", 2)


@pytest.fixture
def copy_of(tmp_path: Path) -> Iterator[Any]:
    def copy(run: Path) -> Path:
        return Path(shutil.copytree(run, tmp_path / run.name, symlinks=True))

    yield copy


def test_run_signed_at_sealing_verifies_with_its_key(
    run_again_signed: Path, run_key: tuple[Path, Path]
) -> None:
    assert (run_again_signed / SIGNATURE_NAME).is_file()
    result = verify_run(run_again_signed, trusted_keys=load_trusted_keys([run_key[1]]))
    assert result.ok, result.problems
    assert result.signature["status"] == "valid"


def test_same_inputs_twice_certify_equivalent(sealed_run: Path, run_again_signed: Path) -> None:
    outcome = certify(sealed_run, run_again_signed)
    report = outcome.report
    assert report["verdict"] == "equivalent", report["summary"]
    assert outcome.exit_code == 0
    assert report["substantive"] == []
    assert report["runs"]["a"]["run_id"] != report["runs"]["b"]["run_id"]
    kinds = {p["kind"] for p in report["procedural"]}
    assert "warehouse" in kinds  # the DuckDB file differs, and is procedural
    assert all(p["role"] == "procedural" for p in report["procedural"])


def test_one_and_four_threads_certify_equivalent(run_t1: Path, run_t4: Path) -> None:
    report = certify(run_t1, run_t4).report
    assert report["verdict"] == "equivalent", report["summary"]
    assert {"field": "engine.threads", "a": 1, "b": 4} in report["context"]


def test_one_changed_input_row_is_named(
    sealed_run: Path, run_changed: Path, listed_org: tuple[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    outcome = certify(sealed_run, run_changed, out=out)
    report = outcome.report
    assert report["verdict"] == "different" and outcome.exit_code == 1
    tables = {t["path"]: t for t in report["tables"]}

    shipments = tables["inputs/admitted/shipments.parquet"]
    assert shipments["origin"] == "admitted_input" and shipments["key"] == ["shipment_id"]
    assert shipments["only_in_a"]["count"] == 0 and shipments["only_in_b"]["count"] == 0
    assert shipments["changed"]["count"] == 1
    assert shipments["changed"]["columns"] == {"consignee_name": 1}
    (example,) = shipments["changed"]["examples"]
    assert example["key"] == {"shipment_id": CHANGED_SHIPMENT}
    assert example["changes"][0]["column"] == "consignee_name"
    assert example["changes"][0]["b"] == listed_org[1]

    matches = tables["exports/entity_matches.parquet"]
    new_rows = [e["row"] for e in matches["only_in_b"]["examples"]]
    assert any(
        r["shipment_id"] == CHANGED_SHIPMENT
        and r["party_role"] == "consignee"
        and r["entity_id"] == listed_org[0]
        for r in new_rows
    ), new_rows
    untouched = [
        e
        for e in matches["only_in_a"]["examples"] + matches["only_in_b"]["examples"]
        if e["row"]["shipment_id"] != CHANGED_SHIPMENT
    ]
    assert untouched == []  # nothing but the changed shipment's rows appear or disappear

    assert report["warnings"] == []

    substantive = {s["path"] for s in report["substantive"]}
    assert {"inputs/admitted/shipments.parquet", "exports/entity_matches.parquet"} <= substantive
    assert not any(p.startswith(("warehouse/", "dbt/", "lineage/")) for p in substantive)
    assert f"shipment_id={CHANGED_SHIPMENT}" in report["summary"]
    assert json.loads(out.read_bytes()) == report


def test_tampered_real_run_is_an_error(sealed_run: Path, copy_of: Any) -> None:
    bad = copy_of(sealed_run)
    target = bad / "exports" / "entity_scores.csv"
    target.write_bytes(target.read_bytes().replace(b",", b";", 1))
    with pytest.raises(CertifyError) as info:
        certify(sealed_run, bad)
    assert {p.code for p in info.value.problems["b"]} == {
        "sha256_mismatch",
        "payload_root_mismatch",
        "all_root_mismatch",
    }


def test_certify_with_trusted_keys_requires_signed_runs(
    sealed_run: Path, run_again_signed: Path, run_key: tuple[Path, Path], tmp_path: Path
) -> None:
    trusted = load_trusted_keys([run_key[1]])
    with pytest.raises(CertifyError) as info:
        certify(sealed_run, run_again_signed, trusted_keys=trusted)
    assert set(info.value.problems) == {"a"}
    assert [p.code for p in info.value.problems["a"]] == ["signature_missing"]
    log = tmp_path / "certificates.jsonl"
    outcome = certify(
        run_again_signed,
        run_again_signed,
        trusted_keys=trusted,
        sign_key=load_signing_key(run_key[0]),
        certificates_log=log,
    )
    assert outcome.exit_code == 0
    assert verify_certificates(log, trusted) == (1, [])


def test_logical_fingerprint_from_parquet_matches_the_sealed_claims(sealed_run: Path) -> None:
    """certify's DuckDB-over-Parquet fingerprint is the one export.py seals (decimals, dates)."""
    import duckdb

    from omphalos.evidence.compare import logical_fingerprint_of
    from omphalos.evidence.manifest import load_manifest

    tables = load_manifest(sealed_run / "run_manifest.json")["tables"]
    assert tables
    con = duckdb.connect()
    try:
        for t in tables:
            path = sealed_run / "exports" / f"{t['name']}.parquet"
            con.execute(f"create or replace view v as select * from read_parquet('{path}')")
            assert logical_fingerprint_of(con, "v", t["columns"], t["key"]) == t["logical_sha256"]
    finally:
        con.close()


def test_summary_counts_packets_unless_verbose() -> None:
    from omphalos.evidence.compare import summarize

    subs = [{"path": f"exports/packets/E{i}.json", "change": "modified"} for i in range(300)] + [
        {"path": "exports/entity_matches.parquet", "change": "modified"}
    ]
    report = {
        "verdict": "different",
        "substantive": subs,
        "procedural": [],
        "runs": {"a": {"payload_root": "x"}, "b": {"payload_root": "y"}},
        "tables": [],
    }
    short = summarize(report, verbose=False).splitlines()
    assert "  exports/packets/: 300 file(s) differ (--verbose or --json lists them)" in short
    assert any(line.startswith("  exports/entity_matches.parquet") for line in short)
    assert len(short) == 3
    assert len(summarize(report).splitlines()) == 302
