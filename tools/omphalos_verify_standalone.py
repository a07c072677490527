#!/usr/bin/env python3
"""Independent verifier for omphalOS runs and release bundles (Python standard library only).

It shares no code with the ``omphalos`` package: it re-implements, from docs/formats.md and
docs/release.md, canonical JSON, the ``omphalos.leaf/1`` leaf encoding, RFC 6962 Merkle roots and
inclusion proofs, the run manifest checks, the lineage chain and the bundle checks. Problem codes
are the same as the package's, so the two verifiers can be compared on the same evidence.

    python3 tools/omphalos_verify_standalone.py run DIR [--json] [--trusted-key FILE ...]
    python3 tools/omphalos_verify_standalone.py bundle X.tar.gz [--json] [--trusted-key FILE ...]
    python3 tools/omphalos_verify_standalone.py certificates LOG [--head HASH|FILE] [--json]
        [--trusted-key FILE ...]
    python3 tools/omphalos_verify_standalone.py vectors [DIR] [--json]

Signatures are checked only when ``--trusted-key`` is given, and that needs the ``cryptography``
package (Ed25519); without trusted keys the signature files' claims are still recomputed. A key
shipped inside the evidence is never trusted. Exit status: 0 verified, 1 problems found, 2 the
input cannot be read or the arguments are wrong.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import os
import re
import stat
import sys
import tarfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------------
# formats (docs/formats.md, docs/release.md)

RUN_MANIFEST_SCHEMA = "omphalos.run_manifest/1"
RELEASE_SCHEMA = "omphalos.release_manifest/1"
PROOF_SCHEMA = "omphalos.inclusion_proof/1"
LINEAGE_SCHEMA = "omphalos.lineage_event/1"
SIGNATURE_SCHEMA = "omphalos.signature/1"
SIGNING_INPUT_SCHEMA = "omphalos.signature_input/1"
RELEASE_SIGNATURE_SCHEMA = "omphalos.release_signature/1"
PUBLIC_KEY_SCHEMA = "omphalos.public_key/1"
MERKLE_ALGORITHM = "rfc6962-sha256"
LEAF_ENCODING = "omphalos.leaf/1"
KEY_ALGORITHM = "ed25519"

MANIFEST_NAME = "run_manifest.json"
SIGNATURE_NAME = "run_manifest.sig.json"
LINEAGE_PATH = "lineage/events.jsonl"
BUNDLE_ROOT = "bundle"
RELEASE_NAME = "release_manifest.json"
RELEASE_SIGNATURE_NAME = "release_manifest.sig.json"
RUN_PREFIX = "run/"
MAX_IN_MEMORY = 64 * 1024 * 1024
MAX_MEMBERS_BEFORE_RELEASE = 1000  # members allowed before the release manifest
MEMBER_SLACK = 64  # members beyond the declared ones looked at before reading stops
MAX_UNCLAIMED_BYTES = 1024 * 1024  # unclaimed member bytes skipped before reading stops
MAX_SIGNATURE_FILE = 64 * 1024
CHUNK = 1 << 20

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
SEALED_FIELDS = ("schema_version", "sealed_at", "artifacts", "merkle", "metadata_sha256")
UNHASHED_FIELDS = ("metadata_sha256",)  # nothing else may stand outside the digest
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # a manifest larger than this is not read
TMP_PREFIX = ".tmp-"  # a run that was never renamed into place

#: (pattern, role, kind): exact path, or a directory prefix ending with "/"; first match wins.
ROLE_RULES = (
    ("reports/timings.json", "procedural", "timings"),
    ("reports/timings.html", "procedural", "timings"),
    ("inputs/rejects.csv", "payload", "rejects"),
    ("inputs/admitted/", "payload", "admitted_input"),
    ("config/", "payload", "config"),
    ("inputs/", "payload", "input"),
    ("exports/", "payload", "export"),
    ("reports/", "payload", "report"),
    ("catalog/", "payload", "catalog_result"),
    ("warehouse/", "procedural", "warehouse"),
    ("dbt/", "procedural", "dbt"),
    ("lineage/", "procedural", "lineage"),
    ("logs/", "procedural", "log"),
)

HEX64 = re.compile(r"[0-9a-f]{64}")
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")
KEY_NAME_FIELDS = frozenset({"schema_version", "algorithm", "key_id", "name", "public_key"})


class Unreadable(Exception):
    """The input cannot be read at all (exit 2)."""


class TooLarge(OSError):
    """A file is larger than a reader accepts; it is not read."""


class NotCanonical(ValueError):
    """A value has no canonical JSON form."""


def problem(code: str, path: str, message: str) -> dict[str, str]:
    return {"code": code, "path": path, "message": message}


def display(path: str) -> str:
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


# --------------------------------------------------------------------------------------------
# canonical JSON


def _check_canonical(obj: object) -> None:
    if obj is None or isinstance(obj, (bool, int)):
        return
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            raise NotCanonical("string is not valid Unicode text") from None
        return
    if isinstance(obj, float):
        raise NotCanonical("floats are not allowed in evidence records")
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _check_canonical(item)
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise NotCanonical("object key is not a string")
            _check_canonical(key)
            _check_canonical(value)
        return
    raise NotCanonical(f"type {type(obj).__name__} is not a JSON value")


def canonical(obj: object) -> bytes:
    """UTF-8, keys sorted, separators ',' ':', no ASCII escaping, no floats or NaN."""
    _check_canonical(obj)
    text = json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _no_float(text: str) -> object:
    raise ValueError(f"float {text} is not allowed")


def _no_constant(text: str) -> object:
    raise ValueError(f"non-finite number {text} is not allowed")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate object key {key!r}")
        out[key] = value
    return out


def strict_loads(data: bytes) -> object:
    """Parse evidence JSON: UTF-8, no floats, no NaN/Infinity, no duplicate keys."""
    return json.loads(
        data.decode("utf-8"),
        parse_float=_no_float,
        parse_constant=_no_constant,
        object_pairs_hook=_no_duplicates,
    )


def is_safe_relpath(p: object) -> bool:
    if not isinstance(p, str) or not p or p.startswith("/") or "\\" in p or "\x00" in p:
        return False
    try:
        p.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return all(seg not in ("", ".", "..") for seg in p.split("/"))


def is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_hex64(value: object) -> bool:
    return isinstance(value, str) and HEX64.fullmatch(value) is not None


def same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def utf8_key(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------------------------
# the run manifest's shape (contracts/run_manifest.schema.json without its descriptions; the
# package validates with jsonschema, this is a small interpreter of the keywords it uses)

RUN_MANIFEST_SHAPE: dict[str, Any] = {
    "$defs": {
        "artifact": {
            "additionalProperties": False,
            "properties": {
                "kind": {
                    "enum": [
                        "admitted_input",
                        "catalog_result",
                        "config",
                        "dbt",
                        "export",
                        "input",
                        "lineage",
                        "log",
                        "other",
                        "rejects",
                        "report",
                        "timings",
                        "warehouse",
                    ]
                },
                "path": {
                    "minLength": 1,
                    "pattern": "^(?!/)(?!.*//)(?!(.*/)?\\.\\.?(/|$))[^\\\\\\u0000]+(?<!/)$",
                    "type": "string",
                },
                "role": {"enum": ["payload", "procedural"]},
                "sha256": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
                "size": {"minimum": 0, "type": "integer"},
            },
            "required": ["path", "size", "sha256", "role", "kind"],
            "type": "object",
        },
        "merkle": {
            "additionalProperties": False,
            "properties": {
                "algorithm": {"const": "rfc6962-sha256"},
                "all_leaves": {"minimum": 0, "type": "integer"},
                "all_root": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
                "leaf": {"const": "omphalos.leaf/1"},
                "payload_leaves": {"minimum": 0, "type": "integer"},
                "payload_root": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
            },
            "required": [
                "algorithm",
                "leaf",
                "payload_root",
                "payload_leaves",
                "all_root",
                "all_leaves",
            ],
            "type": "object",
        },
    },
    "additionalProperties": False,
    "properties": {
        "artifacts": {"items": {"$ref": "#/$defs/artifact"}, "type": "array"},
        "config": {
            "additionalProperties": False,
            "properties": {
                "as_of_date": {"pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "type": "string"},
                "name": {"type": "string"},
                "path": {
                    "minLength": 1,
                    "pattern": "^(?!/)(?!.*//)(?!(.*/)?\\.\\.?(/|$))[^\\\\\\u0000]+(?<!/)$",
                    "type": "string",
                },
                "sha256": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
            },
            "required": ["name", "path", "sha256", "as_of_date"],
            "type": "object",
        },
        "dbt": {
            "additionalProperties": False,
            "properties": {
                "command": {"items": {"type": "string"}, "type": "array"},
                "plan": {
                    "additionalProperties": False,
                    "properties": {
                        "built_by_run": {"type": "string"},
                        "key": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
                        "sha256": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
                    },
                    "required": ["key", "sha256", "built_by_run"],
                    "type": "object",
                },
                "project_sha256": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
                "vars": {"additionalProperties": {"type": "string"}, "type": "object"},
            },
            "required": ["command", "vars"],
            "type": "object",
        },
        "dependencies": {"additionalProperties": {"type": "string"}, "type": "object"},
        "engine": {
            "additionalProperties": False,
            "properties": {
                "master": {"type": "string"},
                "memory_limit": {"type": "string"},
                "schemas": {"items": {"type": "string"}, "type": "array"},
                "schemas_kept": {"type": "boolean"},
                "server_version": {"type": "string"},
                "session_settings": {
                    "additionalProperties": {"type": "string"},
                    "type": "object",
                },
                "spark_version": {"type": "string"},
                "target": {"enum": ["duckdb", "postgres", "spark"]},
                "threads": {"minimum": 1, "type": "integer"},
                "warehouse": {"type": "string"},
            },
            "required": ["target", "threads"],
            "type": "object",
        },
        "inputs": {
            "items": {
                "properties": {
                    "file": {"type": "string"},
                    "format": {"type": "string"},
                    "name": {"type": "string"},
                    "registry_source": {"type": "object"},
                    "rows_admitted": {"minimum": 0, "type": "integer"},
                    "rows_read": {"minimum": 0, "type": "integer"},
                    "rows_rejected": {"minimum": 0, "type": "integer"},
                    "source_sha256": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
                    "source_size": {"minimum": 0, "type": "integer"},
                },
                "required": [
                    "name",
                    "format",
                    "source_sha256",
                    "source_size",
                    "rows_read",
                    "rows_admitted",
                    "rows_rejected",
                ],
                "type": "object",
            },
            "type": "array",
        },
        "merkle": {"$ref": "#/$defs/merkle"},
        "metadata_sha256": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
        "run_id": {
            "pattern": "^[a-z0-9][a-z0-9_-]{0,63}-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$",
            "type": "string",
        },
        "schema_version": {"const": "omphalos.run_manifest/1"},
        "sealed_at": {
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$",
            "type": "string",
        },
        "started_at": {
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$",
            "type": "string",
        },
        "tables": {
            "items": {
                "properties": {
                    "columns": {"items": {"type": "string"}, "type": "array"},
                    "key": {"items": {"type": "string"}, "minItems": 1, "type": "array"},
                    "logical_sha256": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
                    "name": {"type": "string"},
                    "rows": {"minimum": 0, "type": "integer"},
                },
                "required": ["name", "key", "rows", "columns", "logical_sha256"],
                "type": "object",
            },
            "type": "array",
        },
        "tool": {
            "additionalProperties": False,
            "properties": {"name": {"const": "omphalos"}, "version": {"type": "string"}},
            "required": ["name", "version"],
            "type": "object",
        },
    },
    "required": [
        "schema_version",
        "run_id",
        "started_at",
        "sealed_at",
        "tool",
        "dependencies",
        "engine",
        "config",
        "inputs",
        "dbt",
        "artifacts",
        "tables",
        "merkle",
        "metadata_sha256",
    ],
    "type": "object",
}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def shape_errors(
    value: object, schema: Mapping[str, Any], where: tuple[object, ...] = ()
) -> Iterable[tuple[tuple[object, ...], str, str]]:
    """(key path, keyword, message) for every violation; iterative over the nesting."""
    todo: list[tuple[object, Mapping[str, Any], tuple[object, ...]]] = [(value, schema, where)]
    while todo:
        v, sch, at = todo.pop()
        ref = sch.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            sch = RUN_MANIFEST_SHAPE["$defs"][ref[len("#/$defs/") :]]
        if "type" in sch and not _TYPES[sch["type"]](v):
            yield at, "type", f"{short(v)} is not of type {sch['type']!r}"
        if "const" in sch and not same(v, sch["const"]):
            yield at, "const", f"{short(v)} is not {sch['const']!r}"
        if "enum" in sch and not any(same(v, e) for e in sch["enum"]):
            yield at, "enum", f"{short(v)} is not one of {sch['enum']!r}"
        if isinstance(v, str):
            if "pattern" in sch and re.search(sch["pattern"], v) is None:
                yield at, "pattern", f"{short(v)} does not have the required form"
            if len(v) < sch.get("minLength", 0):
                yield at, "minLength", f"{short(v)} is too short"
        if _TYPES["integer"](v) and "minimum" in sch and v < sch["minimum"]:  # type: ignore[operator]
            yield at, "minimum", f"{v!r} is less than {sch['minimum']}"
        if isinstance(v, list):
            if len(v) < sch.get("minItems", 0):
                yield at, "minItems", "too few items"
            if "items" in sch:
                todo.extend((item, sch["items"], (*at, i)) for i, item in enumerate(v))
        if isinstance(v, dict):
            missing = [k for k in sch.get("required", ()) if k not in v]
            if missing:
                yield at, "required", ", ".join(repr(k) for k in missing) + " is required"
            props = sch.get("properties", {})
            extra = sorted(k for k in v if k not in props)
            more = sch.get("additionalProperties", True)
            if more is False:
                for k in extra:
                    yield (*at, k), "additionalProperties", "unknown field (the schema forbids it)"
            for k in v:
                if k in props:
                    todo.append((v[k], props[k], (*at, k)))
                elif isinstance(more, dict):
                    todo.append((v[k], more, (*at, k)))


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


DETAILED_ENTRY_FIELDS = frozenset({"path", "size", "sha256", "role", "kind"})
DETAILED_MERKLE_FIELDS = frozenset(
    {"algorithm", "leaf", "payload_root", "payload_leaves", "all_root", "all_leaves"}
)


def checked_elsewhere(at: tuple[object, ...], keyword: str) -> bool:
    """Violations that the manifest checks report with codes of their own (one problem each)."""
    if not at:
        return keyword == "required"  # manifest_missing_field
    if at == ("schema_version",):
        return True
    if at[0] == "artifacts" and len(at) >= 2:
        if len(at) == 2:
            return keyword in ("type", "required")
        return len(at) == 3 and at[2] in DETAILED_ENTRY_FIELDS
    if at[0] == "merkle":
        if len(at) == 1:
            return keyword in ("type", "required")
        return len(at) == 2 and at[1] in DETAILED_MERKLE_FIELDS
    return at == ("artifacts",) and keyword == "type"


def key_path(at: Iterable[object]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at)


def real_time(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        datetime.datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return f"{value!r} is not a real UTC date and time"
    return None


def manifest_shape_problems(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One (key path, message) per key path the schema (or a real clock) refuses."""
    found: dict[str, str] = {}
    for at, keyword, message in shape_errors(manifest, RUN_MANIFEST_SHAPE):
        if not checked_elsewhere(at, keyword):
            found.setdefault(key_path(at), message)
    for name in ("started_at", "sealed_at"):
        message = real_time(manifest.get(name))
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


