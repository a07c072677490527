"""``omphalos verify``: recompute every claim of a sealed run from the bytes on disk.

Nothing in the manifest is trusted: the whole directory tree is walked (no directory skipped,
symlinks never followed), every file is hashed, both Merkle roots are rebuilt from the on-disk
hashes, ``metadata_sha256`` is recomputed, and the lineage chain is checked. The detached
signature ``run_manifest.sig.json`` (docs/evidence.md) is the only file besides the manifest that
is not listed; its claims are recomputed, and with trusted keys its signature is checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omphalos.evidence.canonical import (
    CanonicalJSONError,
    canonical_bytes,
    is_safe_relpath,
    sha256_file,
)
from omphalos.evidence.keys import (
    SigningKey,
    TrustedKey,
    load_signing_key,
)
from omphalos.evidence.lineage import verify_chain
from omphalos.evidence.manifest import (
    MANIFEST_NAME,
    META_FIELDS,
    SEALED_FIELDS,
    ManifestError,
    classify,
    compute_merkle,
    compute_metadata_sha256,
    read_manifest,
    schema_problems,
    walk_tree,
)
from omphalos.evidence.merkle import ALGORITHM, LEAF_ENCODING
from omphalos.evidence.problems import Problem
from omphalos.evidence.sign import (
    SIGNATURE_NAME,
    AlreadySignedError,
    RunNotVerifiedError,
    check_run_signature,
    write_run_signature,
)

__all__ = [
    "LINEAGE_PATH",
    "TMP_PREFIX",
    "FileTree",
    "VerifyResult",
    "check_manifest",
    "display_path",
    "sign_run",
    "verify_run",
]

LINEAGE_PATH = "lineage/events.jsonl"
#: A run is built in ``.tmp-<run_id>/`` and renamed into place once sealed: a directory with this
#: name was never renamed into place, so it is never a sealed run (docs/formats.md).
TMP_PREFIX = ".tmp-"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class VerifyResult:
    run_dir: str
    run_id: str | None
    problems: list[Problem]
    roots: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    signature: dict[str, str | None] = field(
        default_factory=lambda: {"status": "absent", "key_id": None, "signer": None}
    )

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "run_dir": self.run_dir,
            "run_id": self.run_id,
            "roots": self.roots,
            "counts": self.counts,
            "signature": self.signature,
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_json(self) -> str:
        return canonical_bytes(self.to_dict()).decode("utf-8")


def _same(claimed: object, actual: object) -> bool:
    """Equal and of the same type (so ``true`` never passes for ``1``)."""
    return type(claimed) is type(actual) and claimed == actual


def display_path(path: str) -> str:
    """A one-line, printable rendering of a path (undecodable bytes and controls escaped)."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


@dataclass
class FileTree:
    """What a walk of a run folder found: the regular files (safe relative paths), the entries
    that are no regular file (symlinks, special files, unsafe names), the problems met on the
    way, and whether a top-level run_manifest.sig.json is there. A release builds one from its
    bundle members instead of a folder."""

    files: list[str] = field(default_factory=list)  # safe relative paths of regular files
    other: set[str] = field(default_factory=set)  # symlinks, special files, unsafe names
    problems: list[Problem] = field(default_factory=list)
    signature: bool = False  # a regular top-level run_manifest.sig.json exists


def _walk(root: Path) -> FileTree:
    """The whole tree, iteratively (any depth of folders: a located result, never a
    RecursionError)."""
    tree = FileTree()
    for rel, entry, error in walk_tree(os.fspath(root)):
        shown = display_path(rel or ".")
        if entry is None:
            assert error is not None
            tree.problems.append(
                Problem("unreadable", shown, f"cannot list directory: {error.strerror or error}")
            )
            continue
        if error is not None:
            tree.other.add(rel)
            tree.problems.append(
                Problem("unreadable", shown, f"cannot stat: {error.strerror or error}")
            )
            continue
        try:
            if entry.is_symlink():
                tree.other.add(rel)
                try:
                    target = display_path(os.readlink(entry.path))
                except OSError:
                    target = "?"
                tree.problems.append(
                    Problem("symlink", shown, f"symlink to {target!r} (never followed)")
                )
                continue
            is_file = entry.is_file(follow_symlinks=False)
        except OSError as exc:
            tree.other.add(rel)
            tree.problems.append(Problem("unreadable", shown, f"cannot stat: {exc.strerror}"))
            continue
        if not is_file:
            tree.other.add(rel)
            tree.problems.append(
                Problem("not_regular_file", shown, "not a regular file (device, FIFO or socket)")
            )
        elif rel == MANIFEST_NAME:
            continue
        elif rel == SIGNATURE_NAME:
            tree.signature = True
        elif not is_safe_relpath(rel):
            tree.other.add(rel)
            tree.problems.append(
                Problem(
                    "unsafe_filename",
                    shown,
                    "file name is not a safe UTF-8 path and cannot be listed in a manifest",
                )
            )
        else:
            tree.files.append(rel)
    return tree


