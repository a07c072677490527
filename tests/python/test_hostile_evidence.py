"""Evidence that survives hostile input and crashes (issue 15).

Each test here failed on the code before it: a manifest field outside the digest, unknown fields
and impossible timestamps passed; deep folders crashed with RecursionError; nothing capped the
manifest or a bundle's members; ``--bundle DIR`` was a traceback; the two verifiers disagreed on
an unreadable file; ``show`` printed a tampered run; dbt outlived a killed run; a ``.tmp-`` run
verified; a full disk left no FAILED record; the certificates log had no head to pin; keys in a
world-writable folder were used.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from omphalos.cli import certificates as certificates_cli
from omphalos.cli import release as release_cli
from omphalos.cli.certify import main_from_args as certify_main
from omphalos.evidence import release
from omphalos.evidence.canonical import canonical_bytes
from omphalos.evidence.certificates import (
    append_certificate,
    head_path,
    prefix_roots,
    verify_certificates,
)
from omphalos.evidence.keys import (
    KeyFileError,
    generate_keypair,
    load_signing_key,
    load_trusted_keys,
)
from omphalos.evidence.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES, compute_metadata_sha256
from omphalos.evidence.merkle import merkle_root
from omphalos.evidence.release import build_release, verify_bundle
from omphalos.evidence.sign import RunNotVerifiedError
from omphalos.evidence.verify import sign_run, verify_run
from omphalos.pipeline.run import RunError, execute_run, mark_abandoned, start_child, stop_child
from omphalos.presentation import show

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "omphalos_verify_standalone.py"
RUN_VECTOR = ROOT / "contracts" / "test_vectors" / "run_minimal"
RUN_ID = "minimal-20260131T120000Z-00c0ffee"

Codes = list[tuple[str, str]]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("omphalos_verify_standalone_h", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["omphalos_verify_standalone_h"] = module
    spec.loader.exec_module(module)
    return module


def codes(problems: list[Any]) -> Codes:
    return sorted(
        (d["code"], d["path"])
        for d in (p if isinstance(p, dict) else p.to_dict() for p in problems)
    )


def both_run(tool: ModuleType, run: Path) -> Codes:
    """Verify a run with the package and the standalone tool; they must agree."""
    ours = codes(verify_run(run).problems)
    theirs = codes(tool.verify_run_dir(run, tool.Keys())["problems"])
    assert ours == theirs
    return ours


def both_bundle(tool: ModuleType, bundle: Path) -> tuple[release.BundleResult, Codes]:
    ours = verify_bundle(bundle)
    theirs = tool.verify_bundle_file(bundle, tool.Keys())
    assert codes(ours.problems) == codes(theirs["problems"])
    return ours, codes(ours.problems)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    target = tmp_path / RUN_ID
    shutil.copytree(RUN_VECTOR, target)
    return target


def edit(run: Path, change: Callable[[dict[str, Any]], None], *, reseal: bool) -> None:
    path = run / MANIFEST_NAME
    manifest = json.loads(path.read_bytes())
    change(manifest)
    if reseal:
        manifest["metadata_sha256"] = compute_metadata_sha256(manifest)
    path.write_bytes(canonical_bytes(manifest) + b"\n")


# --------------------------------------------------------------------------------------------
# the manifest: strictly its schema, nothing outside the digest


def test_signatures_field_outside_the_digest_is_refused(run: Path, tool: ModuleType) -> None:
    edit(run, lambda m: m.update(signatures=[{"by": "someone"}]), reseal=False)
    found = both_run(tool, run)
    assert ("metadata_mismatch", MANIFEST_NAME) in found
    assert ("manifest_schema", MANIFEST_NAME) in found


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(signatures=[]),
        lambda m: m.update(note="added later"),
        lambda m: m["engine"].update(bogus=1),
        lambda m: m["artifacts"][0].update(comment="x"),
        lambda m: m["merkle"].update(extra_root="00" * 32),
        lambda m: m.update(started_at="yesterday"),
        lambda m: m.update(sealed_at="2026-13-45T25:61:61Z"),
        lambda m: m.update(sealed_at="2026-01-30T00:00:00Z"),  # before started_at
        lambda m: m.update(run_id="../../etc"),
        lambda m: m["config"].pop("as_of_date"),
        lambda m: m["engine"].update(threads=0),
    ],
    ids=[
        "signatures",
        "unknown_top_level",
        "unknown_nested",
        "unknown_in_entry",
        "unknown_in_merkle",
        "yesterday",
        "impossible_time",
        "sealed_before_started",
        "run_id_form",
        "missing_nested",
        "threads_zero",
    ],
)
def test_resealed_manifest_must_match_its_schema(
    run: Path, tool: ModuleType, change: Callable[[dict[str, Any]], None]
) -> None:
    edit(run, change, reseal=True)
    assert both_run(tool, run) == [("manifest_schema", MANIFEST_NAME)]
    message = verify_run(run).problems[0].message
    assert message.startswith("$.")  # located by key path


def test_the_embedded_schema_is_the_contract(tool: ModuleType) -> None:
    def strip(o: Any) -> Any:
        if isinstance(o, dict):
            return {
                k: strip(v)
                for k, v in o.items()
                if k not in ("description", "title", "$schema", "$id")
            }
        if isinstance(o, list):
            return [strip(x) for x in o]
        return o

    contract = json.loads((ROOT / "contracts" / "run_manifest.schema.json").read_bytes())
    assert strip(contract) == tool.RUN_MANIFEST_SHAPE


def test_metadata_digest_of_a_normal_manifest_is_unchanged() -> None:
    """Only metadata_sha256 is outside the digest now; a manifest without other fields hashes
    as before (the run vector's sealed digest still holds)."""
    manifest = json.loads((RUN_VECTOR / MANIFEST_NAME).read_bytes())
    assert compute_metadata_sha256(manifest) == manifest["metadata_sha256"]
    assert verify_run(RUN_VECTOR).ok


# --------------------------------------------------------------------------------------------
# deep folders: iterative walks everywhere


def _deep(run: Path) -> tuple[Path, str]:
    depth = sys.getrecursionlimit() + 10  # past what any recursive walk survives
    rel = "/".join(["d"] * depth)
    here = os.fspath(run)
    for _ in range(depth):  # Path.mkdir(parents=True) and os.makedirs recurse
        here += "/d"
        os.mkdir(here)
    with open(here + "/x.txt", "wb") as f:
        f.write(b"deep\n")
    return Path(here), rel + "/x.txt"


def _remove_deep(top: Path) -> None:
    """Remove a deep tree without recursion (shutil.rmtree recurses)."""
    stack = [os.fspath(top)]
    while stack:
        here = stack[-1]
        with os.scandir(here) as it:
            entries = list(it)
        subdirs = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        if subdirs:
            stack.extend(subdirs)
            continue
        for e in entries:
            os.unlink(e.path)
        os.rmdir(here)
        stack.pop()


@pytest.fixture
def deep_run(run: Path) -> Iterator[tuple[Path, str]]:
    _, rel = _deep(run)
    yield run, rel
    _remove_deep(run / "d")


def test_deep_folders_are_a_located_problem(
    deep_run: tuple[Path, str], tool: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run, rel = deep_run
    found = both_run(tool, run)
    assert ("unlisted_file", rel) in found
    with pytest.raises(RunNotVerifiedError):
        sign_run(run, _key(tmp_path))
    with pytest.raises(release.ReleaseError) as built:
        build_release(run, tmp_path / "out.tar.gz")
    assert built.value.exit_code == 1
    args = argparse.Namespace(
        run_a=run,
        run_b=RUN_VECTOR,
        json=True,
        out=None,
        examples=5,
        trusted_key=[],
        trust_file=[],
        sign_key=None,
        certificates_log=None,
    )
    assert certify_main(args) == 2  # an error, never the verdict "different"
    capsys.readouterr()


def test_deep_folders_can_be_sealed(tmp_path: Path) -> None:
    from omphalos.evidence.manifest import collect_artifacts

    folder = tmp_path / "r"
    folder.mkdir()
    _, rel = _deep(folder)
    assert [a["path"] for a in collect_artifacts(folder)] == [rel]
    _remove_deep(folder / "d")


def _key(folder: Path) -> Path:
    keys = folder / "keys"
    if not (keys / "k.key").exists():
        generate_keypair("k", keys)
    return keys / "k.key"


# --------------------------------------------------------------------------------------------
# caps


def test_oversized_manifest_is_not_read(run: Path, tool: ModuleType) -> None:
    with open(run / MANIFEST_NAME, "r+b") as f:
        f.truncate(MAX_MANIFEST_BYTES + 1)  # sparse: nothing is written, fstat tells
    assert ("manifest_too_large", MANIFEST_NAME) in both_run(tool, run)


def test_deeply_nested_manifest_is_invalid_json(run: Path, tool: ModuleType) -> None:
    (run / MANIFEST_NAME).write_bytes(b"[" * 200_000 + b"]" * 200_000 + b"\n")
    assert ("manifest_invalid_json", MANIFEST_NAME) in both_run(tool, run)


def _members(bundle: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    out = []
    with tarfile.open(bundle, "r:gz") as tar:
        for info in tar.getmembers():
            f = tar.extractfile(info) if info.isfile() else None
            out.append((info, f.read() if f is not None else None))
    return out


def _write(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT, compresslevel=1) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return build_release(RUN_VECTOR, tmp_path / "minimal.tar.gz").out


def test_many_unlisted_members_stop_early(bundle: Path, tmp_path: Path, tool: ModuleType) -> None:
    extra = []
    for i in range(2000):
        info = tarfile.TarInfo(f"bundle/run/junk/{i:05d}")
        extra.append((info, b""))
    hostile = _write(tmp_path / "many.tar.gz", _members(bundle) + extra)
    result, found = both_bundle(tool, hostile)
    assert ("too_many_members" in {c for c, _ in found}) and not result.ok
    assert len(found) < 100  # a summary, not a line per member
    assert result.counts["members"] < 200


def test_hidden_unlisted_member_is_never_hashed(
    bundle: Path, tmp_path: Path, tool: ModuleType
) -> None:
    hidden = tarfile.TarInfo("bundle/run/exports/hidden.bin")
    hidden.size = 8 * 1024 * 1024
    hostile = _write(tmp_path / "hidden.tar.gz", [*_members(bundle), (hidden, bytes(hidden.size))])
    assert hostile.stat().st_size < hidden.size // 10
    result, found = both_bundle(tool, hostile)
    assert ("unlisted_member", "bundle/run/exports/hidden.bin") in found
    assert ("bundle_read_stopped", "bundle/run/exports/hidden.bin") in found
    assert result.counts["bytes_hashed"] == 0


def test_a_member_larger_than_declared_stops_reading_before_it(
    bundle: Path, tmp_path: Path, tool: ModuleType
) -> None:
    name = "bundle/run/exports/entity_matches.csv"
    members = []
    for info, data in _members(bundle):
        if info.name == name:
            info.size = 4 * 1024 * 1024
            data = bytes(info.size)
        members.append((info, data))
    _, found = both_bundle(tool, _write(tmp_path / "grown.tar.gz", members))
    assert ("member_size_mismatch", name) in found
    assert ("bundle_read_stopped", name) in found


def test_bundle_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(
        release_command="verify", bundle=tmp_path, json=False, trusted_key=[], trust_file=[]
    )
    assert release_cli.main_from_args(args) == 2
    assert "not a regular file" in capsys.readouterr().err
    out = subprocess.run(
        [sys.executable, str(TOOL), "bundle", str(tmp_path)], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


# --------------------------------------------------------------------------------------------
# unreadable files, the OK line, show


def _without_file_override() -> None:
    """In the child before exec: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the
    bounding set, so that even root is refused a file with mode 000."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _unprivileged(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        preexec_fn=_without_file_override if os.geteuid() == 0 else None,
    )


@pytest.mark.skipif(sys.platform != "linux", reason="capability bounding set is Linux")
def test_unreadable_file_both_verifiers_agree(run: Path) -> None:
    os.chmod(run / "exports" / "entity_matches.csv", 0o000)
    try:
        ours = _unprivileged(
            [sys.executable, "-m", "omphalos.cli.app", "verify", "--run-dir", str(run), "--json"]
        )
        theirs = _unprivileged([sys.executable, str(TOOL), "run", str(run), "--json"])
    finally:
        os.chmod(run / "exports" / "entity_matches.csv", 0o644)
    assert ours.returncode == theirs.returncode == 1, (ours.stderr, theirs.stderr)
    found = codes(json.loads(ours.stdout)["problems"])
    assert found == codes(json.loads(theirs.stdout)["problems"])
    assert ("unreadable", "exports/entity_matches.csv") in found
    assert ("missing_file", "exports/entity_matches.csv") not in found


def test_standalone_ok_line_names_the_run() -> None:
    out = subprocess.run(
        [sys.executable, str(TOOL), "run", str(RUN_VECTOR)], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.startswith(f"OK run {RUN_ID} ")


def test_show_refuses_a_run_that_does_not_verify(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (run / "reports" / "summary.json").write_bytes(b'{"shipments": 999999}\n')
    assert show.main_from_args(argparse.Namespace(run_dir=str(run), json=False)) == 1
    captured = capsys.readouterr()
    assert "999999" not in captured.out
    assert "sha256_mismatch" in captured.out
    assert "does not verify" in captured.err


# --------------------------------------------------------------------------------------------
# no writer outlives the run


_CHILD = """
import os, sys, time
open(sys.argv[1], "w").write(str(os.getpid()))
target = os.path.join(sys.argv[2], "dbt", "target")
while True:
    os.makedirs(target, exist_ok=True)
    time.sleep(0.05)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state


def _wait_for(cond: Callable[[], bool], seconds: float = 30.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def _parent_script(tmp: Path, pidfile: Path, term_handler: bool) -> list[str]:
    code = textwrap.dedent(
        f"""
        import signal, sys
        from pathlib import Path
        from omphalos.pipeline.run import _run_dbt
        if {term_handler!r}:
            def stop(signum, frame):
                raise SystemExit(128 + signum)
            signal.signal(signal.SIGTERM, stop)
        child = [sys.executable, "-c", {_CHILD!r}, {str(pidfile)!r}, {str(tmp)!r}]
        print("started", flush=True)
        _run_dbt(child, dict(__import__("os").environ), Path({str(tmp)!r}), None)
        """
    )
    return [sys.executable, "-c", code]


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux")
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_killed_run_leaves_no_writer_behind(tmp_path: Path, how: str) -> None:
    tmp = tmp_path / ".tmp-x"
    pidfile = tmp_path / "child.pid"
    parent = subprocess.Popen(_parent_script(tmp, pidfile, how == "SIGTERM"), cwd=ROOT)
    assert _wait_for(lambda: pidfile.exists() and pidfile.read_text() != "")
    child = int(pidfile.read_text())
    assert _alive(child)
    parent.send_signal(getattr(signal, how))
    parent.wait(timeout=60)
    if how == "SIGTERM":
        assert not _alive(child)  # stopped and reaped before the parent unwound
    else:
        assert _wait_for(lambda: not _alive(child))  # the parent-death signal
    shutil.rmtree(tmp / "dbt" / "target")
    time.sleep(0.3)
    assert not (tmp / "dbt" / "target").exists()  # nobody recreates it


def test_stop_child_ends_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys; "
        f"p = subprocess.Popen([sys.executable, '-c', {_CHILD!r}, {str(pidfile)!r}, "
        f"{str(tmp_path)!r}]); p.wait()"
    )
    proc = start_child([sys.executable, "-c", script], env=dict(os.environ), cwd=tmp_path)
    assert _wait_for(lambda: pidfile.exists() and pidfile.read_text() != "")
    grandchild = int(pidfile.read_text())
    stop_child(proc, grace=0.5)
    assert _wait_for(lambda: not _alive(grandchild))


# --------------------------------------------------------------------------------------------
# temporaries are never sealed runs; abandoned ones are marked


def test_tmp_directory_never_verifies(tmp_path: Path, tool: ModuleType) -> None:
    tmp = tmp_path / f".tmp-{RUN_ID}"
    shutil.copytree(RUN_VECTOR, tmp)
    assert both_run(tool, tmp) == [("run_unfinished", f".tmp-{RUN_ID}")]


def test_abandoned_temporaries_are_marked(tmp_path: Path) -> None:
    from omphalos.pipeline.run import _hold

    runs = tmp_path / "runs"
    abandoned = runs / ".tmp-demo-20260101T000000Z-0000aaaa"
    live = runs / ".tmp-demo-20260101T000000Z-0000bbbb"
    renamed = runs / "demo-20260101T000000Z-0000cccc"  # killed between rename and manifest
    sealed = runs / RUN_ID
    for d in (abandoned, live, renamed):
        (d / "lineage").mkdir(parents=True)
        (d / "lineage" / "events.jsonl").write_bytes(b"")
    (abandoned / "run_manifest.json").write_bytes(b"{}\n")  # a crash before the rename
    shutil.copytree(RUN_VECTOR, sealed)
    fd = _hold(live)
    try:
        notes = mark_abandoned(runs)
    finally:
        os.close(fd)
    assert len(notes) == 2
    names = sorted(p.name for p in runs.iterdir())
    assert names == sorted(
        [
            ".tmp-demo-20260101T000000Z-0000bbbb",
            "demo-20260101T000000Z-0000aaaa.FAILED",
            "demo-20260101T000000Z-0000cccc.FAILED",
            RUN_ID,
        ]
    )
    failed = runs / "demo-20260101T000000Z-0000aaaa.FAILED"
    assert not (failed / "run_manifest.json").exists()
    record = json.loads((failed / "FAILED.json").read_bytes())
    assert record["error_type"] == "abandoned"
    assert verify_run(sealed).ok


# --------------------------------------------------------------------------------------------
# full and read-only disks


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_leaves_a_failed_record(small_inputs: Path, small_disk: Path) -> None:
    runs = small_disk / "runs"

    def fill_when_packets(message: str) -> None:
        if message == "writing review packets":
            with open(small_disk / "filler", "wb") as f:
                chunk = bytes(1 << 20)
                try:
                    while True:
                        f.write(chunk)
                        f.flush()
                except OSError:
                    pass
                try:
                    while True:
                        f.write(b"x")
                        f.flush()
                except OSError:
                    pass

    with pytest.raises(RunError) as failed:
        execute_run(
            small_inputs / "test.yaml", runs_root=runs, threads=1, progress=fill_when_packets
        )
    assert "No space left on device" in str(failed.value)
    left = [p for p in runs.iterdir()]
    assert len(left) == 1 and left[0].name.endswith(".FAILED"), left
    record = json.loads((left[0] / "FAILED.json").read_bytes())
    assert record["schema_version"] == "omphalos.failed_run/1"
    assert not (left[0] / MANIFEST_NAME).exists()


def test_read_only_disk_is_a_located_error(small_inputs: Path, small_disk: Path) -> None:
    (small_disk / "runs").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(RunError) as failed:
        execute_run(small_inputs / "test.yaml", runs_root=small_disk / "runs", threads=1)
    assert "Read-only file system" in str(failed.value)
    assert str(small_disk / "runs") in str(failed.value)


# --------------------------------------------------------------------------------------------
# the certificates log: a signed head, truncation and forks


def _report(n: int) -> dict[str, Any]:
    side = {"run_id": f"r-{n}", "payload_root": f"{n:064x}", "metadata_sha256": "ab" * 32}
    return {"runs": {"a": side, "b": side}, "verdict": "equivalent", "n": n}


@pytest.fixture
def log(tmp_path: Path) -> tuple[Path, Path, Path]:
    key, pub, _ = generate_keypair("certifier", tmp_path / "keys")
    path = tmp_path / "certificates.jsonl"
    for n in range(3):
        append_certificate(path, _report(n), load_signing_key(key))
    return path, key, pub


def _verify_cli(
    path: Path, pub: Path, head: str | None, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    args = argparse.Namespace(log=path, head=head, trusted_key=[pub], trust_file=[], json=True)
    code = certificates_cli.main_from_args(args)
    return code, json.loads(capsys.readouterr().out)


def test_prefix_roots_are_rfc6962_roots() -> None:
    lines = [f"line {i}".encode() for i in range(13)]
    assert prefix_roots(lines) == [merkle_root(lines[:k]).hex() for k in range(14)]


def test_signed_head_is_printed_and_pins_the_log(
    log: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tool: ModuleType
) -> None:
    path, key, pub = log
    code, out = _verify_cli(path, pub, None, capsys)
    assert code == 0
    head = out["head"]
    assert head["size"] == 3 and head["signed"]["status"] == "valid"
    assert head["signed"]["root"] == head["root"]
    pinned_root = head["root"]
    pinned_file = path.parent / "pinned.head.json"
    shutil.copyfile(head_path(path), pinned_file)

    # growing is fine: the pinned head is a prefix
    append_certificate(path, _report(3), load_signing_key(key))
    code, out = _verify_cli(path, pub, pinned_root, capsys)
    assert code == 0 and out["head"]["pinned"] == {
        "root": pinned_root,
        "size": 3,
        "status": "consistent",
    }

    # cut the last two lines (the signed head beside the log still says 4)
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:2]) + b"\n")
    code, out = _verify_cli(path, pub, None, capsys)
    assert code == 1
    assert [p["code"] for p in out["problems"]] == ["certificates_truncated"]

    # fork: cut, then a different entry appended (the signer's new head matches the fork) ...
    append_certificate(path, _report(99), load_signing_key(key))
    code, out = _verify_cli(path, pub, None, capsys)
    assert code == 0  # the log and its own head agree: only a pinned head can tell
    code, out = _verify_cli(path, pub, pinned_root, capsys)
    assert code == 1
    assert [p["code"] for p in out["problems"]] == ["certificates_head_mismatch"]
    code, out = _verify_cli(path, pub, str(pinned_file), capsys)
    assert [p["code"] for p in out["problems"]] == ["certificates_forked"]

    # the standalone verifier agrees
    keys = tool.load_keys([pub])
    theirs = tool.verify_certificates_file(path, keys, str(pinned_file))
    assert [p["code"] for p in theirs["problems"]] == ["certificates_forked"]
    assert theirs["head"]["root"] == out["head"]["root"]

    # emptied: the signed head says 3 certificates
    path.write_bytes(b"")
    count, problems = verify_certificates(path, load_trusted_keys([pub]))
    assert count == 0 and problems == []  # the chain alone cannot tell
    code, out = _verify_cli(path, pub, None, capsys)
    assert [p["code"] for p in out["problems"]] == ["certificates_truncated"]
    assert [p["code"] for p in tool.verify_certificates_file(path, keys, None)["problems"]] == [
        "certificates_truncated"
    ]


def test_standalone_certificates_cli(log: tuple[Path, Path, Path]) -> None:
    path, _, _ = log
    out = subprocess.run(
        [sys.executable, str(TOOL), "certificates", str(path), "--json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["certificates_verified"] == 3
    assert result["head"]["size"] == 3
    assert result["head"]["signed"]["status"] == "unchecked"  # no key, no signature check


def test_forged_signed_head_is_refused(
    log: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, pub = log
    record = json.loads(head_path(path).read_bytes())
    record["size"] = 2
    head_path(path).write_bytes(canonical_bytes(record) + b"\n")
    code, out = _verify_cli(path, pub, None, capsys)
    assert code == 1
    assert [p["code"] for p in out["problems"]] == ["certificates_head_invalid"]


# --------------------------------------------------------------------------------------------
# keys


def test_world_writable_key_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    key, _, _ = generate_keypair("k", folder)
    os.chmod(folder, 0o777)
    with pytest.raises(KeyFileError, match="writable by anyone"):
        load_signing_key(key)
    with pytest.raises(KeyFileError, match="writable by anyone"):
        generate_keypair("other", folder)
    os.chmod(folder, 0o1777)  # sticky: others cannot replace a file they do not own
    load_signing_key(key)
    os.chmod(folder, 0o700)
