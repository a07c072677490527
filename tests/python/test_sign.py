"""Ed25519 keys and detached run signatures: generation, signing, and verification that trusts only
the keys the user names."""

from __future__ import annotations

import argparse
import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from omphalos.cli import keys as keys_cmd
from omphalos.cli import sign as sign_cmd
from omphalos.cli import verify as verify_cmd
from omphalos.evidence.canonical import canonical_bytes, sha256_bytes
from omphalos.evidence.keys import (
    TRUST_SCHEMA,
    KeyFileError,
    generate_keypair,
    key_id_for,
    load_public_key_file,
    load_signing_key,
    load_trust_file,
    load_trusted_keys,
)
from omphalos.evidence.manifest import MANIFEST_NAME, build_manifest, load_manifest, write_manifest
from omphalos.evidence.sign import (
    SIGNATURE_NAME,
    SIGNATURE_SCHEMA,
    AlreadySignedError,
    RunNotVerifiedError,
    signing_input,
)
from omphalos.evidence.verify import sign_run, verify_run

RUN_ID = "demo-20260102T030405Z-0a1b2c3d"
FILES = {
    "config/run_config.yaml": b"name: demo\nas_of_date: 2026-01-01\n",
    "exports/entity_matches.csv": b"match_id,entity_id,score\nm1,e1,12.50\n",
    "reports/summary.json": b'{"rows":1}\n',
    "reports/timings.json": b'{"dbt":"1.5"}\n',
    "warehouse/warehouse.duckdb": b"DUCK",
}


def _meta() -> dict[str, Any]:
    return {
        "run_id": RUN_ID,
        "started_at": "2026-01-02T03:04:05Z",
        "tool": {"name": "omphalos", "version": "0.1.0"},
        "dependencies": {"python": "3.11.7"},
        "engine": {"target": "duckdb", "threads": 1},
        "config": {
            "name": "demo",
            "path": "config/run_config.yaml",
            "sha256": "0" * 64,
            "as_of_date": "2026-01-01",
        },
        "inputs": [],
        "dbt": {"command": ["dbt", "build"], "vars": {}},
        "tables": [],
    }


def sealed_run(base: Path, name: str = RUN_ID) -> Path:
    run = base / name
    for rel, data in FILES.items():
        (run / rel).parent.mkdir(parents=True, exist_ok=True)
        (run / rel).write_bytes(data)
    write_manifest(run, build_manifest(run, _meta(), sealed_at="2026-01-02T03:05:00Z"))
    return run


@pytest.fixture
def keydir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def alice(keydir: Path) -> tuple[Path, Path]:
    key, pub, _ = generate_keypair("alice", keydir)
    return key, pub


@pytest.fixture
def mallory(keydir: Path) -> tuple[Path, Path]:
    key, pub, _ = generate_keypair("mallory", keydir)
    return key, pub


def codes(run: Path, *pubs: Path) -> list[str]:
    trusted = load_trusted_keys(pubs) if pubs else None
    return [p.code for p in verify_run(run, trusted_keys=trusted).problems]


# ---------------------------------------------------------------------------------------------
# keys


def test_generate_writes_private_0600_and_public_record(keydir: Path) -> None:
    key, pub, key_id = generate_keypair("alice", keydir)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(keydir.stat().st_mode) == 0o700
    assert b"BEGIN PRIVATE KEY" in key.read_bytes()  # PKCS#8 PEM
    record = json.loads(pub.read_text())
    assert record["schema_version"] == "omphalos.public_key/1"
    assert record["key_id"] == key_id
    raw = base64.b64decode(record["public_key"])
    assert key_id == key_id_for(raw) and key_id.startswith("ed25519:") and len(key_id) == 72
    assert pub.read_bytes() == canonical_bytes(record) + b"\n"
    assert load_signing_key(key).key_id == key_id == load_public_key_file(pub).key_id


def test_generate_refuses_to_overwrite(keydir: Path) -> None:
    key, pub, _ = generate_keypair("alice", keydir)
    before = key.read_bytes(), pub.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        generate_keypair("alice", keydir)
    pub.unlink()  # even when only the private key is left, it is never replaced
    with pytest.raises(KeyFileError, match="already exists"):
        generate_keypair("alice", keydir)
    assert key.read_bytes() == before[0]


def test_generate_refuses_a_git_work_tree_unless_allowed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    with pytest.raises(KeyFileError, match="git work tree"):
        generate_keypair("k", repo / "keys")
    key, _, _ = generate_keypair("k", repo / "keys", allow_in_repo=True)
    assert key.exists()


def test_generate_rejects_bad_names(keydir: Path) -> None:
    for name in ("", "../x", ".hidden", "a/b", "x" * 65):
        with pytest.raises(KeyFileError, match="key name"):
            generate_keypair(name, keydir)