# --------------------------------------------------------------------------------------------
# Merkle tree (RFC 6962) and the omphalos.leaf/1 encoding


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes: Sequence[bytes]) -> bytes:
    """The literal recursive RFC 6962 definition over leaf hashes."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def audit_path(hashes: Sequence[bytes], m: int) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]) over leaf hashes."""
    n = len(hashes)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*audit_path(hashes[:k], m), mth(hashes[k:])]
    return [*audit_path(hashes[k:], m - k), mth(hashes[:k])]


def root_from_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """Recompute the root from a leaf hash and its audit path (top-down, by subtree split)."""
    if not 0 <= index < size:
        return None

    def up(lo: int, n: int, idx: int, remaining: list[bytes]) -> bytes | None:
        if n == 1:
            return leaf if not remaining else None
        if not remaining:
            return None
        k = 1
        while k * 2 < n:
            k *= 2
        sibling = remaining[-1]
        rest = remaining[:-1]
        if idx < k:
            left = up(lo, k, idx, rest)
            return None if left is None else node_hash(left, sibling)
        right = up(lo + k, n - k, idx - k, rest)
        return None if right is None else node_hash(sibling, right)

    if any(len(p) != 32 for p in proof):
        return None
    return up(0, size, index, list(proof))


def leaf_data(path: str, size: int, sha256hex: str) -> bytes:
    if not isinstance(path, str) or not path or "\x00" in path:
        raise ValueError("path cannot be encoded as a leaf")
    if not is_count(size):
        raise ValueError("size is not a non-negative integer")
    if not is_hex64(sha256hex):
        raise ValueError("sha256 is not 64 lowercase hex digits")
    return b"\x00".join(
        (
            LEAF_ENCODING.encode("ascii"),
            path.encode("utf-8"),
            str(size).encode("ascii"),
            sha256hex.encode("ascii"),
        )
    )


def classify(path: str) -> tuple[str, str]:
    for pattern, role, kind in ROLE_RULES:
        if (pattern.endswith("/") and path.startswith(pattern)) or path == pattern:
            return role, kind
    return "procedural", "other"


def merkle_of(entries: Iterable[tuple[str, int, str]]) -> dict[str, Any]:
    """Both roots over (path, size, sha256), roles from the path."""
    ordered = sorted(entries, key=lambda e: utf8_key(e[0]))
    all_hashes = [leaf_hash(leaf_data(p, s, d)) for p, s, d in ordered]
    payload = [
        h for (p, _, _), h in zip(ordered, all_hashes, strict=True) if classify(p)[0] == "payload"
    ]
    return {
        "algorithm": MERKLE_ALGORITHM,
        "leaf": LEAF_ENCODING,
        "payload_root": mth(payload).hex(),
        "payload_leaves": len(payload),
        "all_root": mth(all_hashes).hex(),
        "all_leaves": len(all_hashes),
    }