def _check_entry(i: int, a: object, problems: list[Problem]) -> str | None:
    """Validate one manifest artifact entry's shape; return its path if it can be checked."""
    if not isinstance(a, dict) or not isinstance(a.get("path"), str):
        problems.append(
            Problem("manifest_invalid_entry", f"artifacts[{i}]", "entry has no string 'path'")
        )
        return None
    path: str = a["path"]
    if not is_safe_relpath(path):
        problems.append(
            Problem(
                "unsafe_path",
                display_path(path),
                "manifest path is not a safe relative path inside the run "
                "(absolute, '..' or '.' segment, backslash, empty segment or NUL); not opened",
            )
        )
        return None
    size, digest = a.get("size"), a.get("sha256")
    bad = []
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        bad.append(f"size {size!r}")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        bad.append(f"sha256 {digest!r}")
    if bad:
        problems.append(
            Problem("manifest_invalid_entry", display_path(path), "malformed " + ", ".join(bad))
        )
    want_role, want_kind = classify(path)
    if a.get("role") != want_role:
        problems.append(
            Problem(
                "role_mismatch",
                display_path(path),
                f"manifest says role {a.get('role')!r}, the path classifies as {want_role!r}",
            )
        )
    if a.get("kind") != want_kind:
        problems.append(
            Problem(
                "kind_mismatch",
                display_path(path),
                f"manifest says kind {a.get('kind')!r}, the path classifies as {want_kind!r}",
            )
        )
    return path


def verify_run(
    run_dir: Path | str, *, trusted_keys: Mapping[str, TrustedKey] | None = None
) -> VerifyResult:
    """Verify a sealed run directory; see the module docstring.

    ``trusted_keys`` (by key id, from the user, never from the run): when given, the run must
    carry a signature by one of them. Without them a signature is reported ``unchecked``."""
    root = Path(run_dir)
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem("run_dir_missing", os.fspath(root), "not an existing directory"))
        return VerifyResult(os.fspath(root), None, problems)

    if root.resolve().name.startswith(TMP_PREFIX):
        problems.append(
            Problem(
                "run_unfinished",
                display_path(root.resolve().name),
                f"a {TMP_PREFIX}<run_id> directory is a run that was never renamed into place "
                "(still running, or abandoned by a crash): never a sealed run",
            )
        )

    tree = _walk(root)
    problems.extend(tree.problems)

    # Hash everything on disk once; these are the only values the roots are rebuilt from.
    disk: dict[str, tuple[str, int]] = {}
    for rel in tree.files:
        try:
            disk[rel] = sha256_file(root / rel, follow_symlinks=False)
        except OSError as exc:
            tree.other.add(rel)
            problems.append(
                Problem("unreadable", display_path(rel), f"cannot hash: {exc.strerror or exc}")
            )

    recomputed = compute_merkle(
        {"path": p, "size": size, "sha256": digest, "role": classify(p)[0]}
        for p, (digest, size) in disk.items()
    )
    counts = {
        "files_on_disk": len(tree.files),
        "bytes_hashed": sum(size for _, size in disk.values()),
        "artifacts_listed": 0,
    }

    manifest: dict[str, Any] | None = None
    raw: bytes | None = None
    try:
        manifest, raw = read_manifest(root / MANIFEST_NAME)
    except ManifestError as exc:
        problems.append(Problem(exc.code, MANIFEST_NAME, str(exc)))
    run_id: str | None = None

    if manifest is not None and raw is not None:
        run_id = manifest["run_id"] if isinstance(manifest.get("run_id"), str) else None
        problems.extend(check_manifest(manifest, raw, disk, tree, recomputed, counts))

    signature, sig_problems = check_run_signature(
        root,
        present=tree.signature,
        manifest=manifest,
        manifest_raw=raw,
        payload_root=recomputed["payload_root"],
        trusted=trusted_keys,
    )
    problems.extend(sig_problems)

    if LINEAGE_PATH in disk:
        problems.extend(verify_chain(root / LINEAGE_PATH, display_path=LINEAGE_PATH))

    return VerifyResult(os.fspath(root), run_id, problems, recomputed, counts, signature.to_dict())