def test_keys_command(keydir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    keys_cmd.add_arguments(parser)
    args = parser.parse_args(["generate", "--name", "bob", "--dir", str(keydir), "--json"])
    assert keys_cmd.main_from_args(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["key_id"].startswith("ed25519:")
    assert keys_cmd.main_from_args(args) == 2  # refuses to overwrite
    assert "already exists" in capsys.readouterr().err


def test_default_key_dir_is_outside_the_repo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    key, _, _ = generate_keypair("dflt")
    assert key.parent == tmp_path / "cfg" / "omphalos" / "keys"


def test_signing_key_readable_by_others_is_refused(alice: tuple[Path, Path]) -> None:
    key, _ = alice
    key.chmod(0o644)
    with pytest.raises(KeyFileError, match="others can read it"):
        load_signing_key(key)


def test_a_private_key_is_not_accepted_as_a_trusted_key(alice: tuple[Path, Path]) -> None:
    with pytest.raises(KeyFileError, match="private key"):
        load_public_key_file(alice[0])


def test_public_key_record_with_wrong_key_id_is_refused(
    alice: tuple[Path, Path], tmp_path: Path
) -> None:
    record = json.loads(alice[1].read_text())
    record["key_id"] = "ed25519:" + "0" * 64
    bad = tmp_path / "bad.pub"
    bad.write_text(json.dumps(record))
    with pytest.raises(KeyFileError, match="does not match"):
        load_public_key_file(bad)


def test_pem_public_key_is_accepted(tmp_path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = tmp_path / "k.pem"
    path.write_bytes(pem)
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert load_public_key_file(path).key_id == key_id_for(raw)


def test_trust_file(alice: tuple[Path, Path], mallory: tuple[Path, Path], tmp_path: Path) -> None:
    records = [json.loads(p.read_text()) for p in (alice[1], mallory[1])]
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps(
            {
                "schema_version": TRUST_SCHEMA,
                "keys": [{k: r[k] for k in ("key_id", "public_key", "name")} for r in records],
            }
        )
    )
    loaded = load_trust_file(trust)
    assert [k.name for k in loaded] == ["alice", "mallory"]
    trust.write_text(json.dumps({"schema_version": "omphalos.trust/9", "keys": []}))
    with pytest.raises(KeyFileError, match="unknown schema_version"):
        load_trust_file(trust)


# ---------------------------------------------------------------------------------------------
# signatures


def test_sign_and_verify_with_trusted_key(alice: tuple[Path, Path], tmp_path: Path) -> None:
    run = sealed_run(tmp_path)
    sig_path = sign_run(run, alice[0])
    assert sig_path == run / SIGNATURE_NAME
    sig = json.loads(sig_path.read_text())
    manifest = load_manifest(run / MANIFEST_NAME)
    assert sig["schema_version"] == SIGNATURE_SCHEMA
    assert sig["signed"] == MANIFEST_NAME
    assert sig["signed_sha256"] == sha256_bytes((run / MANIFEST_NAME).read_bytes())
    assert sig["metadata_sha256"] == manifest["metadata_sha256"]
    assert sig["payload_root"] == manifest["merkle"]["payload_root"]
    # the signature is over the documented signing input
    message = signing_input(
        RUN_ID, sig["signed_sha256"], sig["metadata_sha256"], sig["payload_root"]
    )
    load_public_key_file(alice[1]).public.verify(base64.b64decode(sig["signature"]), message)

    result = verify_run(run, trusted_keys=load_trusted_keys([alice[1]]))
    assert result.ok, result.problems
    assert result.signature["status"] == "valid"
    assert result.signature["signer"] == "alice"


def test_signature_is_not_an_unlisted_file_and_is_unchecked_without_keys(
    alice: tuple[Path, Path], tmp_path: Path
) -> None:
    run = sealed_run(tmp_path)
    assert verify_run(run).signature["status"] == "absent"
    sign_run(run, alice[0])
    result = verify_run(run)
    assert result.ok, result.problems
    assert result.signature["status"] == "unchecked"
    assert result.signature["key_id"] == load_signing_key(alice[0]).key_id


def test_untrusted_key_is_a_problem(
    alice: tuple[Path, Path], mallory: tuple[Path, Path], tmp_path: Path
) -> None:
    run = sealed_run(tmp_path)
    sign_run(run, mallory[0])
    assert codes(run, alice[1]) == ["signature_untrusted_key"]


def test_missing_signature_with_trusted_keys_is_a_problem(
    alice: tuple[Path, Path], tmp_path: Path
) -> None:
    run = sealed_run(tmp_path)
    assert codes(run, alice[1]) == ["signature_missing"]


def test_resealed_manifest_after_signing_is_detected(
    alice: tuple[Path, Path], tmp_path: Path
) -> None:
    """An attacker edits an export and reseals the manifest consistently: only the signature
    can tell."""
    run = sealed_run(tmp_path)
    sign_run(run, alice[0])
    (run / "exports/entity_matches.csv").write_bytes(b"match_id,entity_id,score\nm1,e1,99.00\n")
    write_manifest(run, build_manifest(run, _meta(), sealed_at="2026-01-02T03:05:00Z"))
    found = codes(run, alice[1])
    assert "signature_mismatch" in found and "signature_invalid" in found
    assert "signature_mismatch" in codes(run)  # the claims are recomputed even without keys


def test_edited_manifest_after_signing_is_detected(
    alice: tuple[Path, Path], tmp_path: Path
) -> None:
    run = sealed_run(tmp_path)
    sign_run(run, alice[0])
    manifest = load_manifest(run / MANIFEST_NAME)
    manifest["engine"]["threads"] = 8
    (run / MANIFEST_NAME).write_bytes(canonical_bytes(manifest) + b"\n")
    found = codes(run, alice[1])
    assert "metadata_mismatch" in found
    assert "signature_invalid" in found


def test_forged_signature_claiming_a_trusted_key_is_invalid(
    alice: tuple[Path, Path], mallory: tuple[Path, Path], tmp_path: Path
) -> None:
    run = sealed_run(tmp_path)
    sign_run(run, mallory[0])
    sig = json.loads((run / SIGNATURE_NAME).read_text())
    sig["key_id"] = load_signing_key(alice[0]).key_id  # claims alice, signed by mallory
    (run / SIGNATURE_NAME).write_bytes(canonical_bytes(sig) + b"\n")
    assert codes(run, alice[1]) == ["signature_invalid"]


def test_malformed_and_unknown_signature_files(alice: tuple[Path, Path], tmp_path: Path) -> None:
    run = sealed_run(tmp_path)
    sign_run(run, alice[0])
    sig = json.loads((run / SIGNATURE_NAME).read_text())
    (run / SIGNATURE_NAME).write_bytes(
        canonical_bytes({**sig, "schema_version": "omphalos.signature/2"}) + b"\n"
    )
    assert codes(run, alice[1]) == ["signature_unknown_schema"]
    (run / SIGNATURE_NAME).write_bytes(b"{not json")
    assert codes(run) == ["signature_malformed"]


def test_signature_symlink_is_reported(alice: tuple[Path, Path], tmp_path: Path) -> None:
    run = sealed_run(tmp_path)
    sign_run(run, alice[0])
    real = tmp_path / "elsewhere.sig.json"
    (run / SIGNATURE_NAME).rename(real)
    os.symlink(real, run / SIGNATURE_NAME)
    assert "symlink" in codes(run, alice[1])


def test_sign_refuses_signed_and_unverified_runs(alice: tuple[Path, Path], tmp_path: Path) -> None:
    run = sealed_run(tmp_path)
    sign_run(run, alice[0])
    with pytest.raises(AlreadySignedError):
        sign_run(run, alice[0])
    other = sealed_run(tmp_path, "other")
    (other / "reports/summary.json").write_bytes(b'{"rows":2}\n')
    with pytest.raises(RunNotVerifiedError, match="sha256_mismatch"):
        sign_run(other, alice[0])
    assert not (other / SIGNATURE_NAME).exists()


def _parse(module: Any, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser.parse_args(argv)


def test_sign_and_verify_commands(
    alice: tuple[Path, Path],
    mallory: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = sealed_run(tmp_path)
    key, pub = alice
    assert (
        sign_cmd.main_from_args(_parse(sign_cmd, ["--run-dir", str(run), "--key", str(key)])) == 0
    )
    assert (
        sign_cmd.main_from_args(_parse(sign_cmd, ["--run-dir", str(run), "--key", str(key)])) == 2
    )
    capsys.readouterr()

    ok = _parse(verify_cmd, ["--run-dir", str(run), "--trusted-key", str(pub)])
    assert verify_cmd.main_from_args(ok) == 0
    assert "signature=valid" in capsys.readouterr().out
    assert verify_cmd.main_from_args(_parse(verify_cmd, ["--run-dir", str(run)])) == 0
    assert "signature=present-unchecked" in capsys.readouterr().out
    wrong = _parse(verify_cmd, ["--run-dir", str(run), "--trusted-key", str(mallory[1]), "--json"])
    assert verify_cmd.main_from_args(wrong) == 1
    out = json.loads(capsys.readouterr().out)
    assert [p["code"] for p in out["problems"]] == ["signature_untrusted_key"]
    assert out["signature"]["status"] == "invalid"
    missing = _parse(verify_cmd, ["--run-dir", str(run), "--trusted-key", str(tmp_path / "nope")])
    assert verify_cmd.main_from_args(missing) == 2

    unsealed = tmp_path / "unsealed"
    unsealed.mkdir()
    assert (
        sign_cmd.main_from_args(_parse(sign_cmd, ["--run-dir", str(unsealed), "--key", str(key)]))
        == 1
    )
