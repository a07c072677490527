"""Release bundles: a reproducible ``.tar.gz`` of a sealed run, selective disclosure with RFC 6962
inclusion proofs, and verification of a bundle without extracting anything.

See docs/release.md. Layout of a bundle (every member under ``bundle/``)::

    bundle/release_manifest.json        omphalos.release_manifest/1, canonical JSON + "\\n"
    bundle/release_manifest.sig.json    detached signature of the release manifest (optional)
    bundle/run/run_manifest.json        the run manifest, byte for byte
    bundle/run/run_manifest.sig.json    the run's detached signature, if the run has one
    bundle/run/<artifact path>          the artifacts, byte for byte (all, or the ``--only`` ones)
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import io
import os
import re
import secrets
import stat
import tarfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from omphalos.errors import OmphalosError
from omphalos.evidence.canonical import (
    CanonicalJSONError,
    canonical_bytes,
    fsync_dir,
    is_safe_relpath,
    loads_strict,
)
from omphalos.evidence.keys import ALGORITHM as KEY_ALGORITHM
from omphalos.evidence.keys import (
    KeyFileError,
    SigningKey,
    TrustedKey,
    load_signing_key,
)
from omphalos.evidence.lineage import scan_chain
from omphalos.evidence.manifest import (
    MANIFEST_NAME,
    ManifestError,
    classify,
    compute_merkle,
    compute_metadata_sha256,
    parse_manifest,
    read_manifest,
)
from omphalos.evidence.merkle import (
    ALGORITHM,
    LEAF_ENCODING,
    artifact_leaf_data,
    inclusion_proof,
    verify_inclusion,
)
from omphalos.evidence.problems import Problem
from omphalos.evidence.sign import parse_signature, parse_signature_record, signing_input
from omphalos.evidence.verify import (
    LINEAGE_PATH,
    FileTree,
    check_manifest,
    display_path,
    verify_run,
)
from omphalos.pipeline.paths import SealedRunPathError, refuse_inside_sealed_run

__all__ = [
    "BUNDLE_ROOT",
    "PROOF_SCHEMA_VERSION",
    "RELEASE_MANIFEST_NAME",
    "RELEASE_SIGNATURE_NAME",
    "RUN_PREFIX",
    "RUN_SIGNATURE_NAME",
    "SCHEMA_VERSION",
    "BuildResult",
    "BundleReadError",
    "BundleResult",
    "Preflight",
    "ReleaseError",
    "build_release",
    "verify_bundle",
]

SCHEMA_VERSION = "omphalos.release_manifest/1"
PROOF_SCHEMA_VERSION = "omphalos.inclusion_proof/1"
RELEASE_SIGNATURE_SCHEMA = "omphalos.release_signature/1"
BUNDLE_ROOT = "bundle"
RELEASE_MANIFEST_NAME = "release_manifest.json"
RELEASE_SIGNATURE_NAME = "release_manifest.sig.json"
RUN_PREFIX = "run/"
RUN_SIGNATURE_NAME = "run_manifest.sig.json"
RUN_MANIFEST_MEMBER = RUN_PREFIX + MANIFEST_NAME
RUN_SIGNATURE_MEMBER = RUN_PREFIX + RUN_SIGNATURE_NAME
FULL = "full"
SELECTIVE = "selective"
PAYLOAD = "payload"
#: Largest member read into memory (manifests, signatures, lineage log).
MAX_IN_MEMORY = 64 * 1024 * 1024
#: Caps on reading a bundle (docs/release.md, "Caps"): headers are read one by one and checked
#: against the release manifest's claims before any member content is read.
#: At most this many members may come before the release manifest (a built bundle has one).
MAX_MEMBERS_BEFORE_RELEASE = 1000
#: Members beyond those the release manifest declares (its members, their folders, the release
#: manifest and its signature) that are looked at before reading stops.
MEMBER_SLACK = 64
#: Bytes in members the release manifest does not claim (unlisted, or larger than declared)
#: that are skipped over before reading stops: such content is never read or hashed.
MAX_UNCLAIMED_BYTES = 1024 * 1024
FILE_MODE = 0o644
DIR_MODE = 0o755
_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20
_RELEASE_FIELDS = frozenset(
    {
        "schema_version",
        "run_id",
        "metadata_sha256",
        "merkle",
        "disclosure",
        "members",
        "inclusion_proofs",
    }
)
_MERKLE_FIELDS = frozenset(
    {"algorithm", "leaf", "payload_root", "payload_leaves", "all_root", "all_leaves"}
)
_MEMBER_FIELDS = frozenset({"path", "size", "sha256"})
_PROOF_FIELDS = frozenset(
    {
        "schema_version",
        "algorithm",
        "leaf",
        "tree",
        "root",
        "tree_size",
        "leaf_index",
        "path",
        "size",
        "sha256",
        "audit_path",
    }
)
_RELEASE_SIGNATURE_FIELDS = frozenset(
    {"schema_version", "algorithm", "key_id", "signed", "signed_sha256", "signature"}
)

#: The publishability scan hook: given the run directory, return the reasons not to publish
#: (an empty list lets the build go ahead). See docs/release.md, "Preflight".
Preflight = Callable[[Path], list[str]]


class ReleaseError(OmphalosError):
    """A bundle cannot be built; ``code`` names the reason, ``exit_code`` is the CLI exit."""

    def __init__(self, message: str, code: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.code = code
        self.exit_code = exit_code


class BundleReadError(Exception):
    """The input is not a readable gzip-compressed tar archive (CLI exit 2)."""


# ---------------------------------------------------------------------------------------------
# signatures: keys from omphalos.evidence.keys, the run signature format from omphalos.evidence.sign


@dataclass
class SignatureStatus:
    """One signature found in a bundle. ``status``: ``valid`` (verified under a trusted key),
    ``unchecked`` (no trusted key given), ``untrusted`` (signer not among the trusted keys) or
    ``invalid`` (malformed, claims that do not match, or a signature that does not verify)."""

    member: str
    status: str
    key_id: str | None = None
    signer: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "member": self.member,
            "status": self.status,
            "key_id": self.key_id,
            "signer": self.signer,
        }


def release_signature_record(key: SigningKey, release_file: bytes) -> dict[str, str]:
    """``release_manifest.sig.json`` for the bytes of ``release_manifest.json`` (canonical JSON
    plus ``\\n``). The Ed25519 signature is over the canonical bytes (the file without the final
    newline)."""
    if not release_file.endswith(b"\n"):
        raise ValueError("release manifest file bytes end with one newline")
    return {
        "schema_version": RELEASE_SIGNATURE_SCHEMA,
        "algorithm": KEY_ALGORITHM,
        "key_id": key.key_id,
        "signed": RELEASE_MANIFEST_NAME,
        "signed_sha256": hashlib.sha256(release_file).hexdigest(),
        "signature": base64.b64encode(key.sign(release_file[:-1])).decode("ascii"),
    }


def _decode_signature(value: str) -> bytes | None:
    try:
        sig = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return sig if len(sig) == 64 else None


def _parse_release_signature(
    raw: bytes, where: str
) -> tuple[dict[str, str] | None, Problem | None]:
    return parse_signature_record(
        raw,
        where=where,
        schema=RELEASE_SIGNATURE_SCHEMA,
        fields=_RELEASE_SIGNATURE_FIELDS,
        signed_name=RELEASE_MANIFEST_NAME,
        hex_fields=("signed_sha256",),
    )


def _verify_with(
    where: str,
    key_id: str,
    signature_b64: str,
    message: bytes,
    trusted: Mapping[str, TrustedKey] | None,
    problems: list[Problem],
) -> SignatureStatus:
    """Check one signature over ``message``, rebuilt from recomputed values; ``problems`` holds
    those of its claims and receives the signature's own (same order as ``omphalos.evidence.sign``)."""
    if not trusted:
        return SignatureStatus(where, "invalid" if problems else "unchecked", key_id)
    key = trusted.get(key_id)
    if key is None:
        return SignatureStatus(where, "invalid" if problems else "untrusted", key_id)
    sig = _decode_signature(signature_b64)
    if sig is None:
        problems.append(
            Problem("signature_malformed", where, "signature is not 64 bytes of base64")
        )
    elif not key.verify(sig, message):
        problems.append(
            Problem(
                "signature_invalid",
                where,
                f"the Ed25519 signature does not verify under trusted key {key_id} "
                f"({key.name or key.source})",
            )
        )
    return SignatureStatus(where, "invalid" if problems else "valid", key_id, key.name)


