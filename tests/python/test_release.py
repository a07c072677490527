"""Release bundles: reproducible bytes, verification without extraction, hostile archives,
selective disclosure with inclusion proofs, signatures; the standalone verifier must agree."""

from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import importlib.util
import io
import json
import os
import shutil
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from omphalos.cli import release as release_cli
from omphalos.evidence import release
from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.keys import generate_keypair, load_trusted_keys
from omphalos.evidence.manifest import MANIFEST_NAME, load_manifest
from omphalos.evidence.merkle import artifact_leaf_data, verify_inclusion
from omphalos.evidence.release import (
    BundleReadError,
    ReleaseError,
    build_release,
    verify_bundle,
)
from omphalos.evidence.verify import sign_run

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "omphalos_verify_standalone.py"
MINIMAL = ROOT / "contracts" / "test_vectors" / "run_minimal"
DISCLOSED = "exports/review_queue.csv"
Codes = list[tuple[str, str]]
Member = tuple[tarfile.TarInfo, bytes | None]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("omphalos_verify_standalone", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["omphalos_verify_standalone"] = module
    spec.loader.exec_module(module)
    return module


def codes(problems: list[Any]) -> Codes:
    return sorted(
        (d["code"], d["path"])
        for d in (p if isinstance(p, dict) else p.to_dict() for p in problems)
    )


def both(
    tool: ModuleType, bundle: Path, trusted: list[Path] | None = None
) -> tuple[release.BundleResult, Codes]:
    """Verify with the package and the standalone tool; assert they agree; return ours + codes."""
    keys = load_trusted_keys(trusted or [])
    ours = verify_bundle(bundle, trusted_keys=keys or None)
    theirs = tool.verify_bundle_file(bundle, tool.load_keys(trusted or []))
    assert codes(ours.problems) == codes(theirs["problems"])
    assert ours.ok == theirs["ok"]
    assert [s.status for s in ours.signatures] == [s["status"] for s in theirs["signatures"]]
    return ours, codes(ours.problems)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def bundles(sealed_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A full and a selective bundle of the session's real run (do not modify them)."""
    out = tmp_path_factory.mktemp("bundles")
    full = out / "full.tar.gz"
    sel = out / "selective.tar.gz"
    build_release(sealed_run, full)
    build_release(sealed_run, sel, only=[DISCLOSED])
    return {"full": full, "selective": sel}


@pytest.fixture
def minimal_bundle(tmp_path: Path) -> Path:
    path = tmp_path / "minimal.tar.gz"
    build_release(MINIMAL, path)
    return path


def read_members(bundle: Path) -> list[Member]:
    out: list[Member] = []
    with tarfile.open(bundle, "r:gz") as tar:
        for info in tar.getmembers():
            f = tar.extractfile(info) if info.isfile() else None
            out.append((copy.copy(info), f.read() if f is not None else None))
    return out


def write_members(path: Path, members: list[Member]) -> Path:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info = copy.copy(info)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def replace_member(members: list[Member], name: str, data: bytes) -> list[Member]:
    assert any(i.name == name for i, _ in members), name
    return [(i, data if i.name == name else d) for i, d in members]


def get_member(members: list[Member], name: str) -> bytes:
    data = next(d for i, d in members if i.name == name)
    assert data is not None
    return data


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record every member whose data is read; any extraction to disk fails the test."""
    seen: list[str] = []
    original = tarfile.TarFile.extractfile

    def extractfile(self: tarfile.TarFile, member: str | tarfile.TarInfo) -> Any:
        seen.append(member.name if isinstance(member, tarfile.TarInfo) else member)
        return original(self, member)

    def forbidden(*_a: object, **_k: object) -> None:
        raise AssertionError("a verifier tried to extract a member to disk")

    monkeypatch.setattr(tarfile.TarFile, "extractfile", extractfile)
    monkeypatch.setattr(tarfile.TarFile, "extract", forbidden)
    monkeypatch.setattr(tarfile.TarFile, "extractall", forbidden)
    yield seen


# --------------------------------------------------------------------------------------------
# build: reproducible bytes and layout


def test_building_twice_gives_identical_bytes(
    sealed_run: Path, bundles: dict[str, Path], tmp_path: Path
) -> None:
    again = tmp_path / "again.tar.gz"
    build_release(sealed_run, again)
    assert sha256_of(again) == sha256_of(bundles["full"])
    sel = tmp_path / "sel.tar.gz"
    build_release(sealed_run, sel, only=[DISCLOSED])
    assert sha256_of(sel) == sha256_of(bundles["selective"])


def test_bytes_do_not_depend_on_file_times_or_modes(tmp_path: Path, minimal_bundle: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(MINIMAL, run)
    for p in run.rglob("*"):
        os.utime(p, (1_234_567_890, 1_234_567_890))
    (run / "exports/entity_matches.csv").chmod(0o600)
    out = tmp_path / "copy.tar.gz"
    build_release(run, out)
    assert sha256_of(out) == sha256_of(minimal_bundle)


def test_bundle_layout_and_headers(sealed_run: Path, bundles: dict[str, Path]) -> None:
    raw = bundles["full"].read_bytes()
    assert raw[:3] == b"\x1f\x8b\x08"
    assert raw[3] == 0, "no FNAME/FEXTRA/FCOMMENT in the gzip header"
    assert raw[4:8] == b"\0\0\0\0", "gzip mtime is zero"
    with tarfile.open(bundles["full"], "r:gz") as tar:
        infos = tar.getmembers()
    names = [i.name for i in infos]
    assert names == sorted(names, key=lambda n: n.encode("utf-8"))
    for info in infos:
        assert (info.mtime, info.uid, info.gid, info.uname, info.gname) == (0, 0, 0, "", "")
        assert info.mode == (0o755 if info.isdir() else 0o644)
        assert info.isdir() or info.isreg()
        assert info.name == "bundle" or info.name.startswith("bundle/")
    manifest = load_manifest(sealed_run / MANIFEST_NAME)
    files = {i.name for i in infos if i.isreg()}
    assert files == {
        "bundle/release_manifest.json",
        "bundle/run/run_manifest.json",
        *(f"bundle/run/{a['path']}" for a in manifest["artifacts"]),
    }
    rm = json.loads(get_member(read_members(bundles["full"]), "bundle/release_manifest.json"))
    assert rm["schema_version"] == "omphalos.release_manifest/1"
    assert rm["run_id"] == manifest["run_id"]
    assert rm["metadata_sha256"] == manifest["metadata_sha256"]
    assert rm["merkle"] == manifest["merkle"]
    assert rm["disclosure"] == "full" and rm["inclusion_proofs"] == []
    run_manifest_raw = (sealed_run / MANIFEST_NAME).read_bytes()
    assert {
        "path": "run/run_manifest.json",
        "size": len(run_manifest_raw),
        "sha256": hashlib.sha256(run_manifest_raw).hexdigest(),
    } in rm["members"]
    assert [m["path"] for m in rm["members"]] == sorted(
        f"run/{n}" for n in [MANIFEST_NAME, *(a["path"] for a in manifest["artifacts"])]
    )


def test_extracted_full_bundle_is_a_verifiable_run(
    bundles: dict[str, Path], tmp_path: Path
) -> None:
    from omphalos.evidence.verify import verify_run

    with tarfile.open(bundles["full"], "r:gz") as tar:
        tar.extractall(tmp_path, filter="data")
    assert verify_run(tmp_path / "bundle" / "run").ok


def test_refuses_a_run_that_does_not_verify(sealed_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(sealed_run, run)
    (run / "exports/entity_matches.csv").write_bytes(b"edited\n")
    with pytest.raises(ReleaseError) as err:
        build_release(run, tmp_path / "x.tar.gz")
    assert err.value.code == "run_not_verified" and err.value.exit_code == 1
    assert "sha256_mismatch" in str(err.value)
    assert not (tmp_path / "x.tar.gz").exists()


def test_refuses_to_overwrite_or_write_inside_the_run(minimal_bundle: Path, tmp_path: Path) -> None:
    before = minimal_bundle.read_bytes()
    with pytest.raises(ReleaseError) as err:
        build_release(MINIMAL, minimal_bundle)
    assert err.value.code == "out_exists"
    assert minimal_bundle.read_bytes() == before
    run = tmp_path / "run"
    shutil.copytree(MINIMAL, run)
    with pytest.raises(ReleaseError) as err:
        build_release(run, run / "exports" / "x.tar.gz")
    assert err.value.code == "out_in_run"


def test_preflight_can_veto(tmp_path: Path) -> None:
    seen: list[Path] = []

    def scan(run: Path) -> list[str]:
        seen.append(run)
        return ["exports/entity_matches.csv: looks like a personal identifier"]

    with pytest.raises(ReleaseError) as err:
        build_release(MINIMAL, tmp_path / "x.tar.gz", preflight=scan)
    assert err.value.code == "preflight_refused"
    assert "personal identifier" in str(err.value)
    assert seen == [MINIMAL]
    assert not (tmp_path / "x.tar.gz").exists()
    build_release(MINIMAL, tmp_path / "y.tar.gz", preflight=lambda _run: [])
    assert verify_bundle(tmp_path / "y.tar.gz").ok


def test_only_refuses_procedural_and_unknown_paths(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError) as err:
        build_release(MINIMAL, tmp_path / "x.tar.gz", only=["reports/timings.json"])
    assert err.value.code == "not_payload"
    assert "only payload artifacts" in str(err.value)
    with pytest.raises(ReleaseError) as err:
        build_release(MINIMAL, tmp_path / "x.tar.gz", only=["exports/absent.csv"])
    assert err.value.code == "not_an_artifact"
    assert not (tmp_path / "x.tar.gz").exists()


# --------------------------------------------------------------------------------------------
# verify: good bundles, tampering, unreadable input


def test_good_bundles_verify_in_both_verifiers(
    bundles: dict[str, Path], sealed_run: Path, tool: ModuleType
) -> None:
    manifest = load_manifest(sealed_run / MANIFEST_NAME)
    for kind, path in bundles.items():
        result, found = both(tool, path)
        assert found == []
        assert result.disclosure == kind
        assert result.run_id == manifest["run_id"]
        assert result.roots["payload_root"] == manifest["merkle"]["payload_root"]
        assert result.roots["all_root"] == manifest["merkle"]["all_root"]
    full = verify_bundle(bundles["full"])
    assert full.counts["artifacts_shipped"] == len(manifest["artifacts"])


def test_tampered_member_is_located(
    bundles: dict[str, Path], tmp_path: Path, tool: ModuleType
) -> None:
    members = read_members(bundles["full"])
    name = "bundle/run/exports/entity_matches.csv"
    original = get_member(members, name)
    edited = original.replace(b"1", b"2", 1)
    assert edited != original and len(edited) == len(original)
    bad = write_members(tmp_path / "bad.tar.gz", replace_member(members, name, edited))
    result, found = both(tool, bad)
    assert not result.ok
    assert ("member_sha256_mismatch", name) in found
    assert ("sha256_mismatch", name) in found
    assert ("payload_root_mismatch", "bundle/run/run_manifest.json") in found


def test_forged_release_manifest_does_not_hide_tampering(
    minimal_bundle: Path, tmp_path: Path, tool: ModuleType
) -> None:
    """Editing a file and its release-manifest entry still contradicts the run manifest."""
    members = read_members(minimal_bundle)
    name = "bundle/run/exports/entity_matches.csv"
    edited = get_member(members, name).replace(b"0.97", b"0.99")
    rm = json.loads(get_member(members, "bundle/release_manifest.json"))
    for m in rm["members"]:
        if m["path"] == "run/exports/entity_matches.csv":
            m["sha256"] = hashlib.sha256(edited).hexdigest()
    members = replace_member(members, name, edited)
    members = replace_member(members, "bundle/release_manifest.json", canonical_bytes(rm) + b"\n")
    _, found = both(tool, write_members(tmp_path / "forged.tar.gz", members))
    assert found == sorted(
        [
            ("sha256_mismatch", name),
            ("payload_root_mismatch", "bundle/run/run_manifest.json"),
            ("all_root_mismatch", "bundle/run/run_manifest.json"),
        ]
    )


def test_missing_and_unlisted_members(
    minimal_bundle: Path, tmp_path: Path, tool: ModuleType
) -> None:
    members = read_members(minimal_bundle)
    gone = "bundle/run/reports/summary.json"
    extra_info = tarfile.TarInfo("bundle/run/reports/extra.json")
    members = [(i, d) for i, d in members if i.name != gone] + [(extra_info, b"{}\n")]
    _, found = both(tool, write_members(tmp_path / "b.tar.gz", members))
    assert ("missing_member", gone) in found
    assert ("missing_file", gone) in found
    assert ("unlisted_member", "bundle/run/reports/extra.json") in found
    assert ("unlisted_file", "bundle/run/reports/extra.json") in found


def test_release_manifest_missing_or_unknown(
    minimal_bundle: Path, tmp_path: Path, tool: ModuleType
) -> None:
    members = read_members(minimal_bundle)
    without = [(i, d) for i, d in members if i.name != "bundle/release_manifest.json"]
    _, found = both(tool, write_members(tmp_path / "a.tar.gz", without))
    assert found == [("release_manifest_missing", "bundle/release_manifest.json")]
    rm = json.loads(get_member(members, "bundle/release_manifest.json"))
    rm["schema_version"] = "omphalos.release_manifest/2"
    changed = replace_member(members, "bundle/release_manifest.json", canonical_bytes(rm) + b"\n")
    _, found = both(tool, write_members(tmp_path / "b.tar.gz", changed))
    assert found == [("release_manifest_unknown_schema", "bundle/release_manifest.json")]


def test_oversized_member_is_rejected_unread(
    minimal_bundle: Path, tmp_path: Path, tool: ModuleType, reads: list[str]
) -> None:
    name = "bundle/run/exports/entity_matches.csv"
    members = read_members(minimal_bundle)
    big = write_members(tmp_path / "big.tar.gz", replace_member(members, name, b"x" * 5_000_000))
    reads.clear()
    _, found = both(tool, big)
    assert ("member_size_mismatch", name) in found
    assert name not in reads


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],
        lambda raw: b"not a bundle at all",
        lambda raw: gzip.decompress(raw),  # an uncompressed tar
        lambda raw: gzip.compress(b"\0" * 10240, mtime=0),  # an empty tar
        lambda raw: b"",
    ],
    ids=["truncated", "garbage", "plain-tar", "empty-tar", "empty-file"],
)
def test_unreadable_input_is_exit_2(
    minimal_bundle: Path, tmp_path: Path, tool: ModuleType, damage: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "damaged.tar.gz"
    path.write_bytes(damage(minimal_bundle.read_bytes()))
    with pytest.raises(BundleReadError):
        verify_bundle(path)
    with pytest.raises(tool.Unreadable):
        tool.verify_bundle_file(path, tool.Keys())
    args = argparse.Namespace(
        release_command="verify", bundle=path, json=False, trusted_key=[], trust_file=[]
    )
    assert release_cli.main_from_args(args) == 2


# --------------------------------------------------------------------------------------------
# hostile archives: rejected from the headers, before any member is read


def _hostile(kind: str) -> tuple[tarfile.TarInfo, bytes | None, str]:
    def info(name: str, type_: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
        i = tarfile.TarInfo(name)
        i.type = type_
        i.linkname = link
        return i

    table: dict[str, tuple[tarfile.TarInfo, bytes | None, str]] = {
        "absolute": (info("/tmp/omphalos-evil"), b"x", "member_absolute_path"),
        "dotdot": (info("bundle/../../evil"), b"x", "member_parent_segment"),
        "outside": (info("evil.txt"), b"x", "member_outside_bundle"),
        "dot": (info("bundle/./run/x"), b"x", "member_unsafe_path"),
        "backslash": (info("bundle\\run\\x"), b"x", "member_unsafe_path"),
        "not-utf8": (info("bundle/run/bad\udcff.csv"), b"x", "member_unsafe_path"),
        "symlink": (
            info("bundle/run/exports/link.csv", tarfile.SYMTYPE, "/etc/passwd"),
            None,
            "member_symlink",
        ),
        "hardlink": (
            info("bundle/run/exports/hard.csv", tarfile.LNKTYPE, "bundle/run/run_manifest.json"),
            None,
            "member_hardlink",
        ),
        "chardev": (info("bundle/run/null", tarfile.CHRTYPE), None, "member_device"),
        "blockdev": (info("bundle/run/sda", tarfile.BLKTYPE), None, "member_device"),
        "fifo": (info("bundle/run/pipe", tarfile.FIFOTYPE), None, "member_fifo"),
        "contiguous": (info("bundle/run/c", tarfile.CONTTYPE), b"x", "member_unsupported_type"),
        "duplicate": (info("bundle/release_manifest.json"), b"{}\n", "duplicate_member"),
        "file-as-dir": (
            info("bundle/run/exports/entity_matches.csv/x"),
            b"x",
            "member_path_conflict",
        ),
    }
    return table[kind]


@pytest.mark.parametrize(
    "kind",
    [
        "absolute",
        "dotdot",
        "outside",
        "dot",
        "backslash",
        "not-utf8",
        "symlink",
        "hardlink",
        "chardev",
        "blockdev",
        "fifo",
        "contiguous",
        "duplicate",
        "file-as-dir",
    ],
)
def test_hostile_member_is_rejected_before_reading(
    kind: str, minimal_bundle: Path, tmp_path: Path, tool: ModuleType, reads: list[str]
) -> None:
    members = read_members(minimal_bundle)
    info, data, code = _hostile(kind)
    path = write_members(tmp_path / f"{kind}.tar.gz", [*members, (info, data)])
    with tarfile.open(path, "r:gz") as tar:
        assert info.name in tar.getnames() or info.name.rstrip("/") in tar.getnames()
    reads.clear()
    result, found = both(tool, path)
    assert not result.ok
    assert [c for c, _ in found] == [code], found
    # only the release manifest (size-capped) is read, for the claims the headers are checked
    # against: nothing the archive holds beyond it
    assert set(reads) <= {"bundle/release_manifest.json"}, reads
    args = argparse.Namespace(
        release_command="verify", bundle=path, json=True, trusted_key=[], trust_file=[]
    )
    assert release_cli.main_from_args(args) == 1


def test_hostile_members_are_all_listed(
    minimal_bundle: Path, tmp_path: Path, tool: ModuleType
) -> None:
    members = read_members(minimal_bundle)
    extra = [_hostile(k)[:2] for k in ("absolute", "symlink", "fifo", "duplicate")]
    _, found = both(tool, write_members(tmp_path / "many.tar.gz", [*members, *extra]))
    assert sorted(c for c, _ in found) == sorted(
        ["member_absolute_path", "member_symlink", "member_fifo", "duplicate_member"]
    )


# --------------------------------------------------------------------------------------------
# selective disclosure


def test_selective_bundle_ships_only_the_disclosed_file(
    bundles: dict[str, Path], sealed_run: Path
) -> None:
    members = read_members(bundles["selective"])
    files = sorted(i.name for i, _ in members if i.isreg())
    assert files == [
        "bundle/release_manifest.json",
        f"bundle/run/{DISCLOSED}",
        "bundle/run/run_manifest.json",
    ]
    rm = json.loads(get_member(members, "bundle/release_manifest.json"))
    assert rm["disclosure"] == "selective"
    (proof,) = rm["inclusion_proofs"]
    manifest = load_manifest(sealed_run / MANIFEST_NAME)
    payload = [a for a in manifest["artifacts"] if a["role"] == "payload"]
    index = [a["path"] for a in payload].index(DISCLOSED)
    assert proof["leaf_index"] == index and proof["tree_size"] == len(payload)
    assert proof["root"] == manifest["merkle"]["payload_root"]
    data = get_member(members, f"bundle/run/{DISCLOSED}")
    leaf = artifact_leaf_data(DISCLOSED, len(data), hashlib.sha256(data).hexdigest())
    assert verify_inclusion(
        leaf,
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(manifest["merkle"]["payload_root"]),
    )


def test_tampered_disclosed_file_fails(
    bundles: dict[str, Path], tmp_path: Path, tool: ModuleType
) -> None:
    members = read_members(bundles["selective"])
    name = f"bundle/run/{DISCLOSED}"
    original = get_member(members, name)
    edited = original[:-2] + (b"9" if original[-2:-1] != b"9" else b"8") + original[-1:]
    bad = write_members(tmp_path / "bad.tar.gz", replace_member(members, name, edited))
    result, found = both(tool, bad)
    assert not result.ok
    assert ("inclusion_proof_failed", name) in found
    assert ("member_sha256_mismatch", name) in found
    assert ("sha256_mismatch", name) in found
    assert not any(c == "missing_file" for c, _ in found), "absent artifacts are not complained of"


def test_forged_proof_fails(bundles: dict[str, Path], tmp_path: Path, tool: ModuleType) -> None:
    members = read_members(bundles["selective"])
    rm = json.loads(get_member(members, "bundle/release_manifest.json"))
    rm["inclusion_proofs"][0]["audit_path"][0] = "11" * 32
    changed = replace_member(members, "bundle/release_manifest.json", canonical_bytes(rm) + b"\n")
    _, found = both(tool, write_members(tmp_path / "p.tar.gz", changed))
    assert found == [("inclusion_proof_failed", f"bundle/run/{DISCLOSED}")]
    rm["inclusion_proofs"] = []
    changed = replace_member(members, "bundle/release_manifest.json", canonical_bytes(rm) + b"\n")
    _, found = both(tool, write_members(tmp_path / "q.tar.gz", changed))
    assert found == [("proof_missing", f"bundle/run/{DISCLOSED}")]


def test_selective_bundle_with_several_files(
    sealed_run: Path, tmp_path: Path, tool: ModuleType
) -> None:
    out = tmp_path / "two.tar.gz"
    build_release(
        sealed_run, out, only=["./exports/entity_scores.parquet", "reports/summary.json", DISCLOSED]
    )
    result, found = both(tool, out)
    assert found == []
    assert result.counts["artifacts_shipped"] == 3


# --------------------------------------------------------------------------------------------
# signatures


@pytest.fixture(scope="module")
def keypairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for name in ("publisher", "pipeline", "stranger"):
        key, pub, _ = generate_keypair(name, folder)
        out[name] = (key, pub)
    return out


def test_unsigned_bundle_and_trusted_keys(
    minimal_bundle: Path, keypairs: dict[str, tuple[Path, Path]], tool: ModuleType
) -> None:
    result, found = both(tool, minimal_bundle)
    assert found == [] and result.signatures == []
    _, found = both(tool, minimal_bundle, [keypairs["publisher"][1]])
    assert found == [("signature_missing", "bundle/release_manifest.sig.json")]


def test_signed_bundle_with_trusted_and_untrusted_keys(
    tmp_path: Path, keypairs: dict[str, tuple[Path, Path]], tool: ModuleType
) -> None:
    key, pub = keypairs["publisher"]
    signed = tmp_path / "signed.tar.gz"
    built = build_release(MINIMAL, signed, sign_key=key)
    assert built.signed_by is not None and built.signed_by.startswith("ed25519:")
    again = tmp_path / "again.tar.gz"
    build_release(MINIMAL, again, sign_key=key)
    assert sha256_of(again) == sha256_of(signed), "Ed25519 is deterministic: still reproducible"

    result, found = both(tool, signed)
    assert found == [] and [s.status for s in result.signatures] == ["unchecked"]
    result, found = both(tool, signed, [pub])
    assert found == [] and [s.status for s in result.signatures] == ["valid"]
    assert result.signatures[0].key_id == built.signed_by
    _, found = both(tool, signed, [keypairs["stranger"][1]])
    assert found == [("signature_untrusted_key", "bundle/release_manifest.sig.json")]


def test_signed_release_manifest_edited(
    tmp_path: Path, keypairs: dict[str, tuple[Path, Path]], tool: ModuleType
) -> None:
    key, pub = keypairs["publisher"]
    signed = build_release(MINIMAL, tmp_path / "s.tar.gz", sign_key=key).out
    members = read_members(signed)
    rm = json.loads(get_member(members, "bundle/release_manifest.json"))
    rm["run_id"] = "someone-else"
    changed = replace_member(members, "bundle/release_manifest.json", canonical_bytes(rm) + b"\n")
    _, found = both(tool, write_members(tmp_path / "e.tar.gz", changed), [pub])
    assert ("signature_mismatch", "bundle/release_manifest.sig.json") in found
    assert ("signature_invalid", "bundle/release_manifest.sig.json") in found
    assert ("release_mismatch", "bundle/release_manifest.json") in found


def test_a_key_inside_the_bundle_is_not_trusted(
    tmp_path: Path, keypairs: dict[str, tuple[Path, Path]], tool: ModuleType
) -> None:
    """An attacker re-signs a forged bundle with their own key and ships that key: it fails
    unless the verifier chose to trust that key."""
    key, pub = keypairs["stranger"]
    forged = build_release(MINIMAL, tmp_path / "f.tar.gz", sign_key=key).out
    members = read_members(forged)
    with_key = write_members(
        tmp_path / "k.tar.gz", [*members, (tarfile.TarInfo("bundle/signer.pub"), pub.read_bytes())]
    )
    _, found = both(tool, with_key, [keypairs["publisher"][1]])
    assert ("signature_untrusted_key", "bundle/release_manifest.sig.json") in found
    assert ("unlisted_member", "bundle/signer.pub") in found


def test_signed_run_carries_its_signature(
    sealed_run: Path, tmp_path: Path, keypairs: dict[str, tuple[Path, Path]], tool: ModuleType
) -> None:
    run = tmp_path / "run"
    shutil.copytree(sealed_run, run)
    run_key, run_pub = keypairs["pipeline"]
    sign_run(run, run_key)
    full = build_release(run, tmp_path / "full.tar.gz").out
    sel = build_release(run, tmp_path / "sel.tar.gz", only=[DISCLOSED]).out
    for bundle in (full, sel):
        with tarfile.open(bundle, "r:gz") as tar:
            assert "bundle/run/run_manifest.sig.json" in tar.getnames()
        result, found = both(tool, bundle, [run_pub])
        assert found == []
        assert [(s.member, s.status) for s in result.signatures] == [
            ("bundle/run/run_manifest.sig.json", "valid")
        ]
    # Trusting only the publisher: the run's signature alone does not establish trust.
    _, found = both(tool, sel, [keypairs["publisher"][1]])
    assert found == [("signature_untrusted_key", "bundle/run/run_manifest.sig.json")]
    # Both signatures, one trusted: enough.
    both_signed = build_release(
        run, tmp_path / "both.tar.gz", sign_key=keypairs["publisher"][0]
    ).out
    result, found = both(tool, both_signed, [keypairs["publisher"][1]])
    assert found == []
    assert sorted(s.status for s in result.signatures) == ["untrusted", "valid"]


def test_tampered_disclosed_file_in_signed_run(
    sealed_run: Path, tmp_path: Path, keypairs: dict[str, tuple[Path, Path]], tool: ModuleType
) -> None:
    run = tmp_path / "run"
    shutil.copytree(sealed_run, run)
    run_key, run_pub = keypairs["pipeline"]
    sign_run(run, run_key)
    sel = build_release(run, tmp_path / "sel.tar.gz", only=[DISCLOSED]).out
    members = read_members(sel)
    name = f"bundle/run/{DISCLOSED}"
    data = get_member(members, name)
    bad = write_members(tmp_path / "bad.tar.gz", replace_member(members, name, data[:-1] + b"#"))
    _, found = both(tool, bad, [run_pub])
    assert ("inclusion_proof_failed", name) in found
    assert ("signature_mismatch", "bundle/run/run_manifest.sig.json") in found


# --------------------------------------------------------------------------------------------
# command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omphalos release")
    release_cli.add_arguments(parser)
    return parser


def test_cli_build_and_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keypairs: dict[str, tuple[Path, Path]]
) -> None:
    out = tmp_path / "cli.tar.gz"
    key, pub = keypairs["publisher"]
    args = _parser().parse_args(
        ["build", "--run-dir", str(MINIMAL), "--out", str(out), "--sign-key", str(key), "--json"]
    )
    assert release_cli.main_from_args(args) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["sha256"] == sha256_of(out) and built["disclosure"] == "full"
    assert release_cli.main_from_args(args) == 2  # refuses to overwrite
    capsys.readouterr()

    args = _parser().parse_args(
        ["verify", "--bundle", str(out), "--trusted-key", str(pub), "--json"]
    )
    assert release_cli.main_from_args(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["signatures"][0]["status"] == "valid"

    args = _parser().parse_args(["verify", "--bundle", str(out)])
    assert release_cli.main_from_args(args) == 0
    assert capsys.readouterr().out.startswith("OK ")

    args = _parser().parse_args(
        ["verify", "--bundle", str(out), "--trusted-key", str(tmp_path / "absent.pub")]
    )
    assert release_cli.main_from_args(args) == 2

    args = _parser().parse_args(
        [
            "build",
            "--run-dir",
            str(MINIMAL),
            "--out",
            str(tmp_path / "p.tar.gz"),
            "--only",
            "reports/timings.json",
        ]
    )
    assert release_cli.main_from_args(args) == 2
    assert "only payload artifacts" in capsys.readouterr().err


def test_cli_reports_located_problems(
    minimal_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = read_members(minimal_bundle)
    name = "bundle/run/exports/entity_matches.csv"
    bad = write_members(
        tmp_path / "bad.tar.gz",
        replace_member(members, name, get_member(members, name).replace(b"0.97", b"0.99")),
    )
    args = _parser().parse_args(["verify", "--bundle", str(bad)])
    assert release_cli.main_from_args(args) == 1
    out = capsys.readouterr().out
    assert f"[member_sha256_mismatch] {name}:" in out
    assert f"[sha256_mismatch] {name}:" in out


def test_cli_build_refuses_unverified_run_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    shutil.copytree(MINIMAL, run)
    (run / "reports" / "summary.json").write_bytes(b"{}\n")
    args = _parser().parse_args(["build", "--run-dir", str(run), "--out", str(tmp_path / "x.tgz")])
    assert release_cli.main_from_args(args) == 1
    assert "does not verify" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# JSON Schemas (contracts/*.schema.json) describe the records actually written


CONTRACTS = ROOT / "contracts"


def _validator(name: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    resources = []
    for path in sorted(CONTRACTS.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], referencing.Resource.from_contents(schema)))
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((CONTRACTS / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def test_schemas_accept_real_records(
    sealed_run: Path, tmp_path: Path, keypairs: dict[str, tuple[Path, Path]]
) -> None:
    run_v = _validator("run_manifest.schema.json")
    for run in (sealed_run, MINIMAL):
        run_v.validate(json.loads((run / MANIFEST_NAME).read_bytes()))
        lineage_v = _validator("lineage_event.schema.json")
        for line in (run / "lineage/events.jsonl").read_bytes().splitlines():
            lineage_v.validate(json.loads(line))
    rel_v = _validator("release_manifest.schema.json")
    proof_v = _validator("inclusion_proof.schema.json")
    sig_v = _validator("release_signature.schema.json")
    signed = build_release(
        sealed_run,
        tmp_path / "s.tar.gz",
        only=[DISCLOSED, "reports/summary.json"],
        sign_key=keypairs["publisher"][0],
    ).out
    members = read_members(signed)
    rm = json.loads(get_member(members, "bundle/release_manifest.json"))
    rel_v.validate(rm)
    for proof in rm["inclusion_proofs"]:
        proof_v.validate(proof)
    sig_v.validate(json.loads(get_member(members, "bundle/release_manifest.sig.json")))


def test_schemas_reject_wrong_records(sealed_run: Path) -> None:
    run_v = _validator("run_manifest.schema.json")
    manifest = json.loads((sealed_run / MANIFEST_NAME).read_bytes())
    changes: list[Callable[[dict[str, Any]], object]] = [
        lambda m: m.update(schema_version="omphalos.run_manifest/2"),
        lambda m: m.update(extra=1),
        lambda m: m["artifacts"][0].update(path="../escape"),
        lambda m: m["artifacts"][0].update(path="/abs"),
        lambda m: m["artifacts"][0].update(sha256="AB" * 32),
        lambda m: m["artifacts"][0].update(role="other"),
        lambda m: m["merkle"].update(algorithm="sha256-flat"),
        lambda m: m.pop("metadata_sha256"),
    ]
    for change in changes:
        bad = copy.deepcopy(manifest)
        change(bad)
        assert not run_v.is_valid(bad)


@pytest.mark.parametrize(
    "path",
    [
        "a",
        "a/b",
        "exports/x.csv",
        ".hidden/x",
        "a..b",
        "/a",
        "a/",
        "a//b",
        "./a",
        "a/./b",
        "..",
        "a/../b",
        "a\\b",
        "a\x00b",
        "",
    ],
)
def test_schema_path_pattern_matches_is_safe_relpath(path: str) -> None:
    import re

    from omphalos.evidence.canonical import is_safe_relpath

    schema = json.loads((CONTRACTS / "run_manifest.schema.json").read_text(encoding="utf-8"))
    pattern = schema["$defs"]["artifact"]["properties"]["path"]["pattern"]
    assert (re.search(pattern, path) is not None and len(path) > 0) == is_safe_relpath(path)


def test_schema_kinds_and_roles_follow_the_role_rules() -> None:
    from omphalos.evidence.manifest import ROLE_RULES

    schema = json.loads((CONTRACTS / "run_manifest.schema.json").read_text(encoding="utf-8"))
    props = schema["$defs"]["artifact"]["properties"]
    assert set(props["kind"]["enum"]) == {r.kind for r in ROLE_RULES} | {"other"}
    assert set(props["role"]["enum"]) == {r.role for r in ROLE_RULES}


def test_evidence_schemas_accept_real_records(
    tmp_path: Path, keypairs: dict[str, tuple[Path, Path]]
) -> None:
    from omphalos.evidence.certificates import GENESIS, build_certificate
    from omphalos.evidence.keys import load_signing_key
    from omphalos.evidence.lineage import utc_now
    from omphalos.evidence.sign import signing_input

    key_path, pub_path = keypairs["pipeline"]
    run = tmp_path / "run"
    shutil.copytree(MINIMAL, run)
    sig_path = sign_run(run, key_path)
    sig = json.loads(sig_path.read_bytes())
    _validator("signature.schema.json").validate(sig)
    message = signing_input(
        sig["run_id"], sig["signed_sha256"], sig["metadata_sha256"], sig["payload_root"]
    )
    _validator("signature_input.schema.json").validate(json.loads(message))
    pub = json.loads(pub_path.read_bytes())
    _validator("public_key.schema.json").validate(pub)
    trust = {
        "schema_version": "omphalos.trust/1",
        "keys": [{"key_id": pub["key_id"], "public_key": pub["public_key"], "name": "pipeline"}],
    }
    _validator("trust.schema.json").validate(trust)
    side = {"run_id": sig["run_id"], "payload_root": sig["payload_root"], "all_root": "0" * 64}
    side["metadata_sha256"] = sig["metadata_sha256"]
    report = {"runs": {"a": side, "b": side}, "verdict": "equivalent"}
    cert = build_certificate(
        report, load_signing_key(key_path), seq=0, prev_sha256=GENESIS, issued_at=utc_now()
    )
    cert_v = _validator("certificate.schema.json")
    cert_v.validate(cert)
    assert not cert_v.is_valid({**cert, "verdict": "maybe"})
