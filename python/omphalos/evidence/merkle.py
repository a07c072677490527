"""RFC 6962 Merkle tree hash (SHA-256), inclusion proofs, and the ``omphalos.leaf/1`` encoding.

See docs/formats.md, "Merkle tree". Hashes are raw 32-byte ``bytes``; callers hex-encode.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

__all__ = [
    "ALGORITHM",
    "LEAF_ENCODING",
    "artifact_leaf_data",
    "inclusion_proof",
    "leaf_hash",
    "merkle_root",
    "merkle_root_from_hashes",
    "node_hash",
    "verify_inclusion",
]

ALGORITHM = "rfc6962-sha256"
LEAF_ENCODING = "omphalos.leaf/1"
_LEAF_PREFIX = LEAF_ENCODING.encode("ascii") + b"\x00"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root_from_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH given the leaf hashes.

    Bottom-up pairing that carries an unpaired last node up unchanged; this yields exactly the
    RFC 6962 tree (left subtree = largest power of two smaller than n). The tests cross-check it
    against the literal recursive definition.
    """
    if not hashes:
        return hashlib.sha256(b"").digest()
    level = list(hashes)
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf *data*; ``MTH({}) = SHA-256()``."""
    return merkle_root_from_hashes([leaf_hash(d) for d in leaves])


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 section 2.1.1 ``PATH(m, D[n])`` for leaf ``index`` (0-based) over leaf data."""
    n = len(leaves)
    if not 0 <= index < n:
        raise IndexError(f"leaf index {index} outside a tree of size {n}")
    hashes = [leaf_hash(d) for d in leaves]

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []
        k = _split(hi - lo)
        if m < k:
            return [*path(m, lo, lo + k), merkle_root_from_hashes(hashes[lo + k : hi])]
        return [*path(m - k, lo + k, hi), merkle_root_from_hashes(hashes[lo : lo + k])]

    return path(index, 0, n)


def verify_inclusion(
    leaf_data: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: check that ``leaf_data`` is leaf ``index`` of the tree ``root``."""
    if index < 0 or index >= tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash(leaf_data)
    for p in proof:
        if sn == 0 or len(p) != 32:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def artifact_leaf_data(path: str, size: int, sha256hex: str) -> bytes:
    """``omphalos.leaf/1``: ``b"omphalos.leaf/1\\0" + path + b"\\0" + decimal(size) + b"\\0" + hex``."""
    if not isinstance(path, str) or not path or "\x00" in path:
        raise ValueError(f"artifact path {path!r} cannot be encoded as a leaf")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"artifact size {size!r} is not a non-negative integer")
    if not isinstance(sha256hex, str) or not _HEX64.fullmatch(sha256hex):
        raise ValueError(f"artifact sha256 {sha256hex!r} is not 64 lowercase hex digits")
    return b"".join(
        (
            _LEAF_PREFIX,
            path.encode("utf-8"),
            b"\x00",
            str(size).encode("ascii"),
            b"\x00",
            sha256hex.encode("ascii"),
        )
    )