def _check_release_signature(
    raw: bytes,
    release: Mapping[str, Any],
    release_raw: bytes,
    trusted: Mapping[str, TrustedKey] | None,
) -> tuple[SignatureStatus, list[Problem]]:
    where = _member(RELEASE_SIGNATURE_NAME)
    record, problem = _parse_release_signature(raw, where)
    if record is None:
        assert problem is not None
        return SignatureStatus(where, "invalid"), [problem]
    problems: list[Problem] = []
    actual = hashlib.sha256(release_raw).hexdigest()
    if record["signed_sha256"] != actual:
        problems.append(
            Problem(
                "signature_mismatch",
                where,
                f"signature file says signed_sha256 {record['signed_sha256']}, "
                f"{RELEASE_MANIFEST_NAME} hashes to {actual}: the release manifest changed after "
                "it was signed",
            )
        )
    # The message is rebuilt from the parsed release manifest, never taken from the file as is.
    message = canonical_bytes(release)
    status = _verify_with(where, record["key_id"], record["signature"], message, trusted, problems)
    return status, problems


def _check_run_signature(
    raw: bytes,
    manifest: Mapping[str, Any],
    manifest_raw: bytes,
    payload_root: str,
    trusted: Mapping[str, TrustedKey] | None,
) -> tuple[SignatureStatus, list[Problem]]:
    """``run/run_manifest.sig.json`` (format of ``omphalos.evidence.sign``) against recomputed values."""
    where = _member(RUN_SIGNATURE_MEMBER)
    record, problem = parse_signature(raw)
    if record is None:
        assert problem is not None
        return SignatureStatus(where, "invalid"), [Problem(problem.code, where, problem.message)]
    problems: list[Problem] = []
    run_id = manifest.get("run_id")
    try:
        meta: str | None = compute_metadata_sha256(manifest)
    except CanonicalJSONError:
        meta = None
    actual: dict[str, object] = {
        "signed_sha256": hashlib.sha256(manifest_raw).hexdigest(),
        "metadata_sha256": meta,
        "payload_root": payload_root,
        "run_id": run_id,
    }
    for name, value in actual.items():
        if record[name] != value:
            problems.append(
                Problem(
                    "signature_mismatch",
                    where,
                    f"signature file says {name} {record[name]!r}, the bundle gives {value!r}: "
                    "the run changed after it was signed",
                )
            )
    if not isinstance(run_id, str) or meta is None:
        return SignatureStatus(where, "invalid", record["key_id"]), problems
    message = signing_input(run_id, str(actual["signed_sha256"]), meta, payload_root)
    status = _verify_with(where, record["key_id"], record["signature"], message, trusted, problems)
    return status, problems


# ---------------------------------------------------------------------------------------------
# build


@dataclass(frozen=True)
class _Source:
    """One regular-file member to write: ``rel`` is relative to ``bundle/``."""

    rel: str
    size: int
    sha256: str
    path: Path | None = None  # read from disk (and re-hashed) when set
    data: bytes | None = None  # in-memory bytes otherwise


@dataclass
class BuildResult:
    out: Path
    sha256: str
    size: int
    release_manifest: dict[str, Any]
    signed_by: str | None

    def to_dict(self) -> dict[str, Any]:
        m = self.release_manifest
        return {
            "out": os.fspath(self.out),
            "sha256": self.sha256,
            "size": self.size,
            "run_id": m["run_id"],
            "disclosure": m["disclosure"],
            "run_members": len(m["members"]),
            "inclusion_proofs": len(m["inclusion_proofs"]),
            "payload_root": m["merkle"]["payload_root"],
            "signed_by": self.signed_by,
        }


