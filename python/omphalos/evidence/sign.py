"""Detached Ed25519 signatures of sealed runs (``run_manifest.sig.json``).

See docs/evidence.md, "Run signature". The signature covers the canonical bytes of a small
signing-input object binding the manifest file's sha256, its ``metadata_sha256``, the payload
Merkle root and the run id. Verification recomputes all of these from the files on disk and uses
only public keys the user supplied.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omphalos.errors import EXIT_FAILED, OmphalosError
from omphalos.evidence.canonical import (
    CanonicalJSONError,
    canonical_bytes,
    fsync_dir,
    loads_strict,
    sha256_bytes,
)
from omphalos.evidence.keys import (
    ALGORITHM,
    SigningKey,
    TrustedKey,
)
from omphalos.evidence.manifest import (
    MANIFEST_NAME,
    ManifestError,
    compute_metadata_sha256,
    read_manifest,
)
from omphalos.evidence.problems import Problem

__all__ = [
    "SIGNATURE_NAME",
    "SIGNATURE_SCHEMA",
    "SIGNING_INPUT_SCHEMA",
    "AlreadySignedError",
    "RunNotVerifiedError",
    "SignatureCheck",
    "SignatureError",
    "check_run_signature",
    "parse_signature",
    "signing_input",
    "write_run_signature",
]

SIGNATURE_NAME = "run_manifest.sig.json"
SIGNATURE_SCHEMA = "omphalos.signature/1"
SIGNING_INPUT_SCHEMA = "omphalos.signature_input/1"
_FIELDS = frozenset(
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
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_SIG_FILE = 64 * 1024


class SignatureError(OmphalosError, RuntimeError):
    """A run cannot be signed (not sealed, stale manifest, already signed)."""


class AlreadySignedError(SignatureError):
    """The run already has a signature file; it is never overwritten."""


class RunNotVerifiedError(SignatureError):
    """The run does not verify from disk, so it is not signed."""

    exit_code = EXIT_FAILED


def signing_input(
    run_id: str, signed_sha256: str, metadata_sha256: str, payload_root: str
) -> bytes:
    """The exact bytes that are signed: canonical JSON of the signing-input object."""
    return canonical_bytes(
        {
            "schema_version": SIGNING_INPUT_SCHEMA,
            "run_id": run_id,
            "signed_sha256": signed_sha256,
            "metadata_sha256": metadata_sha256,
            "payload_root": payload_root,
        }
    )


def _signature_record(key: SigningKey, manifest: Mapping[str, Any], raw: bytes) -> dict[str, str]:
    run_id = manifest.get("run_id")
    meta = manifest.get("metadata_sha256")
    merkle = manifest.get("merkle")
    root = merkle.get("payload_root") if isinstance(merkle, dict) else None
    if not (isinstance(run_id, str) and isinstance(meta, str) and isinstance(root, str)):
        raise SignatureError("the manifest lacks run_id, metadata_sha256 or merkle.payload_root")
    if meta != compute_metadata_sha256(manifest):
        raise SignatureError("the manifest's metadata_sha256 is stale; refusing to sign it")
    signed_sha256 = sha256_bytes(raw)
    message = signing_input(run_id, signed_sha256, meta, root)
    return {
        "schema_version": SIGNATURE_SCHEMA,
        "algorithm": ALGORITHM,
        "key_id": key.key_id,
        "signed": MANIFEST_NAME,
        "signed_sha256": signed_sha256,
        "metadata_sha256": meta,
        "payload_root": root,
        "run_id": run_id,
        "signature": base64.b64encode(key.sign(message)).decode("ascii"),
    }


def write_run_signature(
    run_dir: Path, key: SigningKey, *, manifest: Mapping[str, Any] | None = None
) -> Path:
    """Sign ``run_dir/run_manifest.json`` as it is on disk (or, with ``manifest``, the manifest
    about to be written there: its canonical bytes plus a newline); create the signature file
    exclusively.

    Does not re-verify the run (``sign_run`` does); meant for a run sealed a moment ago."""
    if manifest is not None:
        raw = canonical_bytes(manifest) + b"\n"
    else:
        try:
            manifest, raw = read_manifest(run_dir / MANIFEST_NAME)
        except ManifestError as exc:
            raise SignatureError(f"cannot sign: {exc}") from None
    record = _signature_record(key, manifest, raw)
    target = run_dir / SIGNATURE_NAME
    tmp = run_dir / f".{SIGNATURE_NAME}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(canonical_bytes(record) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, target)  # fails if a signature already exists: never overwritten
        except FileExistsError:
            raise AlreadySignedError(
                f"{target} already exists; the run is already signed (not overwritten)"
            ) from None
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(run_dir)
    return target


# ---------------------------------------------------------------------------------------------
# checking


@dataclass
class SignatureCheck:
    """The outcome for a run's signature: ``status`` is ``absent``, ``unchecked`` (present, no
    trusted key given), ``valid`` or ``invalid``."""

    status: str
    key_id: str | None = None
    signer: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"status": self.status, "key_id": self.key_id, "signer": self.signer}


def _read_signature_file(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file")
        if st.st_size > _MAX_SIG_FILE:
            raise OSError(f"{st.st_size} bytes is too large for a signature file")
        return os.read(fd, _MAX_SIG_FILE + 1)
    finally:
        os.close(fd)


def parse_signature(raw: bytes) -> tuple[dict[str, str] | None, Problem | None]:
    """Parse and shape-check a run signature file; exactly one of the pair is None."""
    return parse_signature_record(
        raw,
        where=SIGNATURE_NAME,
        schema=SIGNATURE_SCHEMA,
        fields=_FIELDS,
        signed_name=MANIFEST_NAME,
        hex_fields=("signed_sha256", "metadata_sha256", "payload_root"),
    )


def parse_signature_record(
    raw: bytes,
    *,
    where: str,
    schema: str,
    fields: frozenset[str] | set[str],
    signed_name: str,
    hex_fields: tuple[str, ...],
) -> tuple[dict[str, str] | None, Problem | None]:
    """Shape-check any detached signature record (run or release): schema version, exact field
    set, string values, canonical bytes, algorithm, the file it signs, hex digests."""

    def bad(code: str, message: str) -> tuple[None, Problem]:
        return None, Problem(code, where, message)

    try:
        obj = loads_strict(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        return bad("signature_malformed", f"not valid JSON ({exc})")
    if not isinstance(obj, dict):
        return bad("signature_malformed", "not a JSON object")
    if obj.get("schema_version") != schema:
        return bad(
            "signature_unknown_schema",
            f"schema_version {obj.get('schema_version')!r}; this reader knows only {schema!r}",
        )
    if set(obj) != set(fields):
        return bad(
            "signature_malformed",
            f"fields missing {sorted(set(fields) - set(obj))}, unexpected {sorted(set(obj) - set(fields))}",
        )
    if not all(isinstance(v, str) for v in obj.values()):
        return bad("signature_malformed", "every field must be a string")
    try:
        if raw != canonical_bytes(obj) + b"\n":
            return bad(
                "signature_malformed",
                "file is not the canonical JSON bytes of its content plus one newline",
            )
    except CanonicalJSONError as exc:
        return bad("signature_malformed", str(exc))
    if obj["algorithm"] != ALGORITHM:
        return bad("signature_malformed", f"algorithm {obj['algorithm']!r} is not {ALGORITHM!r}")
    if obj["signed"] != signed_name:
        return bad("signature_malformed", f"signs {obj['signed']!r}, not {signed_name!r}")
    for name in hex_fields:
        if not _HEX64.fullmatch(obj[name]):
            return bad("signature_malformed", f"{name} is not 64 lowercase hex digits")
    return {k: str(v) for k, v in obj.items()}, None


def _decode_signature(value: str) -> bytes | None:
    try:
        sig = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return sig if len(sig) == 64 else None


def check_run_signature(
    run_dir: Path,
    *,
    present: bool,
    manifest: Mapping[str, Any] | None,
    manifest_raw: bytes | None,
    payload_root: str,
    trusted: Mapping[str, TrustedKey] | None,
) -> tuple[SignatureCheck, list[Problem]]:
    """Check ``run_manifest.sig.json`` against values recomputed from disk.

    ``present``: a regular signature file exists (verify's walk decides; symlinks etc. are
    reported there). ``payload_root`` is the root recomputed from the files on disk. With no
    trusted keys the claims are still recomputed, but the signature is reported ``unchecked``."""
    problems: list[Problem] = []
    if not present:
        if trusted:
            problems.append(
                Problem(
                    "signature_missing",
                    SIGNATURE_NAME,
                    "trusted keys were given but the run has no signature file",
                )
            )
        return SignatureCheck("absent"), problems
    try:
        raw = _read_signature_file(run_dir / SIGNATURE_NAME)
    except OSError as exc:
        problems.append(Problem("signature_unreadable", SIGNATURE_NAME, f"cannot read: {exc}"))
        return SignatureCheck("invalid"), problems
    record, problem = parse_signature(raw)
    if record is None:
        assert problem is not None
        return SignatureCheck("invalid"), [problem]
    key_id = record["key_id"]
    check = SignatureCheck("unchecked", key_id=key_id)
    if manifest is None or manifest_raw is None:
        return SignatureCheck("invalid", key_id=key_id), problems  # manifest problem reported

    actual = {
        "signed_sha256": hashlib.sha256(manifest_raw).hexdigest(),
        "payload_root": payload_root,
        "run_id": manifest.get("run_id"),
    }
    try:
        actual["metadata_sha256"] = compute_metadata_sha256(manifest)
    except CanonicalJSONError:
        actual["metadata_sha256"] = None
    for name in ("signed_sha256", "metadata_sha256", "payload_root", "run_id"):
        if record[name] != actual[name]:
            problems.append(
                Problem(
                    "signature_mismatch",
                    SIGNATURE_NAME,
                    f"signature file says {name} {record[name]!r}, the run on disk gives "
                    f"{actual[name]!r}: the run changed after it was signed",
                )
            )
    if not trusted:
        return (SignatureCheck("invalid", key_id=key_id) if problems else check), problems

    key = trusted.get(key_id)
    if key is None:
        problems.append(
            Problem(
                "signature_untrusted_key",
                SIGNATURE_NAME,
                f"signed by {key_id}, which is not among the {len(trusted)} trusted key(s) given",
            )
        )
        return SignatureCheck("invalid", key_id=key_id), problems
    sig = _decode_signature(record["signature"])
    run_id = actual["run_id"]
    meta = actual["metadata_sha256"]
    if sig is None or not isinstance(run_id, str) or not isinstance(meta, str):
        if sig is None:
            problems.append(
                Problem(
                    "signature_malformed", SIGNATURE_NAME, "signature is not 64 bytes of base64"
                )
            )
        return SignatureCheck("invalid", key_id=key_id, signer=key.name), problems
    # The message is rebuilt from the recomputed values, never from the signature file's claims.
    message = signing_input(run_id, str(actual["signed_sha256"]), meta, payload_root)
    if not key.verify(sig, message):
        problems.append(
            Problem(
                "signature_invalid",
                SIGNATURE_NAME,
                f"the Ed25519 signature does not verify under trusted key {key_id} "
                f"({key.name or key.source}) for this manifest and payload",
            )
        )
    status = "invalid" if problems else "valid"
    return SignatureCheck(status, key_id=key_id, signer=key.name), problems
