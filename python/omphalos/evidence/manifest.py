"""Build, seal, write and load the run manifest (``run_manifest.json``).

See docs/formats.md, "Run directory" and "Run manifest".
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omphalos.errors import OmphalosError
from omphalos.evidence.canonical import (
    CanonicalJSONError,
    canonical_bytes,
    is_safe_relpath,
    loads_strict,
    sha256_file,
    write_canonical_json,
)
from omphalos.evidence.lineage import utc_now
from omphalos.evidence.merkle import ALGORITHM, LEAF_ENCODING, artifact_leaf_data, merkle_root

__all__ = [
    "MANIFEST_NAME",
    "MAX_MANIFEST_BYTES",
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
    "schema_problems",
    "walk_tree",
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
#: Top-level fields computed when sealing.
SEALED_FIELDS = ("schema_version", "sealed_at", "artifacts", "merkle", "metadata_sha256")
#: The only field outside the metadata digest: the digest itself. Nothing else is accepted
#: outside it (a manifest with any other field fails the schema, docs/formats.md).
_UNHASHED_FIELDS = frozenset({"metadata_sha256"})
#: Largest manifest a reader accepts; checked with fstat before a byte is read. A manifest lists
#: one ~200-byte entry per file: 64 MiB is some 300,000 files.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class ManifestError(OmphalosError, ValueError):
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
    RoleRule("reports/timings.html", PROCEDURAL, "timings"),
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


def _listing(directory: str) -> Iterator[os.DirEntry[str]]:
    with os.scandir(directory) as it:
        return iter(sorted(it, key=lambda e: e.name))


def walk_tree(root: str) -> Iterator[tuple[str, os.DirEntry[str] | None, OSError | None]]:
    """Every entry under ``root`` in the order of a recursive walk (depth first, sorted by name)
    but without recursion (a tree of any depth, never a RecursionError), never following
    symlinks.

    Yields ``(relative path, entry, None)`` for every entry that is not a directory (directories
    are descended into, not yielded), ``(relative path, entry, error)`` when an entry cannot be
    examined, and ``(relative path of a directory, None, error)`` when a directory cannot be
    listed ("" is the root itself)."""
    try:
        first = _listing(root)
    except OSError as exc:
        yield "", None, exc
        return
    stack: list[tuple[Iterator[os.DirEntry[str]], str]] = [(first, "")]
    while stack:
        entries, prefix = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        rel = prefix + entry.name
        try:
            is_dir = not entry.is_symlink() and entry.is_dir(follow_symlinks=False)
        except OSError as exc:
            yield rel, entry, exc
            continue
        if not is_dir:
            yield rel, entry, None
            continue
        try:
            stack.append((_listing(entry.path), rel + "/"))
        except OSError as exc:
            yield rel, None, exc


def collect_artifacts(run_dir: Path | str) -> list[dict[str, Any]]:
    """Every file under ``run_dir`` except the top-level manifest, sorted by path (UTF-8 bytes).

    Raises ``ManifestError`` on symlinks, special files, unreadable directories, or names that
    are not safe paths. The walk is iterative: any depth of folders is sealed or refused, never
    a RecursionError."""
    root = Path(run_dir)
    found: list[str] = []
    for rel, entry, error in walk_tree(os.fspath(root)):
        if error is not None:
            raise ManifestError(f"{rel or '.'}: cannot read: {error.strerror or error}")
        assert entry is not None
        if not is_safe_relpath(rel):
            raise ManifestError(f"{rel!r}: file name is not a safe UTF-8 relative path")
        if entry.is_symlink():
            raise ManifestError(f"{rel}: symlinks are not allowed in a run directory")
        if entry.is_file(follow_symlinks=False):
            if rel != MANIFEST_NAME:
                found.append(rel)
        else:
            mode = entry.stat(follow_symlinks=False).st_mode
            raise ManifestError(
                f"{rel}: not a regular file (mode {stat.filemode(mode)}); "
                "only regular files may be sealed"
            )
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
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ManifestError("the manifest is not a regular file", "manifest_unreadable")
        if st.st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(
                f"the manifest has {st.st_size} bytes, more than the {MAX_MANIFEST_BYTES} a "
                "reader accepts; not read",
                "manifest_too_large",
            )
        chunks = []
        size = 0
        try:
            while chunk := os.read(fd, 1 << 20):
                size += len(chunk)
                if size > MAX_MANIFEST_BYTES:
                    raise ManifestError(
                        f"the manifest grew past {MAX_MANIFEST_BYTES} bytes while being read",
                        "manifest_too_large",
                    )
                chunks.append(chunk)
        except OSError as exc:
            raise ManifestError(
                f"cannot read the manifest: {exc.strerror or exc}", "manifest_unreadable"
            ) from None
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
    except RecursionError:
        raise ManifestError(
            "manifest is not valid JSON: nested too deeply", "manifest_invalid_json"
        ) from None
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


# ---------------------------------------------------------------------------------------------
# the manifest's shape: contracts/run_manifest.schema.json, strictly

#: Checked in detail (and reported with their own codes) by verify: schema errors at these places
#: are left to those checks, so one defect gives one problem. Everything else the schema says is
#: reported as ``manifest_schema``.
_DETAILED = frozenset({"path", "size", "sha256", "role", "kind"})
_MERKLE_DETAILED = frozenset(
    {"algorithm", "leaf", "payload_root", "payload_leaves", "all_root", "all_leaves"}
)


@functools.cache
def _schema_validator() -> Any:
    import jsonschema

    from omphalos.pipeline.paths import project_root

    path = project_root() / "contracts" / "run_manifest.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _pointer(parts: Iterable[object]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _left_to_detailed_checks(parts: list[object], validator: str) -> bool:
    if not parts:
        # missing fields (manifest_missing_field) and schema_version (manifest_unknown_schema)
        return validator == "required"
    if parts == ["schema_version"]:
        return True
    if parts[0] == "artifacts" and len(parts) >= 2:
        if len(parts) == 2:
            return validator in ("type", "required")  # manifest_invalid_entry
        return len(parts) == 3 and parts[2] in _DETAILED
    if parts[0] == "merkle":
        if len(parts) == 1:
            return validator in ("type", "required")
        return len(parts) == 2 and parts[1] in _MERKLE_DETAILED
    return parts == ["artifacts"] and validator == "type"


def _timestamp_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return None  # the schema reports the type
    try:
        dt.datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return f"{value!r} is not a real UTC date and time"
    return None


def schema_problems(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(key path, message)`` for everything in ``manifest`` that its schema forbids (unknown
    fields anywhere, wrong types, bad patterns), timestamps that are no real time, and a seal
    before the start; except what verify's detailed checks report with codes of their own.
    One entry per key path, sorted by key path."""
    found: dict[str, str] = {}
    for error in _schema_validator().iter_errors(manifest):
        parts = list(error.absolute_path)
        if _left_to_detailed_checks(parts, str(error.validator)):
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for key in sorted(k for k in error.instance if k not in allowed):
                found.setdefault(_pointer([*parts, key]), "unknown field (the schema forbids it)")
            continue
        found.setdefault(_pointer(parts), _schema_message(error))
    for name in ("started_at", "sealed_at"):
        message = _timestamp_problem(manifest.get(name))
        if message is not None:
            found.setdefault(f"$.{name}", message)
    started, sealed = manifest.get("started_at"), manifest.get("sealed_at")
    if (
        isinstance(started, str)
        and isinstance(sealed, str)
        and "$.started_at" not in found
        and "$.sealed_at" not in found
        and sealed < started
    ):
        found["$.sealed_at"] = f"{sealed!r} is before started_at {started!r}"
    return sorted(found.items())


def _schema_message(error: Any) -> str:
    validator = str(error.validator)
    if validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        return (
            "unknown field(s) " + ", ".join(repr(k) for k in extra) + " (the schema forbids them)"
        )
    if validator == "pattern":
        return f"{_short(error.instance)} does not have the required form"
    if validator == "required":
        return str(error.message).replace("is a required property", "is required")
    return f"{_short(error.instance)}: {validator} {_short(error.validator_value)} not met"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