def _is_inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _read_regular(path: Path, limit: int = MAX_IN_MEMORY) -> bytes:
    """Read a regular file without following symlinks (raises ``OSError``)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{os.fspath(path)}: not a regular file")
        if st.st_size > limit:
            raise OSError(f"{os.fspath(path)}: larger than {limit} bytes")
        chunks = []
        while chunk := os.read(fd, _CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _select(artifacts: Sequence[Mapping[str, Any]], only: Sequence[str]) -> list[str]:
    by_path = {a["path"]: a for a in artifacts}
    chosen: set[str] = set()
    for raw in only:
        path = raw[2:] if raw.startswith("./") else raw
        if path not in by_path:
            raise ReleaseError(
                f"--only {raw!r}: not an artifact of the run (paths are relative to the run "
                "directory, e.g. exports/review_queue.csv)",
                "not_an_artifact",
            )
        role = by_path[path]["role"]
        if role != PAYLOAD:
            raise ReleaseError(
                f"--only {raw!r}: a {role} artifact cannot be disclosed selectively; only payload "
                "artifacts are covered by payload_root and can carry an inclusion proof",
                "not_payload",
            )
        chosen.add(path)
    return sorted(chosen, key=lambda p: p.encode("utf-8"))


def _proofs(
    artifacts: Sequence[Mapping[str, Any]], merkle: Mapping[str, Any], chosen: Sequence[str]
) -> list[dict[str, Any]]:
    payload = [a for a in artifacts if a["role"] == PAYLOAD]
    leaves = [artifact_leaf_data(a["path"], a["size"], a["sha256"]) for a in payload]
    index = {a["path"]: i for i, a in enumerate(payload)}
    out = []
    for path in chosen:
        i = index[path]
        a = payload[i]
        out.append(
            {
                "schema_version": PROOF_SCHEMA_VERSION,
                "algorithm": ALGORITHM,
                "leaf": LEAF_ENCODING,
                "tree": PAYLOAD,
                "root": merkle["payload_root"],
                "tree_size": len(payload),
                "leaf_index": i,
                "path": a["path"],
                "size": a["size"],
                "sha256": a["sha256"],
                "audit_path": [h.hex() for h in inclusion_proof(leaves, i)],
            }
        )
    return out


def _tar_info(name: str, size: int, is_dir: bool) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.size = 0 if is_dir else size
    info.mode = DIR_MODE if is_dir else FILE_MODE
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _HashingReader:
    """Wraps a file; hashes and counts what ``tarfile`` reads through it."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def _write_member(tar: tarfile.TarFile, src: _Source) -> None:
    name = f"{BUNDLE_ROOT}/{src.rel}"
    info = _tar_info(name, src.size, is_dir=False)
    if src.data is not None:
        if len(src.data) != src.size or hashlib.sha256(src.data).hexdigest() != src.sha256:
            raise ReleaseError(f"{src.rel}: changed while building", "run_changed", 1)
        tar.addfile(info, io.BytesIO(src.data))
        return
    assert src.path is not None
    fd = os.open(
        src.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    )
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ReleaseError(f"{src.rel}: not a regular file", "run_changed", 1)
        reader = _HashingReader(f)
        try:
            tar.addfile(info, reader)
        except tarfile.ReadError:
            raise ReleaseError(
                f"{src.rel}: shorter than the {src.size} bytes the manifest lists (changed "
                "while building)",
                "run_changed",
                1,
            ) from None
        if f.read(1) or reader.size != src.size or reader.digest.hexdigest() != src.sha256:
            raise ReleaseError(
                f"{src.rel}: bytes differ from the run manifest (changed while building)",
                "run_changed",
                1,
            )


def _dirs_of(names: Iterable[str]) -> set[str]:
    dirs: set[str] = set()
    for name in names:
        parts = name.split("/")
        for i in range(1, len(parts)):
            dirs.add("/".join(parts[:i]))
    return dirs


def _write_bundle(out: Path, sources: Sequence[_Source]) -> None:
    names = {f"{BUNDLE_ROOT}/{s.rel}": s for s in sources}
    entries: list[tuple[str, _Source | None]] = [(d, None) for d in _dirs_of(names)]
    entries.extend(names.items())
    entries.sort(key=lambda e: e[0].encode("utf-8"))
    directory = out.parent
    tmp = directory / f".{out.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            with (
                gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz,
                tarfile.open(
                    fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8"
                ) as tar,
            ):
                for name, src in entries:
                    if src is None:
                        tar.addfile(_tar_info(name, 0, is_dir=True))
                    else:
                        _write_member(tar, src)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, out)  # never replaces an existing file
        except FileExistsError:
            raise ReleaseError(
                f"{out} already exists; refusing to overwrite it", "out_exists"
            ) from None
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(directory)


