"""Ed25519 signing keys: generation, loading, key ids, and the user's trusted public keys.

See docs/evidence.md, "Keys". A private key is a PKCS#8 PEM file with mode 0600, created with
``O_EXCL`` (never overwritten), by default outside any repository. A public key file is a small
canonical JSON record. Trusted keys come only from files the user names (``--trusted-key``,
``--trust-file``); there are no default keys, and a key shipped with the evidence is never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from omphalos.errors import OmphalosError
from omphalos.evidence.canonical import canonical_bytes, fsync_dir, loads_strict

__all__ = [
    "ALGORITHM",
    "PUBLIC_KEY_SCHEMA",
    "TRUST_SCHEMA",
    "KeyFileError",
    "SigningKey",
    "TrustedKey",
    "default_key_dir",
    "generate_keypair",
    "key_id_for",
    "load_public_key_file",
    "load_signing_key",
    "load_trust_file",
    "load_trusted_keys",
]

ALGORITHM = "ed25519"
PUBLIC_KEY_SCHEMA = "omphalos.public_key/1"
TRUST_SCHEMA = "omphalos.trust/1"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KEY_ID_RE = re.compile(r"ed25519:[0-9a-f]{64}")
_MAX_KEY_FILE = 64 * 1024


class KeyFileError(OmphalosError, ValueError):
    """A key or trust file cannot be created, read or used."""


def key_id_for(public_raw: bytes) -> str:
    """``"ed25519:" + sha256(raw 32-byte public key)`` in lowercase hex (all 64 digits)."""
    if len(public_raw) != 32:
        raise KeyFileError(f"an Ed25519 public key has 32 bytes, not {len(public_raw)}")
    return "ed25519:" + hashlib.sha256(public_raw).hexdigest()


def _raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class TrustedKey:
    """A public key the user chose to trust; ``key_id`` is recomputed from the key itself."""

    key_id: str
    name: str
    public: Ed25519PublicKey
    source: str

    @classmethod
    def from_raw(cls, raw: bytes, name: str, source: str) -> TrustedKey:
        try:
            public = Ed25519PublicKey.from_public_bytes(raw)
        except ValueError as exc:
            raise KeyFileError(f"{source}: not an Ed25519 public key ({exc})") from None
        return cls(key_id_for(raw), name, public, source)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @property
    def public_b64(self) -> str:
        return base64.b64encode(_raw_public(self.public)).decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """A loaded private key and its public key id."""

    key_id: str
    private: Ed25519PrivateKey
    source: str

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    @property
    def public_raw(self) -> bytes:
        return _raw_public(self.private.public_key())


# ---------------------------------------------------------------------------------------------
# generation


def default_key_dir() -> Path:
    """``$XDG_CONFIG_HOME/omphalos/keys``, else ``~/.config/omphalos/keys``."""
    base = os.environ.get("XDG_CONFIG_HOME")
    root = Path(base) if base else Path.home() / ".config"
    return root / "omphalos" / "keys"


def git_work_tree_of(directory: Path) -> Path | None:
    """The nearest ancestor of ``directory`` (or itself) holding ``.git``, if any."""
    here = directory.resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def public_key_record(key_id: str, name: str, public_raw: bytes) -> dict[str, str]:
    return {
        "schema_version": PUBLIC_KEY_SCHEMA,
        "algorithm": ALGORITHM,
        "key_id": key_id,
        "name": name,
        "public_key": base64.b64encode(public_raw).decode("ascii"),
    }


def _create_exclusive(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` (O_EXCL: never overwrite), write, fsync."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, mode)
    try:
        os.fchmod(fd, mode)  # independent of the umask
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def generate_keypair(
    name: str, directory: Path | None = None, *, allow_in_repo: bool = False
) -> tuple[Path, Path, str]:
    """Write ``NAME.key`` (PKCS#8 PEM, 0600) and ``NAME.pub`` (JSON); return (key, pub, key_id).

    Refuses to overwrite either file, and refuses a directory inside a git work tree unless
    ``allow_in_repo``."""
    if not _NAME_RE.fullmatch(name):
        raise KeyFileError(
            f"key name {name!r} must be 1-64 characters of letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    directory = directory if directory is not None else default_key_dir()
    repo = git_work_tree_of(directory)
    if repo is not None and not allow_in_repo:
        raise KeyFileError(
            f"{directory} is inside the git work tree {repo}; private keys do not belong in a "
            "repository (choose --dir outside it, or pass --allow-in-repo)"
        )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _refuse_open_directory(directory, "keys generate")
    key_path = directory / f"{name}.key"
    pub_path = directory / f"{name}.pub"
    for p in (key_path, pub_path):
        if os.path.lexists(p):
            raise KeyFileError(f"{p} already exists; refusing to overwrite a key")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_raw = _raw_public(private.public_key())
    key_id = key_id_for(public_raw)
    try:
        _create_exclusive(key_path, pem, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{key_path} already exists; refusing to overwrite a key") from None
    try:
        record = public_key_record(key_id, name, public_raw)
        _create_exclusive(pub_path, canonical_bytes(record) + b"\n", 0o644)
    except FileExistsError:
        key_path.unlink()
        raise KeyFileError(f"{pub_path} already exists; refusing to overwrite a key") from None
    fsync_dir(directory)
    return key_path, pub_path, key_id


# ---------------------------------------------------------------------------------------------
# loading


def _read_small(path: Path, what: str) -> tuple[bytes, int]:
    """Read a key-sized regular file without following symlinks; return (bytes, st_mode)."""
    try:
        fd = os.open(
            path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        )
    except FileNotFoundError:
        raise KeyFileError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"cannot open {what} {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyFileError(f"{what} {path} is not a regular file")
        if st.st_size > _MAX_KEY_FILE:
            raise KeyFileError(f"{what} {path} is too large to be a key file")
        data = os.read(fd, _MAX_KEY_FILE + 1)
    finally:
        os.close(fd)
    return data, st.st_mode


def _refuse_open_directory(directory: Path, what: str) -> None:
    """A directory that anyone may write to (world-writable, no sticky bit) lets anyone replace
    a key file in it: refused."""
    try:
        st = os.stat(directory)
    except OSError:
        return  # reported when the key itself is opened or created
    if st.st_mode & stat.S_IWOTH and not st.st_mode & stat.S_ISVTX:
        raise KeyFileError(
            f"{what}: the directory {directory} is writable by anyone (mode "
            f"{stat.filemode(st.st_mode)}), so anyone could replace a key in it; run "
            f"chmod 700 {directory}"
        )


def load_signing_key(path: Path) -> SigningKey:
    """Load an Ed25519 PKCS#8 PEM private key; refuse one that others can read, or one in a
    directory that anyone may write to."""
    _refuse_open_directory(path.parent, f"signing key {path}")
    data, mode = _read_small(path, "signing key")
    if mode & 0o077:
        raise KeyFileError(
            f"signing key {path} has mode {stat.filemode(mode)}: others can read it; "
            f"run chmod 600 {path}"
        )
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return SigningKey(key_id_for(_raw_public(private.public_key())), private, os.fspath(path))


def _b64_public(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise KeyFileError(f"{where}: public_key is not a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{where}: public_key is not valid base64") from None
    if len(raw) != 32:
        raise KeyFileError(f"{where}: public_key has {len(raw)} bytes; Ed25519 keys have 32")
    return raw


def _key_from_record(rec: Mapping[str, object], where: str, source: str) -> TrustedKey:
    raw = _b64_public(rec.get("public_key"), where)
    name = rec.get("name", "")
    if not isinstance(name, str):
        raise KeyFileError(f"{where}: name is not a string")
    key = TrustedKey.from_raw(raw, name, source)
    claimed = rec.get("key_id")
    if claimed is not None and claimed != key.key_id:
        raise KeyFileError(
            f"{where}: key_id {claimed!r} does not match the public key (which gives {key.key_id})"
        )
    return key


def load_public_key_file(path: Path) -> TrustedKey:
    """A ``NAME.pub`` JSON record (docs/evidence.md) or a PEM ``PUBLIC KEY``."""
    data, _ = _read_small(path, "public key")
    src = os.fspath(path)
    if b"PRIVATE KEY" in data:
        raise KeyFileError(
            f"{path} is a private key; pass the public key file (NAME.pub) to verification"
        )
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            public = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise KeyFileError(f"{path}: not a PEM public key ({exc})") from None
        if not isinstance(public, Ed25519PublicKey):
            raise KeyFileError(f"{path} is not an Ed25519 public key")
        return TrustedKey.from_raw(_raw_public(public), path.stem, src)
    try:
        obj = loads_strict(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise KeyFileError(f"{path}: not a public key record or PEM public key ({exc})") from None
    if not isinstance(obj, dict):
        raise KeyFileError(f"{path}: a public key record is a JSON object")
    if obj.get("schema_version") != PUBLIC_KEY_SCHEMA:
        raise KeyFileError(
            f"{path}: unknown schema_version {obj.get('schema_version')!r}; "
            f"expected {PUBLIC_KEY_SCHEMA!r}"
        )
    if obj.get("algorithm") != ALGORITHM:
        raise KeyFileError(f"{path}: algorithm {obj.get('algorithm')!r} is not {ALGORITHM!r}")
    if "key_id" not in obj:
        raise KeyFileError(f"{path}: key_id is missing")
    return _key_from_record(obj, os.fspath(path), src)


def load_trust_file(path: Path) -> list[TrustedKey]:
    """``{"schema_version": "omphalos.trust/1", "keys": [{key_id, public_key, name}, ...]}``."""
    data, _ = _read_small(path, "trust file")
    try:
        obj = loads_strict(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise KeyFileError(f"trust file {path}: not valid JSON ({exc})") from None
    if not isinstance(obj, dict) or obj.get("schema_version") != TRUST_SCHEMA:
        version = obj.get("schema_version") if isinstance(obj, dict) else None
        raise KeyFileError(
            f"trust file {path}: unknown schema_version {version!r}; expected {TRUST_SCHEMA!r}"
        )
    keys = obj.get("keys")
    if not isinstance(keys, list) or not keys:
        raise KeyFileError(f"trust file {path}: 'keys' must be a non-empty list")
    out: list[TrustedKey] = []
    for i, rec in enumerate(keys):
        where = f"trust file {path}: keys[{i}]"
        if not isinstance(rec, dict):
            raise KeyFileError(f"{where}: not an object")
        if not isinstance(rec.get("key_id"), str):
            raise KeyFileError(f"{where}: key_id is missing")
        if rec.get("algorithm", ALGORITHM) != ALGORITHM:
            raise KeyFileError(f"{where}: algorithm {rec.get('algorithm')!r} is not {ALGORITHM!r}")
        out.append(_key_from_record(rec, where, os.fspath(path)))
    return out


def load_trusted_keys(
    key_files: Iterable[Path] = (), trust_files: Iterable[Path] = ()
) -> dict[str, TrustedKey]:
    """All keys the user trusts, by key id. Raises ``KeyFileError`` on any unreadable file."""
    out: dict[str, TrustedKey] = {}
    for p in key_files:
        k = load_public_key_file(p)
        out.setdefault(k.key_id, k)
    for p in trust_files:
        for k in load_trust_file(p):
            out.setdefault(k.key_id, k)
    return out
