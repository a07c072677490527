"""Build, seal, write and load the run manifest (``run_manifest.json``).

See docs/formats.md, "Run directory" and "Run manifest".
"""

from __future__ import annotations

import copy
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omphalos.canonical import (
    CanonicalJSONError,
    canonical_bytes,
    is_safe_relpath,
    loads_strict,
    sha256_file,
    write_canonical_json,
)
from omphalos.lineage import utc_now
from omphalos.merkle import ALGORITHM, LEAF_ENCODING, artifact_leaf_data, merkle_root

__all__ = [
    "MANIFEST_NAME",
    "META_FIELDS",
    "ROLE_RULES",
    "SCHEMA_VERSION",
    "ManifestError",
    "RoleRule",
    "build_manifest",
    "classify",
    "collect_artifacts",
    "compute_merkle",
    "compute_metadata_sha256",
    "load_manifest",
    "parse_manifest",
    "read_manifest",
    "write_manifest",
]

SCHEMA_VERSION = "omphalos.run_manifest/1"
MANIFEST_NAME = "run_manifest.json"
PAYLOAD = "payload"
PROCEDURAL = "procedural"

#: Top-level fields supplied by the caller of ``build_manifest``.
META_FIELDS = (
    "run_id",
    "started_at",
    "tool",
    "dependencies",
    "engine",
    "config",
    "inputs",
    "dbt",
    "tables",
)
#: Top-level fields computed when sealing, plus ``signatures`` (added by signing, if ever).
SEALED_FIELDS = ("schema_version", "sealed_at", "artifacts", "merkle", "metadata_sha256")
_UNHASHED_FIELDS = frozenset({"metadata_sha256", "signatures"})


class ManifestError(ValueError):
    """A manifest cannot be built, written or read; ``code`` names the failure for reports."""

    def __init__(self, message: str, code: str = "manifest_invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RoleRule:
    """``pattern`` is an exact relative path, or a directory prefix ending with ``/``."""

    pattern: str
    role: str
    kind: str

    def matches(self, path: str) -> bool:
        if self.pattern.endswith("/"):
            return path.startswith(self.pattern)
        return path == self.pattern


#: First matching rule wins; anything unmatched is ``("procedural", "other")``.
ROLE_RULES: tuple[RoleRule, ...] = (
    RoleRule("reports/timings.json", PROCEDURAL, "timings"),
    RoleRule("inputs/rejects.csv", PAYLOAD, "rejects"),
    RoleRule("inputs/admitted/", PAYLOAD, "admitted_input"),
    RoleRule("config/", PAYLOAD, "config"),
    RoleRule("inputs/", PAYLOAD, "input"),
    RoleRule("exports/", PAYLOAD, "export"),
    RoleRule("reports/", PAYLOAD, "report"),
    RoleRule("catalog/", PAYLOAD, "catalog_result"),
    RoleRule("warehouse/", PROCEDURAL, "warehouse"),
    RoleRule("dbt/", PROCEDURAL, "dbt"),
    RoleRule("lineage/", PROCEDURAL, "lineage"),
    RoleRule("logs/", PROCEDURAL, "log"),
)
_OTHER = (PROCEDURAL, "other")


def classify(path: str) -> tuple[str, str]:
    """Map a relative artifact path to ``(role, kind)`` per docs/formats.md."""
    for rule in ROLE_RULES:
        if rule.matches(path):
            return rule.role, rule.kind
    return _OTHER


def _path_key(path: str) -> bytes:
    return path.encode("utf-8")


def collect_artifacts(run_dir: Path | str) -> list[dict[str, Any]]:
    """Every file under ``run_dir`` except the top-level manifest, sorted by path (UTF-8 bytes).

    Raises ``ManifestError`` on symlinks, special files, or names that are not safe paths.
    """
    root = Path(run_dir)
    found: list[str] = []

    def walk(directory: str, prefix: str) -> None:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            rel = prefix + entry.name
            if not is_safe_relpath(rel):
                raise ManifestError(f"{rel!r}: file name is not a safe UTF-8 relative path")
            if entry.is_symlink():
                raise ManifestError(f"{rel}: symlinks are not allowed in a run directory")
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path, rel + "/")
            elif entry.is_file(follow_symlinks=False):
                if rel != MANIFEST_NAME:
                    found.append(rel)
            else:
                mode = entry.stat(follow_symlinks=False).st_mode
                raise ManifestError(
                    f"{rel}: not a regular file (mode {stat.filemode(mode)}); "
                    "only regular files may be sealed"
                )

    walk(os.fspath(root), "")
    artifacts: list[dict[str, Any]] = []
    for rel in sorted(found, key=_path_key):
        digest, size = sha256_file(root / rel, follow_symlinks=False)
        role, kind = classify(rel)
        artifacts.append({"path": rel, "size": size, "sha256": digest, "role": role, "kind": kind})
    return artifacts