def build_release(
    run_dir: Path | str,
    out: Path | str,
    *,
    sign_key: Path | None = None,
    only: Sequence[str] | None = None,
    preflight: Preflight | None = None,
) -> BuildResult:
    """Build a reproducible release bundle of a sealed run at ``out`` (never overwritten).

    The run must verify (``omphalos.evidence.verify.verify_run``). ``only`` selects payload artifacts to
    disclose with inclusion proofs instead of the whole run. ``preflight`` (the publishability
    scan) receives the run directory and returns reasons to refuse; any reason vetoes the build.
    Raises ``ReleaseError``.
    """
    run = Path(run_dir)
    target = Path(out)
    if not run.is_dir():
        raise ReleaseError(f"run directory {os.fspath(run)!r} does not exist", "run_dir_missing")
    if os.path.lexists(target):
        raise ReleaseError(f"{target} already exists; refusing to overwrite it", "out_exists")
    if not target.parent.is_dir():
        raise ReleaseError(f"{target.parent} is not an existing directory", "out_dir_missing")
    if _is_inside(target, run):
        raise ReleaseError("the bundle cannot be written inside the run directory", "out_in_run")
    try:
        refuse_inside_sealed_run(target, "the bundle")
    except SealedRunPathError as exc:
        raise ReleaseError(str(exc), "out_in_sealed_run") from None
    try:
        signer = load_signing_key(sign_key) if sign_key is not None else None
    except KeyFileError as exc:
        raise ReleaseError(str(exc), "signing_key") from None

    checked = verify_run(run)
    if not checked.ok:
        shown = "; ".join(str(p) for p in checked.problems[:10])
        more = len(checked.problems) - 10
        raise ReleaseError(
            f"the run does not verify ({len(checked.problems)} problem(s)): {shown}"
            + (f"; and {more} more" if more > 0 else ""),
            "run_not_verified",
            1,
        )
    if preflight is not None:
        reasons = preflight(run)
        if reasons:
            raise ReleaseError(
                "the publishability preflight refused the release: " + "; ".join(reasons),
                "preflight_refused",
                1,
            )

    try:
        manifest, manifest_raw = read_manifest(run / MANIFEST_NAME)
    except ManifestError as exc:
        raise ReleaseError(str(exc), exc.code, 1) from None
    # Re-check what was just read, in case the run changed after verify_run.
    artifacts: list[dict[str, Any]] = manifest["artifacts"]
    if (
        manifest.get("metadata_sha256") != compute_metadata_sha256(manifest)
        or compute_merkle(artifacts) != manifest["merkle"]
    ):
        raise ReleaseError("the run manifest changed while building", "run_changed", 1)

    chosen = _select(artifacts, only) if only is not None else None
    sources = [
        _Source(
            RUN_MANIFEST_MEMBER,
            len(manifest_raw),
            hashlib.sha256(manifest_raw).hexdigest(),
            data=manifest_raw,
        )
    ]
    sig_path = run / RUN_SIGNATURE_NAME
    if os.path.lexists(sig_path):
        try:
            sig_raw = _read_regular(sig_path)
        except OSError as exc:
            raise ReleaseError(
                f"cannot read {RUN_SIGNATURE_NAME}: {exc}", "run_signature", 1
            ) from None
        sources.append(
            _Source(
                RUN_SIGNATURE_MEMBER,
                len(sig_raw),
                hashlib.sha256(sig_raw).hexdigest(),
                data=sig_raw,
            )
        )
    wanted = set(chosen) if chosen is not None else None
    for a in artifacts:
        if wanted is None or a["path"] in wanted:
            sources.append(
                _Source(RUN_PREFIX + a["path"], a["size"], a["sha256"], path=run / a["path"])
            )
    sources.sort(key=lambda s: s.rel.encode("utf-8"))

    release: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": manifest["run_id"],
        "metadata_sha256": manifest["metadata_sha256"],
        "merkle": manifest["merkle"],
        "disclosure": FULL if chosen is None else SELECTIVE,
        "members": [{"path": s.rel, "size": s.size, "sha256": s.sha256} for s in sources],
        "inclusion_proofs": []
        if chosen is None
        else _proofs(artifacts, manifest["merkle"], chosen),
    }
    release_raw = canonical_bytes(release) + b"\n"
    members = [
        _Source(
            RELEASE_MANIFEST_NAME,
            len(release_raw),
            hashlib.sha256(release_raw).hexdigest(),
            data=release_raw,
        ),
        *sources,
    ]
    if signer is not None:
        signature_raw = canonical_bytes(release_signature_record(signer, release_raw)) + b"\n"
        members.append(
            _Source(
                RELEASE_SIGNATURE_NAME,
                len(signature_raw),
                hashlib.sha256(signature_raw).hexdigest(),
                data=signature_raw,
            )
        )
    _write_bundle(target, members)
    digest = hashlib.sha256()
    size = 0
    with open(target, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return BuildResult(target, digest.hexdigest(), size, release, signer.key_id if signer else None)


# ---------------------------------------------------------------------------------------------
# verify


def _member(rel: str) -> str:
    """The tar member name of a path relative to ``bundle/``."""
    return f"{BUNDLE_ROOT}/{rel}"


@dataclass
class BundleResult:
    bundle: str
    problems: list[Problem] = field(default_factory=list)
    run_id: str | None = None
    disclosure: str | None = None
    roots: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    signatures: list[SignatureStatus] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "bundle": self.bundle,
            "run_id": self.run_id,
            "disclosure": self.disclosure,
            "roots": self.roots,
            "counts": self.counts,
            "signatures": [s.to_dict() for s in self.signatures],
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_json(self) -> str:
        return canonical_bytes(self.to_dict()).decode("utf-8")


def _name_problems(name: str, is_dir: bool) -> list[Problem]:
    shown = display_path(name)
    if name.startswith("/"):
        return [
            Problem("member_absolute_path", shown, "absolute path; a bundle holds relative paths")
        ]
    segments = name.split("/")
    if ".." in segments:
        return [
            Problem("member_parent_segment", shown, "path has a '..' segment (escapes the bundle)")
        ]
    if not is_safe_relpath(name):
        return [
            Problem(
                "member_unsafe_path",
                shown,
                "not a safe relative UTF-8 path ('.' or empty segment, backslash, NUL or "
                "undecodable bytes)",
            )
        ]
    if segments[0] != BUNDLE_ROOT or (len(segments) == 1 and not is_dir):
        return [Problem("member_outside_bundle", shown, f"not under {BUNDLE_ROOT}/")]
    return []


def _type_problems(info: tarfile.TarInfo) -> list[Problem]:
    shown = display_path(info.name)
    if info.type in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE):
        return []
    if info.issym():
        target = display_path(info.linkname)
        return [Problem("member_symlink", shown, f"symbolic link to {target!r}; links are refused")]
    if info.islnk():
        target = display_path(info.linkname)
        return [Problem("member_hardlink", shown, f"hard link to {target!r}; links are refused")]
    if info.ischr() or info.isblk():
        return [Problem("member_device", shown, "device node; only regular files are allowed")]
    if info.isfifo():
        return [Problem("member_fifo", shown, "FIFO; only regular files are allowed")]
    return [
        Problem(
            "member_unsupported_type",
            shown,
            f"tar member type {info.type!r} (sparse, contiguous or other); only regular files "
            "and directories are allowed",
        )
    ]


