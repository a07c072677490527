"""Canonical JSON, atomic writes, streaming file hashes and safe relative paths.

See docs/formats.md, "Canonical JSON" and "Run manifest".
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
from pathlib import Path

from omphalos.errors import OmphalosError

__all__ = [
    "CanonicalJSONError",
    "canonical_bytes",
    "fsync_dir",
    "is_safe_relpath",
    "loads_strict",
    "sha256_bytes",
    "sha256_file",
    "write_bytes_atomic",
    "write_canonical_json",
]

HASH_CHUNK = 4 * 1024 * 1024


class CanonicalJSONError(OmphalosError, ValueError):
    """The value cannot be written as canonical evidence JSON."""


def _check(obj: object, where: str) -> None:
    if obj is None or isinstance(obj, bool | int | str):
        if isinstance(obj, str):
            try:
                obj.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise CanonicalJSONError(
                    f"{where}: string is not valid Unicode text ({exc.reason})"
                ) from None
        return
    if isinstance(obj, float):
        raise CanonicalJSONError(
            f"{where}: float {obj!r} is not allowed in evidence records; "
            "write non-integer numbers as strings"
        )
    if isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            _check(item, f"{where}[{i}]")
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"{where}: object key {key!r} is not a string")
            _check(key, f"{where}.<key>")
            _check(value, f"{where}.{key}")
        return
    raise CanonicalJSONError(f"{where}: type {type(obj).__name__} is not a JSON value")


def canonical_bytes(obj: object) -> bytes:
    """omphalos canonical JSON (docs/formats.md, "Canonical JSON"): keys in code point order,
    no whitespace, integers only, minimal escapes, UTF-8."""
    _check(obj, "$")
    text = json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _reject_constant(name: str) -> object:
    raise CanonicalJSONError(f"non-finite number {name} is not allowed")


def _reject_float(text: str) -> object:
    raise CanonicalJSONError(
        f"float {text} is not allowed (numbers that are not integers are written as strings)"
    )


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise CanonicalJSONError(f"duplicate object key {key!r}")
        out[key] = value
    return out


def loads_strict(text: str | bytes) -> object:
    """Parse evidence JSON (bytes must be UTF-8): floats, NaN/Infinity and duplicate keys raise
    ``ValueError``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return json.loads(
        text,
        parse_float=_reject_float,
        parse_constant=_reject_constant,
        object_pairs_hook=_no_duplicate_keys,
    )


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_canonical_json(path: Path | str, obj: object) -> None:
    """Write canonical bytes + ``\\n`` atomically (temp file in the same directory, fsync, replace)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(Path(path), canonical_bytes(obj) + b"\n")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    directory = path.parent
    tmp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(directory)


def fsync_dir(directory: Path) -> None:
    """Best-effort fsync of a directory so a rename or a new file survives a crash."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def sha256_file(path: Path | str, *, follow_symlinks: bool = True) -> tuple[str, int]:
    """Return (lowercase hex sha256, size in bytes) of a regular file, streamed in 4 MiB chunks.

    With ``follow_symlinks=False`` a symlink is refused (``O_NOFOLLOW``). Anything that is not
    a regular file once opened (FIFO, device, directory) raises ``OSError``.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{os.fspath(path)}: not a regular file")
        digest = hashlib.sha256()
        buf = bytearray(HASH_CHUNK)
        view = memoryview(buf)
        size = 0
        while True:
            n = os.readv(fd, [buf])
            if n == 0:
                break
            digest.update(view[:n])
            size += n
        view.release()
        return digest.hexdigest(), size
    finally:
        os.close(fd)


def is_safe_relpath(p: str) -> bool:
    """A relative POSIX path inside a run: no leading ``/``, no ``.``/``..``/empty segments,
    no backslash, no NUL, and encodable as UTF-8."""
    if not isinstance(p, str) or not p or p.startswith("/") or "\\" in p or "\x00" in p:
        return False
    try:
        p.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return all(seg not in ("", ".", "..") for seg in p.split("/"))