def compute_merkle(artifacts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Both roots over ``omphalos.leaf/1`` leaves, sorted by path; role taken from each entry."""
    entries = sorted(artifacts, key=lambda a: _path_key(a["path"]))
    all_leaves = [artifact_leaf_data(a["path"], a["size"], a["sha256"]) for a in entries]
    payload_leaves = [
        leaf for a, leaf in zip(entries, all_leaves, strict=True) if a["role"] == PAYLOAD
    ]
    return {
        "algorithm": ALGORITHM,
        "leaf": LEAF_ENCODING,
        "payload_root": merkle_root(payload_leaves).hex(),
        "payload_leaves": len(payload_leaves),
        "all_root": merkle_root(all_leaves).hex(),
        "all_leaves": len(all_leaves),
    }


def compute_metadata_sha256(manifest: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical bytes of the manifest without ``metadata_sha256``/``signatures``."""
    body = {k: v for k, v in manifest.items() if k not in _UNHASHED_FIELDS}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def build_manifest(
    run_dir: Path | str, meta: Mapping[str, object], *, sealed_at: str | None = None
) -> dict[str, Any]:
    """Seal ``run_dir``: hash every file, compute both Merkle roots and ``metadata_sha256``."""
    missing = [k for k in META_FIELDS if k not in meta]
    unknown = sorted(set(meta) - set(META_FIELDS))
    if missing or unknown:
        raise ManifestError(
            f"manifest metadata: missing fields {missing}, unknown or reserved fields {unknown}"
        )
    artifacts = collect_artifacts(run_dir)
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        **copy.deepcopy(dict(meta)),
        "sealed_at": sealed_at if sealed_at is not None else utc_now(),
        "artifacts": artifacts,
        "merkle": compute_merkle(artifacts),
    }
    try:
        manifest["metadata_sha256"] = compute_metadata_sha256(manifest)
    except CanonicalJSONError as exc:
        raise ManifestError(f"manifest metadata is not canonical JSON: {exc}") from exc
    return manifest


def write_manifest(run_dir: Path | str, manifest: Mapping[str, Any]) -> Path:
    """Write ``run_dir/run_manifest.json`` atomically, refusing a stale ``metadata_sha256``."""
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise ManifestError(
            f"refusing to write schema_version {manifest.get('schema_version')!r}",
            "manifest_unknown_schema",
        )
    if manifest.get("metadata_sha256") != compute_metadata_sha256(manifest):
        raise ManifestError(
            "metadata_sha256 does not match the manifest contents; rebuild it",
            "metadata_mismatch",
        )
    target = Path(run_dir) / MANIFEST_NAME
    write_canonical_json(target, manifest)
    return target


def read_manifest(path: Path | str) -> tuple[dict[str, Any], bytes]:
    """Read a manifest without following symlinks; return ``(manifest, raw bytes)``.

    Raises ``ManifestError`` (with ``code``) when it is missing, unreadable, not strict JSON,
    not an object, or has an unknown ``schema_version``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ManifestError(f"{os.fspath(path)}: manifest not found", "manifest_missing") from None
    except OSError as exc:
        raise ManifestError(f"cannot open the manifest: {exc}", "manifest_unreadable") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ManifestError("the manifest is not a regular file", "manifest_unreadable")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        raw = b"".join(chunks)
    finally:
        os.close(fd)
    return parse_manifest(raw), raw


def parse_manifest(raw: bytes) -> dict[str, Any]:
    """Parse manifest bytes strictly and check ``schema_version``; raise ``ManifestError``."""
    try:
        obj = loads_strict(raw)
    except ValueError as exc:
        raise ManifestError(f"manifest is not valid JSON: {exc}", "manifest_invalid_json") from None
    if not isinstance(obj, dict):
        raise ManifestError("manifest is not a JSON object", "manifest_invalid")
    version = obj.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ManifestError(
            f"unknown manifest schema_version {version!r}; this reader knows only {SCHEMA_VERSION!r}",
            "manifest_unknown_schema",
        )
    return obj


def load_manifest(path: Path | str) -> dict[str, Any]:
    """``read_manifest`` without the raw bytes."""
    return read_manifest(path)[0]