def inspect_members(
    infos: Sequence[tarfile.TarInfo],
) -> tuple[dict[str, tarfile.TarInfo], list[Problem]]:
    """Check every member header before any content is read.

    Returns the regular files by path relative to ``bundle/`` and the problems: absolute paths,
    ``..`` and other unsafe names, names outside ``bundle/``, links, devices, FIFOs, other member
    types, duplicate names, and a file used as a directory by another member."""
    files: dict[str, tarfile.TarInfo] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for info in infos:
        name = info.name
        if name in seen:
            problems.append(
                Problem(
                    "duplicate_member", display_path(name), "appears more than once in the archive"
                )
            )
            continue
        seen.add(name)
        found = _name_problems(name, info.isdir()) + _type_problems(info)
        problems.extend(found)
        if not found and not info.isdir():
            files[name[len(BUNDLE_ROOT) + 1 :]] = info
    parents = _dirs_of(files)
    for rel in sorted(files, key=lambda r: r.encode("utf-8")):
        if rel in parents:
            problems.append(
                Problem(
                    "member_path_conflict",
                    display_path(_member(rel)),
                    "a regular file that other members use as a directory",
                )
            )
    return files, problems


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hex64(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def _release_shape(obj: Mapping[str, Any]) -> list[str]:
    """Shape errors of a parsed release manifest (proof entries are checked one by one later)."""
    errors: list[str] = []
    if set(obj) != _RELEASE_FIELDS:
        errors.append(
            f"fields missing {sorted(_RELEASE_FIELDS - set(obj))}, unexpected "
            f"{sorted(set(obj) - _RELEASE_FIELDS)}"
        )
    if not isinstance(obj.get("run_id"), str):
        errors.append("run_id is not a string")
    if not _is_hex64(obj.get("metadata_sha256")):
        errors.append("metadata_sha256 is not 64 lowercase hex digits")
    merkle = obj.get("merkle")
    if not isinstance(merkle, dict) or set(merkle) != _MERKLE_FIELDS:
        errors.append(f"merkle is not an object with exactly {sorted(_MERKLE_FIELDS)}")
    else:
        if merkle["algorithm"] != ALGORITHM or merkle["leaf"] != LEAF_ENCODING:
            errors.append(
                f"merkle algorithm {merkle['algorithm']!r} / leaf {merkle['leaf']!r}; expected "
                f"{ALGORITHM!r} / {LEAF_ENCODING!r}"
            )
        for name in ("payload_root", "all_root"):
            if not _is_hex64(merkle[name]):
                errors.append(f"merkle.{name} is not 64 lowercase hex digits")
        for name in ("payload_leaves", "all_leaves"):
            if not _is_count(merkle[name]):
                errors.append(f"merkle.{name} is not a non-negative integer")
    if obj.get("disclosure") not in (FULL, SELECTIVE):
        errors.append(f"disclosure {obj.get('disclosure')!r} is not {FULL!r} or {SELECTIVE!r}")
    if not isinstance(obj.get("inclusion_proofs"), list):
        errors.append("inclusion_proofs is not a list")
    members = obj.get("members")
    if not isinstance(members, list):
        errors.append("members is not a list")
        return errors
    previous: bytes | None = None
    for i, m in enumerate(members):
        if not isinstance(m, dict) or set(m) != _MEMBER_FIELDS:
            errors.append(f"members[{i}] is not an object with exactly path, size, sha256")
            continue
        path, size, digest = m["path"], m["size"], m["sha256"]
        if (
            not isinstance(path, str)
            or not is_safe_relpath(path)
            or not path.startswith(RUN_PREFIX)
        ):
            errors.append(f"members[{i}].path {path!r} is not a safe path under {RUN_PREFIX}")
            continue
        if not _is_count(size):
            errors.append(f"members[{i}].size {size!r} is not a non-negative integer")
        if not _is_hex64(digest):
            errors.append(f"members[{i}].sha256 is not 64 lowercase hex digits")
        key = path.encode("utf-8")
        if previous is not None and key <= previous:
            errors.append(f"members[{i}].path {path!r}: members are not sorted and unique by path")
        previous = key
    return errors


def _parse_release(raw: bytes, problems: list[Problem]) -> dict[str, Any] | None:
    where = _member(RELEASE_MANIFEST_NAME)
    try:
        obj = loads_strict(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        problems.append(Problem("release_manifest_invalid_json", where, f"not valid JSON ({exc})"))
        return None
    if not isinstance(obj, dict):
        problems.append(Problem("release_manifest_invalid", where, "not a JSON object"))
        return None
    version = obj.get("schema_version")
    if version != SCHEMA_VERSION:
        problems.append(
            Problem(
                "release_manifest_unknown_schema",
                where,
                f"unknown schema_version {version!r}; this reader knows only {SCHEMA_VERSION!r}",
            )
        )
        return None
    errors = _release_shape(obj)
    if errors:
        problems.extend(Problem("release_manifest_invalid", where, e) for e in errors)
        return None
    if raw != canonical_bytes(obj) + b"\n":
        problems.append(
            Problem(
                "release_manifest_not_canonical",
                where,
                "file is not the canonical JSON bytes of its content plus one newline",
            )
        )
    return obj


def _proof_shape(proof: object) -> str | None:
    if not isinstance(proof, dict):
        return "not a JSON object"
    if proof.get("schema_version") != PROOF_SCHEMA_VERSION:
        return (
            f"schema_version {proof.get('schema_version')!r}; this reader knows only "
            f"{PROOF_SCHEMA_VERSION!r}"
        )
    if set(proof) != _PROOF_FIELDS:
        return (
            f"fields missing {sorted(_PROOF_FIELDS - set(proof))}, unexpected "
            f"{sorted(set(proof) - _PROOF_FIELDS)}"
        )
    if (
        proof["algorithm"] != ALGORITHM
        or proof["leaf"] != LEAF_ENCODING
        or proof["tree"] != PAYLOAD
    ):
        return (
            f"algorithm/leaf/tree {proof['algorithm']!r}/{proof['leaf']!r}/{proof['tree']!r}; "
            f"expected {ALGORITHM!r}/{LEAF_ENCODING!r}/{PAYLOAD!r}"
        )
    if not isinstance(proof["path"], str) or not is_safe_relpath(proof["path"]):
        return f"path {proof['path']!r} is not a safe relative path"
    if not (
        _is_count(proof["size"])
        and _is_count(proof["tree_size"])
        and _is_count(proof["leaf_index"])
    ):
        return "size, tree_size and leaf_index must be non-negative integers"
    if not (_is_hex64(proof["sha256"]) and _is_hex64(proof["root"])):
        return "sha256 and root must be 64 lowercase hex digits"
    audit = proof["audit_path"]
    if not isinstance(audit, list) or not all(_is_hex64(h) for h in audit):
        return "audit_path must be a list of 64-digit lowercase hex hashes"
    return None


def _check_proofs(
    proofs: Sequence[object],
    manifest: Mapping[str, Any],
    shipped: Mapping[str, tuple[str, int]],
    selective: bool,
) -> list[Problem]:
    """Each inclusion proof against the run manifest's ``payload_root``, using the shipped bytes."""
    problems: list[Problem] = []
    where = _member(RELEASE_MANIFEST_NAME)
    artifacts = manifest.get("artifacts")
    payload_paths = sorted(
        {
            a["path"]
            for a in (artifacts if isinstance(artifacts, list) else [])
            if isinstance(a, dict)
            and isinstance(a.get("path"), str)
            and is_safe_relpath(a["path"])
            and classify(a["path"])[0] == PAYLOAD
        },
        key=lambda p: p.encode("utf-8"),
    )
    index = {p: i for i, p in enumerate(payload_paths)}
    merkle = manifest.get("merkle")
    root = merkle.get("payload_root") if isinstance(merkle, dict) else None
    proved: set[str] = set()
    for i, proof in enumerate(proofs):
        error = _proof_shape(proof)
        if error is not None:
            problems.append(Problem("proof_invalid", where, f"inclusion_proofs[{i}]: {error}"))
            continue
        assert isinstance(proof, dict)
        path: str = proof["path"]
        shown = display_path(_member(RUN_PREFIX + path))
        if path in proved:
            problems.append(Problem("proof_invalid", shown, "more than one inclusion proof"))
            continue
        proved.add(path)
        if path not in shipped:
            problems.append(
                Problem(
                    "proof_invalid", shown, "inclusion proof for a file the bundle does not hold"
                )
            )
            continue
        digest, size = shipped[path]
        if (proof["sha256"], proof["size"]) != (digest, size):
            problems.append(
                Problem(
                    "proof_invalid",
                    shown,
                    f"proof names sha256 {proof['sha256']} and {proof['size']} bytes; the file "
                    f"has sha256 {digest} and {size} bytes",
                )
            )
        if not _is_hex64(root):
            continue  # the run manifest's problem is reported by the manifest checks
        assert isinstance(root, str)
        if path not in index:
            problems.append(
                Problem(
                    "proof_invalid",
                    shown,
                    "not a payload artifact of the run manifest; only payload artifacts are "
                    "covered by payload_root",
                )
            )
            continue
        if proof["root"] != root:
            problems.append(
                Problem(
                    "proof_root_mismatch",
                    shown,
                    f"proof root {proof['root']} is not the run manifest's payload_root {root}",
                )
            )
        if proof["leaf_index"] != index[path] or proof["tree_size"] != len(payload_paths):
            problems.append(
                Problem(
                    "proof_index_mismatch",
                    shown,
                    f"proof says leaf {proof['leaf_index']} of {proof['tree_size']}; the run "
                    f"manifest puts it at leaf {index[path]} of {len(payload_paths)}",
                )
            )
        leaf = artifact_leaf_data(path, size, digest)
        audit = [bytes.fromhex(h) for h in proof["audit_path"]]
        if not verify_inclusion(
            leaf, proof["leaf_index"], proof["tree_size"], audit, bytes.fromhex(root)
        ):
            problems.append(
                Problem(
                    "inclusion_proof_failed",
                    shown,
                    f"the file's leaf does not hash up to payload_root {root} with this proof",
                )
            )
    if selective:
        for path in sorted(shipped, key=lambda p: p.encode("utf-8")):
            if path not in proved:
                reason = (
                    "a selectively disclosed file needs an inclusion proof"
                    if classify(path)[0] == PAYLOAD
                    else "a procedural artifact cannot be disclosed selectively (only payload "
                    "artifacts are covered by payload_root)"
                )
                problems.append(
                    Problem("proof_missing", display_path(_member(RUN_PREFIX + path)), reason)
                )
    return problems


def _run_problem(p: Problem) -> Problem:
    """Relocate a run-level problem (path relative to the run) into the bundle."""
    if p.path.startswith("artifacts["):
        return Problem(p.code, _member(RUN_MANIFEST_MEMBER), f"{p.path}: {p.message}")
    return Problem(p.code, _member(RUN_PREFIX + p.path), p.message)


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(info)
    if f is None:  # pragma: no cover - only regular files reach here
        raise BundleReadError(f"{info.name}: cannot read member data")
    data = f.read()
    if len(data) != info.size:
        raise BundleReadError(f"{info.name}: member data ends early (truncated archive)")
    return data


def _hash_member(
    tar: tarfile.TarFile, info: tarfile.TarInfo, keep: bool
) -> tuple[str, int, bytes | None]:
    f = tar.extractfile(info)
    if f is None:  # pragma: no cover
        raise BundleReadError(f"{info.name}: cannot read member data")
    digest = hashlib.sha256()
    kept: list[bytes] | None = [] if keep else None
    size = 0
    while chunk := f.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if kept is not None:
            kept.append(chunk)
    if size != info.size:
        raise BundleReadError(f"{info.name}: member data ends early (truncated archive)")
    return digest.hexdigest(), size, b"".join(kept) if kept is not None else None


def _verify_members(
    tar: tarfile.TarFile,
    infos: Sequence[tarfile.TarInfo],
    result: BundleResult,
    trusted: Mapping[str, TrustedKey] | None,
) -> None:
    problems = result.problems
    files, structural = inspect_members(infos)
    if structural:
        problems.extend(structural)
        return  # a hostile archive: nothing inside it is read

    # 1. the release manifest
    rinfo = files.get(RELEASE_MANIFEST_NAME)
    if rinfo is None:
        problems.append(
            Problem(
                "release_manifest_missing",
                _member(RELEASE_MANIFEST_NAME),
                "the bundle has no release manifest",
            )
        )
        return
    for rel in (RELEASE_MANIFEST_NAME, RELEASE_SIGNATURE_NAME):
        if rel in files and files[rel].size > MAX_IN_MEMORY:
            problems.append(
                Problem("member_too_large", _member(rel), f"{files[rel].size} bytes is too large")
            )
    if problems:
        return
    release_raw = _read_member(tar, rinfo)
    release = _parse_release(release_raw, problems)
    if release is None:
        return
    result.disclosure = release["disclosure"]
    result.run_id = release["run_id"]
    if RELEASE_SIGNATURE_NAME in files:
        sig_raw = _read_member(tar, files[RELEASE_SIGNATURE_NAME])
        status, sig_problems = _check_release_signature(sig_raw, release, release_raw, trusted)
        result.signatures.append(status)
        problems.extend(sig_problems)

    # 2. every member against the release manifest; sizes from the headers before reading
    declared: dict[str, dict[str, Any]] = {m["path"]: m for m in release["members"]}
    present = {
        rel: info
        for rel, info in files.items()
        if rel not in (RELEASE_MANIFEST_NAME, RELEASE_SIGNATURE_NAME)
    }
    unread: set[str] = set()
    for rel in sorted(present, key=lambda r: r.encode("utf-8")):
        info = present[rel]
        if rel not in declared:
            problems.append(
                Problem(
                    "unlisted_member",
                    display_path(_member(rel)),
                    "not listed in the release manifest",
                )
            )
        elif info.size != declared[rel]["size"]:
            problems.append(
                Problem(
                    "member_size_mismatch",
                    display_path(_member(rel)),
                    f"release manifest says {declared[rel]['size']} bytes, the member has "
                    f"{info.size}; not read",
                )
            )
            unread.add(rel)
    for rel in declared:
        if rel not in present:
            problems.append(
                Problem("missing_member", _member(rel), "listed in the release manifest but absent")
            )
    keep_in_memory = {RUN_MANIFEST_MEMBER, RUN_SIGNATURE_MEMBER, RUN_PREFIX + LINEAGE_PATH}
    actual: dict[str, tuple[str, int]] = {}
    kept: dict[str, bytes] = {}
    too_large: set[str] = set()
    for info in infos:  # archive order: one forward pass over the compressed stream
        rel = info.name[len(BUNDLE_ROOT) + 1 :]
        if info.isdir() or rel not in present or rel in unread:
            continue
        keep = rel in keep_in_memory and info.size <= MAX_IN_MEMORY
        if rel in keep_in_memory and not keep:
            too_large.add(rel)
        digest, size, data = _hash_member(tar, info, keep)
        actual[rel] = (digest, size)
        if data is not None:
            kept[rel] = data
        want = declared.get(rel)
        if want is not None and want["sha256"] != digest:
            problems.append(
                Problem(
                    "member_sha256_mismatch",
                    display_path(_member(rel)),
                    f"release manifest says sha256 {want['sha256']}, the member hashes to {digest}",
                )
            )
    result.counts = {
        "members": len(present) + 1 + (RELEASE_SIGNATURE_NAME in files),
        "bytes_hashed": sum(size for _, size in actual.values()),
    }

    # 3. the run manifest, its signature, and the artifacts against it
    if RUN_MANIFEST_MEMBER not in present:
        problems.append(
            Problem(
                "manifest_missing", _member(RUN_MANIFEST_MEMBER), "the bundle has no run manifest"
            )
        )
        return
    for rel in sorted(too_large):
        problems.append(
            Problem(
                "member_too_large", _member(rel), f"more than {MAX_IN_MEMORY} bytes; not checked"
            )
        )
    manifest_raw = kept.get(RUN_MANIFEST_MEMBER)
    if manifest_raw is None:
        return  # size mismatch or too large: reported above
    try:
        manifest = parse_manifest(manifest_raw)
    except ManifestError as exc:
        problems.append(Problem(exc.code, _member(RUN_MANIFEST_MEMBER), str(exc)))
        return
    result.run_id = manifest["run_id"] if isinstance(manifest.get("run_id"), str) else None
    for name in ("run_id", "metadata_sha256", "merkle"):
        if release[name] != manifest.get(name):
            problems.append(
                Problem(
                    "release_mismatch",
                    _member(RELEASE_MANIFEST_NAME),
                    f"{name} differs from the run manifest's",
                )
            )

    excluded = {RUN_MANIFEST_MEMBER, RUN_SIGNATURE_MEMBER}
    shipped = {
        rel[len(RUN_PREFIX) :]: value
        for rel, value in actual.items()
        if rel.startswith(RUN_PREFIX) and rel not in excluded
    }
    tree = FileTree(files=list(shipped))
    tree.other.update(
        rel[len(RUN_PREFIX) :]
        for rel in present
        if rel.startswith(RUN_PREFIX) and rel not in excluded and rel not in actual
    )
    disk = dict(shipped)
    selective = release["disclosure"] == SELECTIVE
    artifacts = manifest.get("artifacts")
    if selective and isinstance(artifacts, list):
        # Artifacts not shipped enter the recomputation with the run manifest's own claims.
        for a in artifacts:
            if not isinstance(a, dict) or not isinstance(a.get("path"), str):
                continue
            path = a["path"]
            if path in disk or path in tree.other:
                continue
            if is_safe_relpath(path) and _is_count(a.get("size")) and _is_hex64(a.get("sha256")):
                disk[path] = (a["sha256"], a["size"])
                tree.files.append(path)
            else:
                tree.other.add(path)
    recomputed = compute_merkle(
        {"path": p, "size": size, "sha256": digest, "role": classify(p)[0]}
        for p, (digest, size) in disk.items()
    )
    result.roots = recomputed
    run_counts: dict[str, int] = {}
    problems.extend(
        _run_problem(p)
        for p in check_manifest(manifest, manifest_raw, disk, tree, recomputed, run_counts)
    )
    result.counts["artifacts_listed"] = run_counts.get("artifacts_listed", 0)
    result.counts["artifacts_shipped"] = len(shipped)

    if RUN_SIGNATURE_MEMBER in present and RUN_SIGNATURE_MEMBER in kept:
        status, sig_problems = _check_run_signature(
            kept[RUN_SIGNATURE_MEMBER], manifest, manifest_raw, recomputed["payload_root"], trusted
        )
        result.signatures.append(status)
        problems.extend(sig_problems)

    lineage = kept.get(RUN_PREFIX + LINEAGE_PATH)
    if lineage is not None:
        chain, _, _ = scan_chain(lineage, _member(RUN_PREFIX + LINEAGE_PATH))
        problems.extend(chain)

    problems.extend(_check_proofs(release["inclusion_proofs"], manifest, shipped, selective))


def _declared_sizes(raw: bytes) -> dict[str, int] | None:
    """The member sizes a release manifest claims (None when it has no readable claims)."""
    try:
        obj = loads_strict(raw)
    except (ValueError, RecursionError):
        return None
    members = obj.get("members") if isinstance(obj, dict) else None
    if not isinstance(members, list):
        return None
    out: dict[str, int] = {}
    for m in members:
        if isinstance(m, dict) and isinstance(m.get("path"), str) and _is_count(m.get("size")):
            out[m["path"]] = m["size"]
    return out


def _read_headers(tar: tarfile.TarFile) -> tuple[list[tarfile.TarInfo], list[Problem] | None]:
    """Member headers one at a time, checked against the release manifest's claims as soon as it
    is read; stop (and say why) before skipping over content nobody claimed, or past more members
    than were declared. No member content is hashed here."""
    infos: list[tarfile.TarInfo] = []
    declared: dict[str, int] | None = None
    limit = MAX_MEMBERS_BEFORE_RELEASE
    unclaimed = 0
    release_member = _member(RELEASE_MANIFEST_NAME)
    while True:
        info = tar.next()
        if info is None:
            return infos, None
        infos.append(info)
        shown = display_path(info.name)
        if len(infos) > limit:
            what = (
                f"the {limit - MEMBER_SLACK} its release manifest declares"
                if declared is not None
                else f"{MAX_MEMBERS_BEFORE_RELEASE} without a release manifest"
            )
            return infos, [
                Problem(
                    "too_many_members",
                    shown,
                    f"the archive holds more members than {what}; stopped reading at member "
                    f"{len(infos)}",
                )
            ]
        if not info.isreg():
            continue
        rel = info.name[len(BUNDLE_ROOT) + 1 :] if info.name.startswith(BUNDLE_ROOT + "/") else ""
        if declared is None and info.name == release_member and info.size <= MAX_IN_MEMORY:
            f = tar.extractfile(info)
            data = f.read() if f is not None else b""
            declared = _declared_sizes(data)
            if declared is not None:
                names = [_member(p) for p in (*declared, RELEASE_MANIFEST_NAME)]
                limit = len(infos) + len(declared) + len(_dirs_of(names)) + 2 + MEMBER_SLACK
            continue
        if declared is None:
            claimed = 0
        elif rel == RELEASE_SIGNATURE_NAME:
            claimed = info.size if info.size <= MAX_IN_MEMORY else 0
        else:
            claimed = min(info.size, declared.get(rel, 0))
        unclaimed += info.size - claimed
        if unclaimed > MAX_UNCLAIMED_BYTES:
            stop = Problem(
                "bundle_read_stopped",
                shown,
                f"more than {MAX_UNCLAIMED_BYTES} bytes in members the release manifest does "
                "not claim"
                + (" (none read yet)" if declared is None else "")
                + f": stopped reading at member {len(infos)}; its content was not read",
            )
            if declared is not None and rel in declared:
                return infos, [
                    Problem(
                        "member_size_mismatch",
                        shown,
                        f"release manifest says {declared[rel]} bytes, the member has "
                        f"{info.size}; not read",
                    ),
                    stop,
                ]
            if declared is not None and rel != RELEASE_SIGNATURE_NAME:
                return infos, [
                    Problem("unlisted_member", shown, "not listed in the release manifest"),
                    stop,
                ]
            return infos, [stop]


def _stopped_early(
    infos: Sequence[tarfile.TarInfo], stopped: list[Problem], result: BundleResult
) -> None:
    """Report what the headers read so far show, and why reading stopped."""
    _, structural = inspect_members(infos)
    result.problems.extend(structural[:MEMBER_SLACK])
    if len(structural) > MEMBER_SLACK:
        result.problems.append(
            Problem(
                "too_many_problems",
                _member(""),
                f"{len(structural) - MEMBER_SLACK} more member problems not listed",
            )
        )
    result.problems.extend(stopped)
    result.counts = {"members": len(infos), "bytes_hashed": 0}


def _signature_policy(result: BundleResult, trusted: Mapping[str, TrustedKey] | None) -> None:
    """With trusted keys, at least one signature must verify under one of them."""
    if not trusted or any(s.status == "valid" for s in result.signatures):
        return
    if any(s.status == "invalid" for s in result.signatures):
        return  # already a located problem
    untrusted = [s for s in result.signatures if s.status == "untrusted"]
    if not untrusted:
        result.problems.append(
            Problem(
                "signature_missing",
                _member(RELEASE_SIGNATURE_NAME),
                "trusted keys were given but the bundle carries no signature (neither "
                f"{RELEASE_SIGNATURE_NAME} nor {RUN_SIGNATURE_MEMBER})",
            )
        )
    for s in untrusted:
        result.problems.append(
            Problem(
                "signature_untrusted_key",
                s.member,
                f"signed by {s.key_id}, which is not among the {len(trusted)} trusted key(s) given",
            )
        )


def verify_bundle(
    bundle: Path | str, *, trusted_keys: Mapping[str, TrustedKey] | None = None
) -> BundleResult:
    """Verify a release bundle without extracting it (see the module docstring).

    ``trusted_keys`` (by key id, from the user, never from the bundle): when given, at least one
    of the bundle's signatures must verify under one of them. Raises ``BundleReadError`` when the
    file is not a readable gzip-compressed tar archive."""
    path = Path(bundle)
    result = BundleResult(os.fspath(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise BundleReadError(f"cannot open {os.fspath(path)}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BundleReadError(
            f"{os.fspath(path)} is not a regular file (a bundle is a .tar.gz file)"
        )
    with os.fdopen(fd, "rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            raise BundleReadError(f"{os.fspath(path)} is not gzip-compressed")
        raw.seek(0)
        try:
            with tarfile.open(
                fileobj=raw, mode="r:gz", encoding="utf-8", errors="surrogateescape"
            ) as tar:
                infos, stopped = _read_headers(tar)
                if not infos:
                    raise BundleReadError(f"{os.fspath(path)} is an empty archive, not a bundle")
                if stopped is not None:
                    _stopped_early(infos, stopped, result)
                else:
                    _verify_members(tar, infos, result, trusted_keys)
        except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
            raise BundleReadError(
                f"{os.fspath(path)} is not a readable gzip-compressed tar archive: {exc}"
            ) from None
    _signature_policy(result, trusted_keys)
    return result