def metadata_sha256(manifest: Mapping[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k not in UNHASHED_FIELDS}
    return hashlib.sha256(canonical(body)).hexdigest()


# --------------------------------------------------------------------------------------------
# trusted keys and Ed25519 (optional: needs the cryptography package)


class Keys:
    """Trusted public keys by key id (``ed25519:`` + sha256 of the raw 32-byte key)."""

    def __init__(self) -> None:
        self.by_id: dict[str, Any] = {}

    def __bool__(self) -> bool:
        return bool(self.by_id)

    def verify(self, key_id: str, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self.by_id[key_id].verify(signature, message)
        except InvalidSignature:
            return False
        return True


def load_keys(paths: Sequence[Path]) -> Keys:
    keys = Keys()
    if not paths:
        return keys
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise Unreadable(
            "--trusted-key needs the 'cryptography' package for Ed25519; install it, or verify "
            "without --trusted-key (integrity only)"
        ) from None
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise Unreadable(f"cannot read trusted key {path}: {exc.strerror}") from None
        if b"PRIVATE KEY" in data:
            raise Unreadable(f"{path} is a private key; pass the public key file")
        if data.lstrip().startswith(b"-----BEGIN"):
            try:
                public = serialization.load_pem_public_key(data)
            except ValueError as exc:
                raise Unreadable(f"{path}: not a PEM public key ({exc})") from None
            if not isinstance(public, Ed25519PublicKey):
                raise Unreadable(f"{path} is not an Ed25519 public key")
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            try:
                record = strict_loads(data)
            except (UnicodeDecodeError, ValueError) as exc:
                raise Unreadable(f"{path}: not a public key record ({exc})") from None
            if not isinstance(record, dict) or record.get("schema_version") != PUBLIC_KEY_SCHEMA:
                raise Unreadable(f"{path}: not an {PUBLIC_KEY_SCHEMA} record")
            if record.get("algorithm") != KEY_ALGORITHM:
                raise Unreadable(f"{path}: algorithm is not {KEY_ALGORITHM}")
            try:
                raw = base64.b64decode(str(record.get("public_key")), validate=True)
            except (binascii.Error, ValueError):
                raise Unreadable(f"{path}: public_key is not base64") from None
            if len(raw) != 32:
                raise Unreadable(f"{path}: public_key is not 32 bytes")
            if record.get("key_id") != "ed25519:" + hashlib.sha256(raw).hexdigest():
                raise Unreadable(f"{path}: key_id does not match the public key")
        key_id = "ed25519:" + hashlib.sha256(raw).hexdigest()
        keys.by_id.setdefault(key_id, Ed25519PublicKey.from_public_bytes(raw))
    return keys


def decode_signature(value: str) -> bytes | None:
    try:
        sig = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return sig if len(sig) == 64 else None


RUN_SIGNATURE_FIELDS = frozenset(
    {
        "schema_version",
        "algorithm",
        "key_id",
        "signed",
        "signed_sha256",
        "metadata_sha256",
        "payload_root",
        "run_id",
        "signature",
    }
)
RELEASE_SIGNATURE_FIELDS = frozenset(
    {"schema_version", "algorithm", "key_id", "signed", "signed_sha256", "signature"}
)


def parse_signature_file(
    raw: bytes,
    where: str,
    schema: str,
    fields: frozenset[str],
    signed: str,
    hex_fields: Sequence[str],
) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    def bad(code: str, message: str) -> tuple[None, dict[str, str]]:
        return None, problem(code, where, message)

    try:
        obj = strict_loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        return bad("signature_malformed", f"not valid JSON ({exc})")
    if not isinstance(obj, dict):
        return bad("signature_malformed", "not a JSON object")
    if obj.get("schema_version") != schema:
        return bad(
            "signature_unknown_schema",
            f"schema_version {obj.get('schema_version')!r}; expected {schema!r}",
        )
    if set(obj) != fields:
        return bad("signature_malformed", "fields are not exactly " + ", ".join(sorted(fields)))
    if not all(isinstance(v, str) for v in obj.values()):
        return bad("signature_malformed", "every field must be a string")
    try:
        if raw != canonical(obj) + b"\n":
            return bad("signature_malformed", "file is not canonical JSON plus one newline")
    except NotCanonical as exc:
        return bad("signature_malformed", str(exc))
    if obj["algorithm"] != KEY_ALGORITHM:
        return bad(
            "signature_malformed", f"algorithm {obj['algorithm']!r} is not {KEY_ALGORITHM!r}"
        )
    if obj["signed"] != signed:
        return bad("signature_malformed", f"signs {obj['signed']!r}, not {signed!r}")
    for name in hex_fields:
        if not is_hex64(obj[name]):
            return bad("signature_malformed", f"{name} is not 64 lowercase hex digits")
    return {k: str(v) for k, v in obj.items()}, None


def check_signature(
    where: str, record: dict[str, str], message: bytes, keys: Keys, problems: list[dict[str, str]]
) -> dict[str, Any]:
    """Status of one signature; ``problems`` holds those of its claims (already compared) and
    receives the signature's own. ``message`` is rebuilt from recomputed values."""
    status: dict[str, Any] = {"member": where, "key_id": record["key_id"]}
    if not keys:
        return {**status, "status": "invalid" if problems else "unchecked"}
    if record["key_id"] not in keys.by_id:
        return {**status, "status": "invalid" if problems else "untrusted"}
    sig = decode_signature(record["signature"])
    if sig is None:
        problems.append(
            problem("signature_malformed", where, "signature is not 64 bytes of base64")
        )
    elif not keys.verify(record["key_id"], sig, message):
        problems.append(
            problem(
                "signature_invalid", where, f"does not verify under trusted key {record['key_id']}"
            )
        )
    return {**status, "status": "invalid" if problems else "valid"}


def check_run_signature(
    raw: bytes,
    where: str,
    manifest: Mapping[str, Any] | None,
    manifest_raw: bytes,
    payload_root: str,
    keys: Keys,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """``run_manifest.sig.json``: its claims against recomputed values, then the signature."""
    record, bad = parse_signature_file(
        raw,
        where,
        SIGNATURE_SCHEMA,
        RUN_SIGNATURE_FIELDS,
        MANIFEST_NAME,
        ("signed_sha256", "metadata_sha256", "payload_root"),
    )
    if record is None:
        assert bad is not None
        return {"member": where, "key_id": None, "status": "invalid"}, [bad]
    if manifest is None:
        return {"member": where, "key_id": record["key_id"], "status": "invalid"}, []
    problems: list[dict[str, str]] = []
    try:
        meta: str | None = metadata_sha256(manifest)
    except NotCanonical:
        meta = None
    actual = {
        "signed_sha256": hashlib.sha256(manifest_raw).hexdigest(),
        "metadata_sha256": meta,
        "payload_root": payload_root,
        "run_id": manifest.get("run_id"),
    }
    for name, value in actual.items():
        if record[name] != value:
            problems.append(
                problem(
                    "signature_mismatch",
                    where,
                    f"signature says {name} {record[name]!r}, recomputed {value!r}",
                )
            )
    run_id = actual["run_id"]
    if not isinstance(run_id, str) or meta is None:
        return {"member": where, "key_id": record["key_id"], "status": "invalid"}, problems
    message = canonical(
        {
            "schema_version": SIGNING_INPUT_SCHEMA,
            "run_id": run_id,
            "signed_sha256": actual["signed_sha256"],
            "metadata_sha256": meta,
            "payload_root": payload_root,
        }
    )
    return check_signature(where, record, message, keys, problems), problems


# --------------------------------------------------------------------------------------------
# lineage chain


def lineage_problems(raw: bytes, where: str) -> list[dict[str, str]]:
    """The first broken link of the hash chain, if any."""
    if not raw:
        return []
    lines = raw.split(b"\n")
    tail = lines.pop()
    prev = "0" * 64
    fields = {"schema_version", "seq", "at", "event", "data", "prev_sha256"}
    for i, line in enumerate(lines):
        n = i + 1

        def bad(code: str, message: str, n: int = n) -> list[dict[str, str]]:
            return [problem(code, where, f"line {n}: {message}")]

        try:
            obj = strict_loads(line)
        except (UnicodeDecodeError, ValueError) as exc:
            return bad("lineage_bad_json", f"not a valid JSON event ({exc})")
        if not isinstance(obj, dict):
            return bad("lineage_bad_event", "event is not a JSON object")
        if obj.get("schema_version") != LINEAGE_SCHEMA:
            return bad("lineage_unknown_schema", f"schema_version {obj.get('schema_version')!r}")
        if set(obj) != fields:
            return bad("lineage_bad_event", "fields are not exactly " + ", ".join(sorted(fields)))
        seq = obj["seq"]
        if isinstance(seq, bool) or not isinstance(seq, int):
            return bad("lineage_bad_event", f"seq {seq!r} is not an integer")
        if seq != i:
            return bad("lineage_seq_gap", f"seq is {seq}, expected {i}")
        at = obj["at"]
        if not isinstance(at, str) or not RFC3339_UTC.fullmatch(at):
            return bad("lineage_bad_event", f"at {at!r} is not an RFC 3339 UTC timestamp")
        if not isinstance(obj["event"], str) or not obj["event"]:
            return bad("lineage_bad_event", "event is not a non-empty string")
        if not isinstance(obj["data"], dict):
            return bad("lineage_bad_event", "data is not a JSON object")
        if obj["prev_sha256"] != prev:
            return bad(
                "lineage_prev_mismatch",
                f"prev_sha256 does not match the previous event's hash {prev}",
            )
        try:
            if canonical(obj) != line:
                return bad("lineage_not_canonical", "line is not in canonical JSON form")
        except NotCanonical as exc:
            return bad("lineage_not_canonical", f"line cannot be canonical JSON ({exc})")
        prev = hashlib.sha256(line).hexdigest()
    if tail:
        return [
            problem(
                "lineage_torn_line",
                where,
                f"line {len(lines) + 1}: last line has no newline (torn write)",
            )
        ]
    return []


# --------------------------------------------------------------------------------------------
# the run manifest against a set of files (shared by run directories and bundles)


def entry_path(i: int, a: object, problems: list[dict[str, str]]) -> str | None:
    if not isinstance(a, dict) or not isinstance(a.get("path"), str):
        problems.append(
            problem("manifest_invalid_entry", f"artifacts[{i}]", "entry has no string 'path'")
        )
        return None
    path: str = a["path"]
    if not is_safe_relpath(path):
        problems.append(
            problem(
                "unsafe_path",
                display(path),
                "manifest path is not a safe relative path; not opened",
            )
        )
        return None
    bad = []
    if not is_count(a.get("size")):
        bad.append(f"size {a.get('size')!r}")
    if not is_hex64(a.get("sha256")):
        bad.append(f"sha256 {a.get('sha256')!r}")
    if bad:
        problems.append(
            problem("manifest_invalid_entry", display(path), "malformed " + ", ".join(bad))
        )
    role, kind = classify(path)
    if a.get("role") != role:
        problems.append(
            problem(
                "role_mismatch",
                display(path),
                f"manifest says role {a.get('role')!r}, path gives {role!r}",
            )
        )
    if a.get("kind") != kind:
        problems.append(
            problem(
                "kind_mismatch",
                display(path),
                f"manifest says kind {a.get('kind')!r}, path gives {kind!r}",
            )
        )
    return path


def parse_run_manifest(
    raw: bytes, where: str
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    try:
        obj = strict_loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        return None, [problem("manifest_invalid_json", where, f"manifest is not valid JSON: {exc}")]
    except RecursionError:
        return None, [
            problem("manifest_invalid_json", where, "manifest is not valid JSON: nested too deeply")
        ]
    if not isinstance(obj, dict):
        return None, [problem("manifest_invalid", where, "manifest is not a JSON object")]
    if obj.get("schema_version") != RUN_MANIFEST_SCHEMA:
        return None, [
            problem(
                "manifest_unknown_schema",
                where,
                f"unknown schema_version {obj.get('schema_version')!r}",
            )
        ]
    return obj, []


def check_manifest(
    manifest: dict[str, Any],
    raw: bytes,
    files: Mapping[str, tuple[str, int]],
    other: set[str],
    recomputed: Mapping[str, Any],
) -> tuple[list[dict[str, str]], int]:
    """The manifest's claims against ``files`` (path -> (sha256, size)). ``other`` holds paths
    present but not hashable (links, special files, unread members): not reported missing."""
    problems: list[dict[str, str]] = []
    for name in (*META_FIELDS, *SEALED_FIELDS):
        if name not in manifest:
            problems.append(
                problem("manifest_missing_field", MANIFEST_NAME, f"field {name!r} is missing")
            )
    for where, message in manifest_shape_problems(manifest):
        problems.append(problem("manifest_schema", MANIFEST_NAME, f"{where}: {message}"))
    try:
        if raw != canonical(manifest) + b"\n":
            problems.append(
                problem(
                    "manifest_not_canonical", MANIFEST_NAME, "not canonical JSON plus one newline"
                )
            )
        actual = metadata_sha256(manifest)
        if manifest.get("metadata_sha256") != actual:
            problems.append(
                problem(
                    "metadata_mismatch",
                    MANIFEST_NAME,
                    f"metadata_sha256 is not {actual}: edited after sealing",
                )
            )
    except NotCanonical as exc:
        problems.append(problem("manifest_invalid", MANIFEST_NAME, str(exc)))

    artifacts = manifest.get("artifacts")
    if not isinstance(artifacts, list):
        problems.append(problem("manifest_invalid", MANIFEST_NAME, "'artifacts' is not a list"))
        artifacts = []
    listed: dict[str, dict[str, Any]] = {}
    previous: bytes | None = None
    unsorted = False
    for i, a in enumerate(artifacts):
        path = entry_path(i, a, problems)
        if path is None:
            continue
        if path in listed:
            problems.append(problem("duplicate_path", display(path), "listed more than once"))
            continue
        key = path.encode("utf-8")
        if previous is not None and key < previous and not unsorted:
            problems.append(
                problem("manifest_not_sorted", display(path), "artifacts are not sorted by path")
            )
            unsorted = True
        previous = key
        listed[path] = a
    for path, a in listed.items():
        if path not in files:
            if path not in other:
                problems.append(problem("missing_file", display(path), "listed but not present"))
            continue
        digest, size = files[path]
        if not same(a.get("size"), size):
            problems.append(
                problem(
                    "size_mismatch",
                    display(path),
                    f"manifest says {a.get('size')!r} bytes, file has {size}",
                )
            )
        if not same(a.get("sha256"), digest):
            problems.append(
                problem(
                    "sha256_mismatch",
                    display(path),
                    f"manifest says {a.get('sha256')!r}, file hashes to {digest}",
                )
            )
    for path in files:
        if path not in listed:
            problems.append(
                problem("unlisted_file", display(path), "present but not in the manifest")
            )

    merkle = manifest.get("merkle")
    if not isinstance(merkle, dict):
        problems.append(problem("manifest_invalid", MANIFEST_NAME, "'merkle' is not an object"))
        return problems, len(artifacts)
    if merkle.get("algorithm") != MERKLE_ALGORITHM or merkle.get("leaf") != LEAF_ENCODING:
        problems.append(
            problem(
                "merkle_unknown_algorithm",
                MANIFEST_NAME,
                "unknown merkle algorithm or leaf encoding",
            )
        )
    for name, code in (
        ("payload_root", "payload_root_mismatch"),
        ("all_root", "all_root_mismatch"),
    ):
        if not same(merkle.get(name), recomputed[name]):
            problems.append(
                problem(
                    code,
                    MANIFEST_NAME,
                    f"merkle.{name} is {merkle.get(name)!r}, recomputed {recomputed[name]}",
                )
            )
    for name in ("payload_leaves", "all_leaves"):
        if not same(merkle.get(name), recomputed[name]):
            problems.append(
                problem(
                    "leaf_count_mismatch",
                    MANIFEST_NAME,
                    f"merkle.{name} is {merkle.get(name)!r}, recomputed {recomputed[name]}",
                )
            )
    return problems, len(artifacts)


# --------------------------------------------------------------------------------------------
# run directories


def read_nofollow(path: str, limit: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file")
        if st.st_size > limit:
            raise TooLarge(f"{st.st_size} bytes, more than the {limit} accepted")
        chunks = []
        size = 0
        while chunk := os.read(fd, CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"grew past the {limit} bytes accepted while being read")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def hash_nofollow(path: str) -> tuple[str, int]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        digest = hashlib.sha256()
        size = 0
        while chunk := os.read(fd, CHUNK):
            digest.update(chunk)
            size += len(chunk)
        return digest.hexdigest(), size
    finally:
        os.close(fd)


def verify_run_dir(run_dir: Path, keys: Keys) -> dict[str, Any]:
    if not run_dir.is_dir():
        raise Unreadable(f"{run_dir} is not an existing directory")
    problems: list[dict[str, str]] = []
    files: list[str] = []
    other: set[str] = set()
    has_signature = False

    if run_dir.resolve().name.startswith(TMP_PREFIX):
        problems.append(
            problem(
                "run_unfinished",
                display(run_dir.resolve().name),
                "a .tmp-<run_id> directory was never renamed into place: never a sealed run",
            )
        )

    # iterative, in the order of a recursive walk (depth first, sorted by name): any depth of
    # folders, never a RecursionError
    def listing(directory: str, where: str) -> Iterator[os.DirEntry[str]] | None:
        try:
            with os.scandir(directory) as it:
                return iter(sorted(it, key=lambda e: e.name))
        except OSError as exc:
            problems.append(
                problem("unreadable", display(where or "."), f"cannot list: {exc.strerror}")
            )
            return None

    first = listing(os.fspath(run_dir), "")
    stack: list[tuple[Iterator[os.DirEntry[str]], str]] = [] if first is None else [(first, "")]
    while stack:
        entries, prefix = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        rel = prefix + entry.name
        try:
            if entry.is_symlink():
                other.add(rel)
                problems.append(problem("symlink", display(rel), "symlink (never followed)"))
                continue
            if entry.is_dir(follow_symlinks=False):
                sub = listing(entry.path, rel)
                if sub is not None:
                    stack.append((sub, rel + "/"))
                continue
            is_file = entry.is_file(follow_symlinks=False)
        except OSError as exc:
            other.add(rel)
            problems.append(problem("unreadable", display(rel), f"cannot stat: {exc.strerror}"))
            continue
        if not is_file:
            other.add(rel)
            problems.append(problem("not_regular_file", display(rel), "not a regular file"))
        elif rel == MANIFEST_NAME:
            continue
        elif rel == SIGNATURE_NAME:
            has_signature = True
        elif not is_safe_relpath(rel):
            other.add(rel)
            problems.append(problem("unsafe_filename", display(rel), "not a safe UTF-8 path"))
        else:
            files.append(rel)

    disk: dict[str, tuple[str, int]] = {}
    for rel in files:
        try:
            disk[rel] = hash_nofollow(os.path.join(run_dir, rel))
        except OSError as exc:
            other.add(rel)  # present but unreadable: not also "missing"
            problems.append(
                problem("unreadable", display(rel), f"cannot hash: {exc.strerror or exc}")
            )
    recomputed = merkle_of((p, s, d) for p, (d, s) in disk.items())

    manifest: dict[str, Any] | None = None
    raw = b""
    try:
        raw = read_nofollow(os.path.join(run_dir, MANIFEST_NAME), MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        problems.append(problem("manifest_missing", MANIFEST_NAME, "manifest not found"))
    except TooLarge as exc:
        problems.append(problem("manifest_too_large", MANIFEST_NAME, f"{exc}; not read"))
    except OSError as exc:
        problems.append(
            problem("manifest_unreadable", MANIFEST_NAME, f"cannot read the manifest: {exc}")
        )
    else:
        manifest, bad = parse_run_manifest(raw, MANIFEST_NAME)
        problems.extend(bad)
    listed = 0
    signatures: list[dict[str, Any]] = []
    if manifest is not None:
        found, listed = check_manifest(manifest, raw, disk, other, recomputed)
        problems.extend(found)
    if has_signature:
        try:
            sig_raw = read_nofollow(os.path.join(run_dir, SIGNATURE_NAME), MAX_SIGNATURE_FILE)
        except OSError as exc:
            problems.append(problem("signature_unreadable", SIGNATURE_NAME, f"cannot read: {exc}"))
        else:
            status, bad = check_run_signature(
                sig_raw, SIGNATURE_NAME, manifest, raw, recomputed["payload_root"], keys
            )
            signatures.append(status)
            problems.extend(bad)
            if status["status"] == "untrusted":  # a run has one signature: it must be trusted
                problems.append(
                    problem(
                        "signature_untrusted_key",
                        SIGNATURE_NAME,
                        f"signed by {status['key_id']}, not a trusted key",
                    )
                )
    elif keys:
        problems.append(
            problem(
                "signature_missing",
                SIGNATURE_NAME,
                "trusted keys were given but the run has no signature",
            )
        )
    if LINEAGE_PATH in disk:
        try:
            problems.extend(
                lineage_problems(
                    read_nofollow(os.path.join(run_dir, LINEAGE_PATH), 1 << 62), LINEAGE_PATH
                )
            )
        except OSError as exc:
            problems.append(problem("lineage_unreadable", LINEAGE_PATH, f"cannot read: {exc}"))
    run_id = manifest.get("run_id") if manifest is not None else None
    return {
        "ok": not problems,
        "kind": "run",
        "path": os.fspath(run_dir),
        "run_id": run_id if isinstance(run_id, str) else None,
        "roots": recomputed,
        "counts": {"files_on_disk": len(files), "artifacts_listed": listed},
        "signatures": signatures,
        "problems": problems,
    }


# --------------------------------------------------------------------------------------------
# release bundles


RELEASE_FIELDS = frozenset(
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
MERKLE_FIELDS = frozenset(
    {"algorithm", "leaf", "payload_root", "payload_leaves", "all_root", "all_leaves"}
)
PROOF_FIELDS = frozenset(
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


def member(rel: str) -> str:
    return f"{BUNDLE_ROOT}/{rel}"


def inspect_members(
    infos: Sequence[tarfile.TarInfo],
) -> tuple[dict[str, tarfile.TarInfo], list[dict[str, str]]]:
    files: dict[str, tarfile.TarInfo] = {}
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for info in infos:
        name = info.name
        shown = display(name)
        if name in seen:
            problems.append(problem("duplicate_member", shown, "appears more than once"))
            continue
        seen.add(name)
        found: list[dict[str, str]] = []
        segments = name.split("/")
        if name.startswith("/"):
            found.append(problem("member_absolute_path", shown, "absolute path"))
        elif ".." in segments:
            found.append(problem("member_parent_segment", shown, "'..' segment"))
        elif not is_safe_relpath(name):
            found.append(problem("member_unsafe_path", shown, "not a safe relative UTF-8 path"))
        elif segments[0] != BUNDLE_ROOT or (len(segments) == 1 and not info.isdir()):
            found.append(problem("member_outside_bundle", shown, f"not under {BUNDLE_ROOT}/"))
        if info.type in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE):
            pass
        elif info.issym():
            found.append(
                problem("member_symlink", shown, f"symbolic link to {display(info.linkname)!r}")
            )
        elif info.islnk():
            found.append(
                problem("member_hardlink", shown, f"hard link to {display(info.linkname)!r}")
            )
        elif info.ischr() or info.isblk():
            found.append(problem("member_device", shown, "device node"))
        elif info.isfifo():
            found.append(problem("member_fifo", shown, "FIFO"))
        else:
            found.append(problem("member_unsupported_type", shown, f"member type {info.type!r}"))
        problems.extend(found)
        if not found and not info.isdir():
            files[name[len(BUNDLE_ROOT) + 1 :]] = info
    parents = {"/".join(rel.split("/")[:i]) for rel in files for i in range(1, rel.count("/") + 1)}
    for rel in sorted(files, key=utf8_key):
        if rel in parents:
            problems.append(
                problem("member_path_conflict", display(member(rel)), "a file used as a directory")
            )
    return files, problems


def release_shape(obj: Mapping[str, Any]) -> list[str]:
    errors = []
    if set(obj) != RELEASE_FIELDS:
        errors.append("fields are not exactly " + ", ".join(sorted(RELEASE_FIELDS)))
    if not isinstance(obj.get("run_id"), str):
        errors.append("run_id is not a string")
    if not is_hex64(obj.get("metadata_sha256")):
        errors.append("metadata_sha256 is not 64 lowercase hex digits")
    merkle = obj.get("merkle")
    if not isinstance(merkle, dict) or set(merkle) != MERKLE_FIELDS:
        errors.append("merkle is not an object with the six merkle fields")
    else:
        if merkle["algorithm"] != MERKLE_ALGORITHM or merkle["leaf"] != LEAF_ENCODING:
            errors.append("unknown merkle algorithm or leaf encoding")
        if not (is_hex64(merkle["payload_root"]) and is_hex64(merkle["all_root"])):
            errors.append("merkle roots are not 64 lowercase hex digits")
        if not (is_count(merkle["payload_leaves"]) and is_count(merkle["all_leaves"])):
            errors.append("merkle leaf counts are not non-negative integers")
    if obj.get("disclosure") not in ("full", "selective"):
        errors.append("disclosure is not 'full' or 'selective'")
    if not isinstance(obj.get("inclusion_proofs"), list):
        errors.append("inclusion_proofs is not a list")
    members = obj.get("members")
    if not isinstance(members, list):
        errors.append("members is not a list")
        return errors
    previous: bytes | None = None
    for i, m in enumerate(members):
        if not isinstance(m, dict) or set(m) != {"path", "size", "sha256"}:
            errors.append(f"members[{i}] is not an object with exactly path, size, sha256")
            continue
        if not is_safe_relpath(m["path"]) or not m["path"].startswith(RUN_PREFIX):
            errors.append(f"members[{i}].path is not a safe path under {RUN_PREFIX}")
            continue
        if not is_count(m["size"]):
            errors.append(f"members[{i}].size is not a non-negative integer")
        if not is_hex64(m["sha256"]):
            errors.append(f"members[{i}].sha256 is not 64 lowercase hex digits")
        key = m["path"].encode("utf-8")
        if previous is not None and key <= previous:
            errors.append(f"members[{i}]: members are not sorted and unique by path")
        previous = key
    return errors


def proof_shape(proof: object) -> str | None:
    if not isinstance(proof, dict):
        return "not a JSON object"
    if proof.get("schema_version") != PROOF_SCHEMA:
        return f"schema_version {proof.get('schema_version')!r} is not {PROOF_SCHEMA!r}"
    if set(proof) != PROOF_FIELDS:
        return "fields are not exactly " + ", ".join(sorted(PROOF_FIELDS))
    if (proof["algorithm"], proof["leaf"], proof["tree"]) != (
        MERKLE_ALGORITHM,
        LEAF_ENCODING,
        "payload",
    ):
        return "unknown algorithm, leaf encoding or tree"
    if not is_safe_relpath(proof["path"]):
        return "path is not a safe relative path"
    if not (
        is_count(proof["size"]) and is_count(proof["tree_size"]) and is_count(proof["leaf_index"])
    ):
        return "size, tree_size and leaf_index must be non-negative integers"
    if not (is_hex64(proof["sha256"]) and is_hex64(proof["root"])):
        return "sha256 and root must be 64 lowercase hex digits"
    if not isinstance(proof["audit_path"], list) or not all(
        is_hex64(h) for h in proof["audit_path"]
    ):
        return "audit_path must be a list of 64-digit lowercase hex hashes"
    return None


def check_proofs(
    proofs: Sequence[object],
    manifest: Mapping[str, Any],
    shipped: Mapping[str, tuple[str, int]],
    selective: bool,
) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    artifacts = manifest.get("artifacts")
    payload_paths = sorted(
        {
            a["path"]
            for a in (artifacts if isinstance(artifacts, list) else [])
            if isinstance(a, dict)
            and is_safe_relpath(a.get("path"))
            and classify(a["path"])[0] == "payload"
        },
        key=utf8_key,
    )
    index = {p: i for i, p in enumerate(payload_paths)}
    merkle = manifest.get("merkle")
    root = merkle.get("payload_root") if isinstance(merkle, dict) else None
    proved: set[str] = set()
    for i, proof in enumerate(proofs):
        error = proof_shape(proof)
        if error is not None:
            problems.append(
                problem("proof_invalid", member(RELEASE_NAME), f"inclusion_proofs[{i}]: {error}")
            )
            continue
        assert isinstance(proof, dict)
        path = proof["path"]
        shown = display(member(RUN_PREFIX + path))
        if path in proved:
            problems.append(problem("proof_invalid", shown, "more than one inclusion proof"))
            continue
        proved.add(path)
        if path not in shipped:
            problems.append(
                problem("proof_invalid", shown, "proof for a file the bundle does not hold")
            )
            continue
        digest, size = shipped[path]
        if (proof["sha256"], proof["size"]) != (digest, size):
            problems.append(
                problem("proof_invalid", shown, "proof names other bytes than the file's")
            )
        if not is_hex64(root):
            continue
        if path not in index:
            problems.append(
                problem("proof_invalid", shown, "not a payload artifact of the run manifest")
            )
            continue
        if proof["root"] != root:
            problems.append(
                problem("proof_root_mismatch", shown, f"proof root is not payload_root {root}")
            )
        if proof["leaf_index"] != index[path] or proof["tree_size"] != len(payload_paths):
            problems.append(
                problem(
                    "proof_index_mismatch",
                    shown,
                    f"the run manifest puts it at leaf {index[path]} of {len(payload_paths)}",
                )
            )
        computed = root_from_proof(
            leaf_hash(leaf_data(path, size, digest)),
            proof["leaf_index"],
            proof["tree_size"],
            [bytes.fromhex(h) for h in proof["audit_path"]],
        )
        if computed is None or computed.hex() != root:
            problems.append(
                problem(
                    "inclusion_proof_failed",
                    shown,
                    f"the file's leaf does not hash up to payload_root {root}",
                )
            )
    if selective:
        for path in sorted(shipped, key=utf8_key):
            if path not in proved:
                problems.append(
                    problem(
                        "proof_missing",
                        display(member(RUN_PREFIX + path)),
                        "selectively disclosed file without an inclusion proof",
                    )
                )
    return problems


def read_member(
    tar: tarfile.TarFile, info: tarfile.TarInfo, keep: bool
) -> tuple[str, int, bytes | None]:
    f = tar.extractfile(info)
    if f is None:
        raise Unreadable(f"{info.name}: cannot read member data")
    digest = hashlib.sha256()
    kept: list[bytes] = []
    size = 0
    while chunk := f.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if keep:
            kept.append(chunk)
    if size != info.size:
        raise Unreadable(f"{info.name}: member data ends early")
    return digest.hexdigest(), size, b"".join(kept) if keep else None


def run_problem(p: dict[str, str]) -> dict[str, str]:
    if p["path"].startswith("artifacts["):
        return problem(
            p["code"], member(RUN_PREFIX + MANIFEST_NAME), f"{p['path']}: {p['message']}"
        )
    return problem(p["code"], member(RUN_PREFIX + p["path"]), p["message"])


def check_bundle_members(
    tar: tarfile.TarFile, infos: Sequence[tarfile.TarInfo], keys: Keys, out: dict[str, Any]
) -> None:
    problems: list[dict[str, str]] = out["problems"]
    files, structural = inspect_members(infos)
    if structural:
        problems.extend(structural)
        return
    if RELEASE_NAME not in files:
        problems.append(
            problem("release_manifest_missing", member(RELEASE_NAME), "no release manifest")
        )
        return
    for rel in (RELEASE_NAME, RELEASE_SIGNATURE_NAME):
        if rel in files and files[rel].size > MAX_IN_MEMORY:
            problems.append(problem("member_too_large", member(rel), "too large"))
    if problems:
        return
    _, _, release_raw = read_member(tar, files[RELEASE_NAME], True)
    assert release_raw is not None
    where = member(RELEASE_NAME)
    try:
        release = strict_loads(release_raw)
    except (UnicodeDecodeError, ValueError) as exc:
        problems.append(problem("release_manifest_invalid_json", where, f"not valid JSON ({exc})"))
        return
    if not isinstance(release, dict):
        problems.append(problem("release_manifest_invalid", where, "not a JSON object"))
        return
    if release.get("schema_version") != RELEASE_SCHEMA:
        problems.append(
            problem(
                "release_manifest_unknown_schema",
                where,
                f"schema_version {release.get('schema_version')!r}",
            )
        )
        return
    errors = release_shape(release)
    if errors:
        problems.extend(problem("release_manifest_invalid", where, e) for e in errors)
        return
    if release_raw != canonical(release) + b"\n":
        problems.append(
            problem("release_manifest_not_canonical", where, "not canonical JSON plus one newline")
        )
    out["disclosure"] = release["disclosure"]
    out["run_id"] = release["run_id"]
    signatures: list[dict[str, Any]] = out["signatures"]
    if RELEASE_SIGNATURE_NAME in files:
        sig_where = member(RELEASE_SIGNATURE_NAME)
        _, _, sig_raw = read_member(tar, files[RELEASE_SIGNATURE_NAME], True)
        assert sig_raw is not None
        record, bad = parse_signature_file(
            sig_raw,
            sig_where,
            RELEASE_SIGNATURE_SCHEMA,
            RELEASE_SIGNATURE_FIELDS,
            RELEASE_NAME,
            ("signed_sha256",),
        )
        if record is None:
            assert bad is not None
            signatures.append({"member": sig_where, "key_id": None, "status": "invalid"})
            problems.append(bad)
        else:
            claims: list[dict[str, str]] = []
            if record["signed_sha256"] != hashlib.sha256(release_raw).hexdigest():
                claims.append(
                    problem(
                        "signature_mismatch",
                        sig_where,
                        "signed_sha256 is not the release manifest's sha256",
                    )
                )
            signatures.append(check_signature(sig_where, record, canonical(release), keys, claims))
            problems.extend(claims)

    declared = {m["path"]: m for m in release["members"]}
    present = {
        rel: info
        for rel, info in files.items()
        if rel not in (RELEASE_NAME, RELEASE_SIGNATURE_NAME)
    }
    unread: set[str] = set()
    for rel in sorted(present, key=utf8_key):
        if rel not in declared:
            problems.append(
                problem(
                    "unlisted_member", display(member(rel)), "not listed in the release manifest"
                )
            )
        elif present[rel].size != declared[rel]["size"]:
            problems.append(
                problem(
                    "member_size_mismatch",
                    display(member(rel)),
                    f"release manifest says {declared[rel]['size']} bytes, member has {present[rel].size}; not read",
                )
            )
            unread.add(rel)
    for rel in declared:
        if rel not in present:
            problems.append(
                problem("missing_member", member(rel), "listed in the release manifest but absent")
            )
    in_memory = {RUN_PREFIX + MANIFEST_NAME, RUN_PREFIX + SIGNATURE_NAME, RUN_PREFIX + LINEAGE_PATH}
    actual: dict[str, tuple[str, int]] = {}
    kept: dict[str, bytes] = {}
    too_large: set[str] = set()
    for info in infos:
        rel = info.name[len(BUNDLE_ROOT) + 1 :]
        if info.isdir() or rel not in present or rel in unread:
            continue
        keep = rel in in_memory and info.size <= MAX_IN_MEMORY
        if rel in in_memory and not keep:
            too_large.add(rel)
        digest, size, data = read_member(tar, info, keep)
        actual[rel] = (digest, size)
        if data is not None:
            kept[rel] = data
        if rel in declared and declared[rel]["sha256"] != digest:
            problems.append(
                problem(
                    "member_sha256_mismatch",
                    display(member(rel)),
                    f"release manifest says {declared[rel]['sha256']}, member hashes to {digest}",
                )
            )
    out["counts"] = {
        "members": len(present) + 1 + (RELEASE_SIGNATURE_NAME in files),
        "bytes_hashed": sum(s for _, s in actual.values()),
    }

    manifest_rel = RUN_PREFIX + MANIFEST_NAME
    if manifest_rel not in present:
        problems.append(
            problem("manifest_missing", member(manifest_rel), "the bundle has no run manifest")
        )
        return
    for rel in sorted(too_large):
        problems.append(problem("member_too_large", member(rel), "too large; not checked"))
    manifest_raw = kept.get(manifest_rel)
    if manifest_raw is None:
        return
    manifest, bad_manifest = parse_run_manifest(manifest_raw, member(manifest_rel))
    if manifest is None:
        problems.extend(bad_manifest)
        return
    run_id = manifest.get("run_id")
    out["run_id"] = run_id if isinstance(run_id, str) else None
    for name in ("run_id", "metadata_sha256", "merkle"):
        if release[name] != manifest.get(name):
            problems.append(
                problem("release_mismatch", where, f"{name} differs from the run manifest's")
            )

    excluded = {manifest_rel, RUN_PREFIX + SIGNATURE_NAME}
    shipped = {
        rel[len(RUN_PREFIX) :]: v
        for rel, v in actual.items()
        if rel.startswith(RUN_PREFIX) and rel not in excluded
    }
    other = {
        rel[len(RUN_PREFIX) :]
        for rel in present
        if rel.startswith(RUN_PREFIX) and rel not in excluded and rel not in actual
    }
    view = dict(shipped)
    selective = release["disclosure"] == "selective"
    artifacts = manifest.get("artifacts")
    if selective and isinstance(artifacts, list):
        for a in artifacts:
            if not isinstance(a, dict) or not isinstance(a.get("path"), str):
                continue
            path = a["path"]
            if path in view or path in other:
                continue
            if is_safe_relpath(path) and is_count(a.get("size")) and is_hex64(a.get("sha256")):
                view[path] = (a["sha256"], a["size"])
            else:
                other.add(path)
    recomputed = merkle_of((p, s, d) for p, (d, s) in view.items())
    out["roots"] = recomputed
    found, listed = check_manifest(manifest, manifest_raw, view, other, recomputed)
    problems.extend(run_problem(p) for p in found)
    out["counts"]["artifacts_listed"] = listed
    out["counts"]["artifacts_shipped"] = len(shipped)

    sig_rel = RUN_PREFIX + SIGNATURE_NAME
    if sig_rel in kept:
        status, sig_problems = check_run_signature(
            kept[sig_rel], member(sig_rel), manifest, manifest_raw, recomputed["payload_root"], keys
        )
        signatures.append(status)
        problems.extend(sig_problems)
    lineage = kept.get(RUN_PREFIX + LINEAGE_PATH)
    if lineage is not None:
        problems.extend(lineage_problems(lineage, member(RUN_PREFIX + LINEAGE_PATH)))
    problems.extend(check_proofs(release["inclusion_proofs"], manifest, shipped, selective))


def declared_sizes(raw: bytes) -> dict[str, int] | None:
    try:
        obj = strict_loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    members = obj.get("members") if isinstance(obj, dict) else None
    if not isinstance(members, list):
        return None
    return {
        m["path"]: m["size"]
        for m in members
        if isinstance(m, dict) and isinstance(m.get("path"), str) and is_count(m.get("size"))
    }


def read_headers(
    tar: tarfile.TarFile,
) -> tuple[list[tarfile.TarInfo], list[dict[str, str]] | None]:
    """Headers one by one, against the release manifest's claims as soon as it is read; stop
    before skipping over unclaimed content, or past more members than were declared."""
    infos: list[tarfile.TarInfo] = []
    declared: dict[str, int] | None = None
    limit = MAX_MEMBERS_BEFORE_RELEASE
    unclaimed = 0
    while True:
        info = tar.next()
        if info is None:
            return infos, None
        infos.append(info)
        if len(infos) > limit:
            what = (
                f"the {limit - MEMBER_SLACK} its release manifest declares"
                if declared is not None
                else f"{MAX_MEMBERS_BEFORE_RELEASE} without a release manifest"
            )
            return infos, [
                problem(
                    "too_many_members",
                    display(info.name),
                    f"more members than {what}; stopped reading at member {len(infos)}",
                )
            ]
        if not info.isreg():
            continue
        rel = info.name[len(BUNDLE_ROOT) + 1 :] if info.name.startswith(BUNDLE_ROOT + "/") else ""
        if declared is None and rel == RELEASE_NAME and info.size <= MAX_IN_MEMORY:
            f = tar.extractfile(info)
            declared = declared_sizes(f.read() if f is not None else b"")
            if declared is not None:
                names = [p for p in (*declared, RELEASE_NAME)]
                dirs = {
                    "/".join(n.split("/")[:i]) for n in names for i in range(1, n.count("/") + 1)
                }
                limit = len(infos) + len(declared) + len(dirs) + 1 + 2 + MEMBER_SLACK
            continue
        if declared is None:
            claimed = 0
        elif rel == RELEASE_SIGNATURE_NAME:
            claimed = info.size if info.size <= MAX_IN_MEMORY else 0
        else:
            claimed = min(info.size, declared.get(rel, 0))
        unclaimed += info.size - claimed
        if unclaimed > MAX_UNCLAIMED_BYTES:
            stop = problem(
                "bundle_read_stopped",
                display(info.name),
                f"more than {MAX_UNCLAIMED_BYTES} unclaimed member bytes: stopped reading, the "
                "content was not read",
            )
            if declared is not None and rel in declared:
                return infos, [
                    problem(
                        "member_size_mismatch",
                        display(info.name),
                        f"release manifest says {declared[rel]} bytes, member has {info.size}; "
                        "not read",
                    ),
                    stop,
                ]
            if declared is not None and rel != RELEASE_SIGNATURE_NAME:
                return infos, [
                    problem(
                        "unlisted_member", display(info.name), "not listed in the release manifest"
                    ),
                    stop,
                ]
            return infos, [stop]


def verify_bundle_file(path: Path, keys: Keys) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ok": False,
        "kind": "bundle",
        "path": os.fspath(path),
        "run_id": None,
        "disclosure": None,
        "roots": {},
        "counts": {},
        "signatures": [],
        "problems": [],
    }
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise Unreadable(f"cannot open {path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Unreadable(f"{path} is not a regular file (a bundle is a .tar.gz file)")
    with os.fdopen(fd, "rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            raise Unreadable(f"{path} is not gzip-compressed")
        raw.seek(0)
        try:
            with tarfile.open(
                fileobj=raw, mode="r:gz", encoding="utf-8", errors="surrogateescape"
            ) as tar:
                infos, stopped = read_headers(tar)
                if not infos:
                    raise Unreadable(f"{path} is an empty archive, not a bundle")
                if stopped is not None:
                    _, structural = inspect_members(infos)
                    out["problems"].extend(structural[:MEMBER_SLACK])
                    if len(structural) > MEMBER_SLACK:
                        out["problems"].append(
                            problem(
                                "too_many_problems",
                                member(""),
                                f"{len(structural) - MEMBER_SLACK} more member problems not listed",
                            )
                        )
                    out["problems"].extend(stopped)
                    out["counts"] = {"members": len(infos), "bytes_hashed": 0}
                else:
                    check_bundle_members(tar, infos, keys, out)
        except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
            raise Unreadable(
                f"{path} is not a readable gzip-compressed tar archive: {exc}"
            ) from None
    problems = out["problems"]
    signatures = out["signatures"]
    if keys and not any(s["status"] in ("valid", "invalid") for s in signatures):
        untrusted = [s for s in signatures if s["status"] == "untrusted"]
        if not untrusted:
            problems.append(
                problem(
                    "signature_missing",
                    member(RELEASE_SIGNATURE_NAME),
                    "trusted keys were given but the bundle carries no signature",
                )
            )
        for s in untrusted:
            problems.append(
                problem(
                    "signature_untrusted_key",
                    s["member"],
                    f"signed by {s['key_id']}, not a trusted key",
                )
            )
    out["ok"] = not problems
    return out


# --------------------------------------------------------------------------------------------
# certificates log (docs/evidence.md, "Certificates log" and "Signed head")

CERTIFICATE_SCHEMA = "omphalos.certificate/1"
HEAD_SCHEMA = "omphalos.certificates_head/1"
GENESIS = "0" * 64
CERT_FIELDS = frozenset(
    {
        "schema_version",
        "seq",
        "run_a",
        "run_b",
        "verdict",
        "report_sha256",
        "key_id",
        "algorithm",
        "issued_at",
        "prev_certificate_sha256",
        "signature",
    }
)
CERT_RUN_FIELDS = frozenset({"run_id", "payload_root", "metadata_sha256"})
HEAD_FIELDS = frozenset(
    {"schema_version", "size", "root", "issued_at", "key_id", "algorithm", "signature"}
)
KEY_ID = re.compile(r"ed25519:[0-9a-f]{64}")


def certificate_shape(obj: object) -> str | None:
    if not isinstance(obj, dict):
        return "not a JSON object"
    if set(obj) != CERT_FIELDS:
        return "fields are not exactly " + ", ".join(sorted(CERT_FIELDS))
    for side in ("run_a", "run_b"):
        ref = obj[side]
        if not isinstance(ref, dict) or set(ref) != CERT_RUN_FIELDS:
            return f"{side} must have exactly " + ", ".join(sorted(CERT_RUN_FIELDS))
        if not isinstance(ref["run_id"], str):
            return f"{side}.run_id is not a string"
        if not (is_hex64(ref["payload_root"]) and is_hex64(ref["metadata_sha256"])):
            return f"{side} digests are not 64 lowercase hex digits"
    if obj["verdict"] not in ("equivalent", "different"):
        return "verdict is not equivalent or different"
    if not is_hex64(obj["report_sha256"]):
        return "report_sha256 is not 64 lowercase hex digits"
    if not isinstance(obj["key_id"], str) or not KEY_ID.fullmatch(obj["key_id"]):
        return "key_id is not 'ed25519:' + 64 hex digits"
    if obj["algorithm"] != KEY_ALGORITHM:
        return f"algorithm is not {KEY_ALGORITHM!r}"
    if not isinstance(obj["issued_at"], str) or not RFC3339_UTC.fullmatch(obj["issued_at"]):
        return "issued_at is not an RFC 3339 UTC timestamp"
    if not isinstance(obj["signature"], str):
        return "signature is not a string"
    return None


def certificate_problem(
    line: bytes, n: int, prev: str, where: str, keys: Keys
) -> dict[str, str] | None:
    def bad(code: str, message: str) -> dict[str, str]:
        return problem(code, where, f"line {n}: {message}")

    try:
        obj = strict_loads(line)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return bad("certificate_bad_json", f"not a valid JSON certificate ({exc})")
    if isinstance(obj, dict) and obj.get("schema_version") != CERTIFICATE_SCHEMA:
        return bad("certificate_unknown_schema", f"schema_version {obj.get('schema_version')!r}")
    shape = certificate_shape(obj)
    if shape is not None:
        return bad("certificate_malformed", shape)
    assert isinstance(obj, dict)
    if not is_count(obj["seq"]) or obj["seq"] != n - 1:
        return bad("certificate_seq_gap", f"seq is {obj['seq']!r}, expected {n - 1}")
    if obj["prev_certificate_sha256"] != prev:
        return bad("certificate_prev_mismatch", f"does not link to the previous line's {prev}")
    try:
        if canonical(obj) != line:
            return bad("certificate_not_canonical", "line is not in canonical JSON form")
    except NotCanonical as exc:
        return bad("certificate_not_canonical", str(exc))
    if not keys:
        return None
    if obj["key_id"] not in keys.by_id:
        return bad("certificate_untrusted_key", f"signed by {obj['key_id']}, not a trusted key")
    sig = decode_signature(obj["signature"])
    body = {k: v for k, v in obj.items() if k != "signature"}
    if sig is None or not keys.verify(obj["key_id"], sig, canonical(body)):
        return bad("certificate_signature_invalid", "the signature does not verify")
    return None


def prefix_roots(lines: Sequence[bytes]) -> list[str]:
    """Root of every prefix (recomputed with the recursive definition of RFC 6962)."""
    hashes = [leaf_hash(line) for line in lines]
    return [mth(hashes[:k]).hex() for k in range(len(hashes) + 1)]


def parse_head(raw: bytes, where: str, keys: Keys) -> tuple[dict[str, Any] | None, str | None]:
    """(head, None) or (None, what is wrong); signature checked when keys are given."""
    try:
        obj = strict_loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"not a JSON head record ({exc})"
    if not isinstance(obj, dict) or obj.get("schema_version") != HEAD_SCHEMA:
        return None, f"not an {HEAD_SCHEMA} record"
    if set(obj) != HEAD_FIELDS:
        return None, "fields are not exactly " + ", ".join(sorted(HEAD_FIELDS))
    if not is_count(obj["size"]) or not is_hex64(obj["root"]):
        return None, "size is not a count or root is not 64 lowercase hex digits"
    try:
        if raw != canonical(obj) + b"\n":
            return None, "not canonical JSON plus one newline"
    except NotCanonical as exc:
        return None, str(exc)
    if keys:
        if obj["key_id"] not in keys.by_id:
            return None, f"signed by {obj['key_id']!r}, not a trusted key"
        sig = decode_signature(str(obj["signature"]))
        body = {k: v for k, v in obj.items() if k != "signature"}
        if sig is None or not keys.verify(str(obj["key_id"]), sig, canonical(body)):
            return None, "the head's signature does not verify"
    return obj, None


def against_head(
    lines: Sequence[bytes], roots: Sequence[str], size: int, root: str, where: str, what: str
) -> dict[str, str] | None:
    if size > len(lines):
        return problem(
            "certificates_truncated",
            where,
            f"{what} has {size} certificate(s), the log only {len(lines)}: entries were removed",
        )
    if roots[size] != root:
        return problem(
            "certificates_forked",
            where,
            f"the first {size} certificate(s) have root {roots[size]}, {what} says {root}",
        )
    return None


def head_file_of(log: Path) -> Path:
    name = log.name[: -len(".jsonl")] if log.name.endswith(".jsonl") else log.name
    return log.with_name(name + ".head.json")


def verify_certificates_file(log: Path, keys: Keys, pinned: str | None) -> dict[str, Any]:
    try:
        raw = read_nofollow(os.fspath(log), 1 << 40)
    except OSError as exc:
        raise Unreadable(f"cannot read the log {log}: {exc}") from None
    where = os.fspath(log)
    problems: list[dict[str, str]] = []
    parts = raw.split(b"\n")
    tail = parts.pop() if raw else b""
    lines = parts if raw else []
    prev = GENESIS
    checked = 0
    for i, line in enumerate(lines):
        found = certificate_problem(line, i + 1, prev, where, keys)
        if found is not None:
            problems.append(found)
            break
        prev = hashlib.sha256(line).hexdigest()
        checked += 1
    else:
        if tail:
            problems.append(
                problem(
                    "certificate_torn_line",
                    where,
                    f"line {len(lines) + 1}: last line has no newline (torn or truncated write)",
                )
            )
    roots = prefix_roots(lines)
    head: dict[str, Any] = {"size": len(lines), "root": roots[-1]}
    signed_path = head_file_of(log)
    signed: dict[str, Any] = {"file": os.fspath(signed_path), "status": "absent"}
    if os.path.lexists(signed_path):
        try:
            record, bad = parse_head(
                read_nofollow(os.fspath(signed_path), 64 * 1024), os.fspath(signed_path), keys
            )
        except OSError as exc:
            record, bad = None, f"cannot read: {exc}"
        if record is None:
            signed["status"] = "invalid"
            problems.append(problem("certificates_head_invalid", os.fspath(signed_path), f"{bad}"))
        else:
            signed.update(
                status="valid" if keys else "unchecked",
                size=record["size"],
                root=record["root"],
                issued_at=record["issued_at"],
                key_id=record["key_id"],
            )
            found = against_head(
                lines, roots, record["size"], record["root"], where, "the signed head"
            )
            if found is None and record["size"] < len(lines):
                found = problem(
                    "certificates_head_stale",
                    os.fspath(signed_path),
                    f"the signed head covers {record['size']} certificate(s), the log has "
                    f"{len(lines)}",
                )
            if found is not None:
                signed["status"] = "mismatch"
                problems.append(found)
    head["signed"] = signed
    if pinned is not None:
        if HEX64.fullmatch(pinned):
            size = roots.index(pinned) if pinned in roots else None
            head["pinned"] = {"root": pinned, "size": size}
            found = (
                None
                if size is not None
                else problem(
                    "certificates_head_mismatch",
                    where,
                    f"no prefix of the log has the pinned root {pinned}: truncated or forked",
                )
            )
        else:
            try:
                record, bad = parse_head(read_nofollow(pinned, 64 * 1024), pinned, keys)
            except OSError as exc:
                raise Unreadable(f"cannot read the head file {pinned}: {exc}") from None
            if record is None:
                raise Unreadable(f"{pinned}: {bad}")
            head["pinned"] = {"root": record["root"], "size": record["size"]}
            found = against_head(
                lines, roots, record["size"], record["root"], where, f"the pinned head {pinned}"
            )
        head["pinned"]["status"] = "consistent" if found is None else "mismatch"
        if found is not None:
            problems.append(found)
    return {
        "ok": not problems,
        "kind": "certificates",
        "path": where,
        "run_id": None,
        "certificates_verified": checked,
        "signatures_checked": bool(keys),
        "head": head,
        "problems": problems,
    }


# --------------------------------------------------------------------------------------------
# shared test vectors (contracts/test_vectors)


def check_vectors(directory: Path) -> dict[str, Any]:
    """Recompute every vector in ``directory``; a problem per disagreement."""
    problems: list[dict[str, str]] = []
    checked = 0

    def load(name: str) -> Any:
        try:
            return json.loads((directory / name).read_bytes())
        except (OSError, ValueError) as exc:
            raise Unreadable(f"cannot read {directory / name}: {exc}") from None

    rfc = load("merkle_rfc6962.json")
    leaves = [leaf_hash(bytes.fromhex(h)) for h in rfc["leaves"]]
    for n, want in rfc["roots"]["by_tree_size"].items():
        checked += 1
        if mth(leaves[: int(n)]).hex() != want:
            problems.append(problem("vector_root", "merkle_rfc6962.json", f"tree size {n}"))
    for case in rfc["inclusion_proofs"]["cases"]:
        checked += 2
        i, n = case["leaf_index"], case["tree_size"]
        proof = [bytes.fromhex(h) for h in case["proof"]]
        if [h.hex() for h in audit_path(leaves[:n], i)] != case["proof"]:
            problems.append(problem("vector_proof", "merkle_rfc6962.json", f"PATH({i}, {n})"))
        computed = root_from_proof(leaves[i], i, n, proof)
        if computed is None or computed.hex() != rfc["roots"]["by_tree_size"][str(n)]:
            problems.append(problem("vector_proof", "merkle_rfc6962.json", f"verify({i}, {n})"))
    for case in rfc["hasher"]["leaf_hashes"]:
        checked += 1
        if leaf_hash(bytes.fromhex(case["data"])).hex() != case["hash"]:
            problems.append(problem("vector_leaf_hash", "merkle_rfc6962.json", case["data"]))
    for case in rfc["hasher"]["node_hashes"]:
        checked += 1
        if (
            node_hash(bytes.fromhex(case["left"]), bytes.fromhex(case["right"])).hex()
            != case["hash"]
        ):
            problems.append(problem("vector_node_hash", "merkle_rfc6962.json", case["left"]))

    leaf = load("omphalos_leaf.json")
    for case in leaf["cases"]:
        checked += 1
        data = leaf_data(case["path"], case["size"], case["sha256"])
        if data.hex() != case["leaf_data"] or leaf_hash(data).hex() != case["leaf_hash"]:
            problems.append(problem("vector_leaf", "omphalos_leaf.json", case["path"]))
    for case in leaf["invalid"]:
        checked += 1
        try:
            leaf_data(case["path"], case["size"], case["sha256"])
        except ValueError:
            continue
        problems.append(problem("vector_leaf_invalid", "omphalos_leaf.json", repr(case["path"])))
    for t, tree in enumerate(leaf["trees"]):
        checked += 1
        entries = [(a["path"], a["size"], a["sha256"]) for a in tree["artifacts"]]
        got = merkle_of(entries)
        for name in ("payload_root", "payload_leaves", "all_root", "all_leaves"):
            if got[name] != tree[name]:
                problems.append(problem("vector_tree", "omphalos_leaf.json", f"trees[{t}].{name}"))
        ordered = sorted(entries, key=lambda e: utf8_key(e[0]))
        payload = [leaf_hash(leaf_data(*e)) for e in ordered if classify(e[0])[0] == "payload"]
        for proof in tree["inclusion_proofs"]:
            checked += 1
            i = proof["leaf_index"]
            if [h.hex() for h in audit_path(payload, i)] != proof["audit_path"]:
                problems.append(problem("vector_tree_proof", "omphalos_leaf.json", proof["path"]))

    canon = load("canonical_json.json")
    for case in canon["cases"]:
        checked += 1
        value = strict_loads(case["json"].encode("utf-8"))
        data = canonical(value)
        if (
            data.decode("utf-8") != case["canonical"]
            or hashlib.sha256(data).hexdigest() != case["sha256"]
        ):
            problems.append(problem("vector_canonical", "canonical_json.json", case["json"]))
    for case in canon["rejected"]:
        checked += 1
        try:
            strict_loads(case["json"].encode("utf-8"))
        except ValueError:
            continue
        problems.append(problem("vector_rejected", "canonical_json.json", case["json"]))
    return {
        "ok": not problems,
        "kind": "vectors",
        "path": os.fspath(directory),
        "checked": checked,
        "problems": problems,
    }


# --------------------------------------------------------------------------------------------
# command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="omphalos_verify_standalone",
        description="Independent verifier for omphalOS runs and release bundles (stdlib only).",
    )
    sub = parser.add_subparsers(dest="what", required=True)
    for name, help_text in (
        ("run", "a sealed run directory"),
        ("bundle", "a release bundle (.tar.gz)"),
    ):
        p = sub.add_parser(name, help=f"verify {help_text}")
        p.add_argument("path", type=Path)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument(
            "--trusted-key",
            action="append",
            type=Path,
            default=[],
            metavar="FILE",
            help="a trusted public key (NAME.pub or PEM); needs 'cryptography'",
        )
    p = sub.add_parser("certificates", help="verify a certificates log and its signed head")
    p.add_argument("path", type=Path)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--head", default=None, metavar="HASH|FILE", help="a pinned head")
    p.add_argument(
        "--trusted-key",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a trusted public key; needs 'cryptography' (without: links and heads only)",
    )
    p = sub.add_parser("vectors", help="check the shared test vectors")
    p.add_argument(
        "path",
        type=Path,
        nargs="?",
        default=Path(__file__).resolve().parent.parent / "contracts" / "test_vectors",
    )
    p.add_argument("--json", action="store_true")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.what == "vectors":
            result = check_vectors(args.path)
        else:
            keys = load_keys(args.trusted_key)
            if args.what == "run":
                result = verify_run_dir(args.path, keys)
            elif args.what == "certificates":
                result = verify_certificates_file(args.path, keys, args.head)
            else:
                result = verify_bundle_file(args.path, keys)
    except Unreadable as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": str(exc)}, sort_keys=True))
        print(f"omphalos_verify_standalone: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, sort_keys=True, ensure_ascii=False))
    elif result["ok"]:
        if result["kind"] == "certificates":
            head = result["head"]
            extra = (
                f"{result['certificates_verified']} certificate(s) head size={head['size']} "
                f"root={head['root']} signed_head={head['signed']['status']}"
                + ("" if result["signatures_checked"] else " (signatures not checked)")
            )
        else:
            extra = (
                result.get("roots", {}).get("payload_root") or f"{result.get('checked')} vectors"
            )
        statuses = ", ".join(f"{s['member']}: {s['status']}" for s in result.get("signatures", []))
        run_id = f" {result['run_id']}" if result.get("run_id") else ""
        print(
            f"OK {result['kind']}{run_id} {result['path']} {extra}"
            + (f" signatures: {statuses}" if statuses else "")
        )
    else:
        for p in result["problems"]:
            print(f"[{p['code']}] {p['path']}: {p['message']}")
        print(f"omphalos_verify_standalone: {len(result['problems'])} problem(s)", file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