def check_manifest(
    manifest: dict[str, Any],
    raw: bytes,
    disk: dict[str, tuple[str, int]],
    tree: FileTree,
    recomputed: dict[str, Any],
    counts: dict[str, int],
) -> list[Problem]:
    """The verification core: a run manifest (parsed, and its raw bytes) checked against a set
    of files, ``disk`` mapping each path to its (sha256 hex, size), with ``tree`` saying which
    paths exist and which are no regular file, and ``recomputed`` the Merkle roots of ``disk``
    (``compute_merkle``). Reports every field, entry, file and root that disagrees; adds
    ``artifacts_listed`` to ``counts``. ``verify_run`` feeds it a folder, ``verify_bundle`` the
    members of a release bundle."""
    problems: list[Problem] = []
    for name in (*META_FIELDS, *SEALED_FIELDS):
        if name not in manifest:
            problems.append(
                Problem("manifest_missing_field", MANIFEST_NAME, f"field {name!r} is missing")
            )
    for where, message in schema_problems(manifest):
        problems.append(Problem("manifest_schema", MANIFEST_NAME, f"{where}: {message}"))

    try:
        if raw != canonical_bytes(manifest) + b"\n":
            problems.append(
                Problem(
                    "manifest_not_canonical",
                    MANIFEST_NAME,
                    "file is not the canonical JSON bytes of its content plus one newline",
                )
            )
        claimed_meta = manifest.get("metadata_sha256")
        actual_meta = compute_metadata_sha256(manifest)
        if claimed_meta != actual_meta:
            problems.append(
                Problem(
                    "metadata_mismatch",
                    MANIFEST_NAME,
                    f"metadata_sha256 is {claimed_meta!r}, the manifest content hashes to "
                    f"{actual_meta}: the manifest was edited after sealing",
                )
            )
    except CanonicalJSONError as exc:
        problems.append(Problem("manifest_invalid", MANIFEST_NAME, str(exc)))

    artifacts = manifest.get("artifacts")
    if not isinstance(artifacts, list):
        problems.append(Problem("manifest_invalid", MANIFEST_NAME, "'artifacts' is not a list"))
        artifacts = []
    counts["artifacts_listed"] = len(artifacts)

    listed: dict[str, dict[str, Any]] = {}
    previous: bytes | None = None
    unsorted_reported = False
    for i, a in enumerate(artifacts):
        path = _check_entry(i, a, problems)
        if path is None:
            continue
        if path in listed:
            problems.append(
                Problem(
                    "duplicate_path", display_path(path), "listed more than once in the manifest"
                )
            )
            continue
        key = path.encode("utf-8")
        if previous is not None and key < previous and not unsorted_reported:
            problems.append(
                Problem(
                    "manifest_not_sorted", display_path(path), "artifacts are not sorted by path"
                )
            )
            unsorted_reported = True
        previous = key
        listed[path] = a

    for path, a in listed.items():
        if path not in disk:
            if path not in tree.other and path not in tree.files:
                problems.append(
                    Problem("missing_file", display_path(path), "listed but not on disk")
                )
            continue  # symlink / special / unreadable: already reported
        digest, size = disk[path]
        if not _same(a.get("size"), size):
            problems.append(
                Problem(
                    "size_mismatch",
                    display_path(path),
                    f"manifest says {a.get('size')!r} bytes, file has {size}",
                )
            )
        if not _same(a.get("sha256"), digest):
            problems.append(
                Problem(
                    "sha256_mismatch",
                    display_path(path),
                    f"manifest says sha256 {a.get('sha256')!r}, file hashes to {digest}",
                )
            )

    for path in tree.files:
        if path not in listed:
            problems.append(
                Problem(
                    "unlisted_file", display_path(path), "file is on disk but not in the manifest"
                )
            )

    merkle = manifest.get("merkle")
    if not isinstance(merkle, dict):
        problems.append(Problem("manifest_invalid", MANIFEST_NAME, "'merkle' is not an object"))
        return problems
    if merkle.get("algorithm") != ALGORITHM or merkle.get("leaf") != LEAF_ENCODING:
        problems.append(
            Problem(
                "merkle_unknown_algorithm",
                MANIFEST_NAME,
                f"merkle algorithm {merkle.get('algorithm')!r} / leaf {merkle.get('leaf')!r}; "
                f"expected {ALGORITHM!r} / {LEAF_ENCODING!r}",
            )
        )
    for name, code in (
        ("payload_root", "payload_root_mismatch"),
        ("all_root", "all_root_mismatch"),
    ):
        if not _same(merkle.get(name), recomputed[name]):
            problems.append(
                Problem(
                    code,
                    MANIFEST_NAME,
                    f"merkle.{name} is {merkle.get(name)!r}, the files on disk give "
                    f"{recomputed[name]}",
                )
            )
    for name in ("payload_leaves", "all_leaves"):
        if not _same(merkle.get(name), recomputed[name]):
            problems.append(
                Problem(
                    "leaf_count_mismatch",
                    MANIFEST_NAME,
                    f"merkle.{name} is {merkle.get(name)!r}, the files on disk give "
                    f"{recomputed[name]}",
                )
            )
    return problems


def sign_run(run_dir: Path | str, key: Path | SigningKey, *, check: bool = True) -> Path:
    """Sign a sealed run. With ``check`` (the default) the run must first verify from disk."""
    root = Path(run_dir)
    signer = load_signing_key(key) if isinstance(key, Path) else key
    if os.path.lexists(root / SIGNATURE_NAME):
        raise AlreadySignedError(
            f"{root / SIGNATURE_NAME} already exists; the run is already signed"
        )
    if check:
        result = verify_run(root)
        if not result.ok:
            shown = "; ".join(str(p) for p in result.problems[:5])
            raise RunNotVerifiedError(
                f"refusing to sign a run that does not verify ({len(result.problems)} "
                f"problem(s)): {shown}"
            )
    return write_run_signature(root, signer)
