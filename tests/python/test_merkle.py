"""RFC 6962 Merkle tree: CT reference vectors, a naive cross-check, and inclusion proofs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from omphalos.evidence.merkle import (
    artifact_leaf_data,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_inclusion,
)

VECTORS_PATH = Path(__file__).resolve().parents[2] / "contracts/test_vectors/merkle_rfc6962.json"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return data


def _leaves(vectors: dict[str, Any]) -> list[bytes]:
    return [bytes.fromhex(h) for h in vectors["leaves"]]


def naive_mth(leaves: list[bytes]) -> bytes:
    """The literal recursive definition of RFC 6962 section 2.1, independent of the module."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def test_vector_leaves_are_the_ct_reference_leaves(vectors: dict[str, Any]) -> None:
    assert _leaves(vectors) == [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]


def test_roots_match_reference_vectors(vectors: dict[str, Any]) -> None:
    leaves = _leaves(vectors)
    roots = vectors["roots"]["by_tree_size"]
    assert roots["8"] == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert set(roots) == {str(n) for n in range(9)}
    for n in range(9):
        assert merkle_root(leaves[:n]).hex() == roots[str(n)], n
        assert naive_mth(leaves[:n]).hex() == roots[str(n)], n


def test_empty_tree_is_sha256_of_nothing() -> None:
    assert merkle_root([]) == hashlib.sha256(b"").digest()


def test_hasher_vectors(vectors: dict[str, Any]) -> None:
    for case in vectors["hasher"]["leaf_hashes"]:
        assert leaf_hash(bytes.fromhex(case["data"])).hex() == case["hash"]
    for case in vectors["hasher"]["node_hashes"]:
        left, right = bytes.fromhex(case["left"]), bytes.fromhex(case["right"])
        assert node_hash(left, right).hex() == case["hash"]


def test_complete_subtree_hashes(vectors: dict[str, Any]) -> None:
    leaves = _leaves(vectors)
    for level, hashes in enumerate(vectors["node_hashes"]["levels"]):
        width = 1 << level
        for i, expected in enumerate(hashes):
            assert merkle_root(leaves[i * width : (i + 1) * width]).hex() == expected


def test_inclusion_proofs_match_reference_vectors(vectors: dict[str, Any]) -> None:
    leaves = _leaves(vectors)
    roots = vectors["roots"]["by_tree_size"]
    cases = vectors["inclusion_proofs"]["cases"]
    assert len(cases) >= 5
    for case in cases:
        index, size = case["leaf_index"], case["tree_size"]
        expected = [bytes.fromhex(h) for h in case["proof"]]
        assert inclusion_proof(leaves[:size], index) == expected, case
        root = bytes.fromhex(roots[str(size)])
        assert verify_inclusion(leaves[index], index, size, expected, root), case


def _synthetic(n: int) -> list[bytes]:
    return [f"leaf-{i}".encode() * (i % 3 + 1) for i in range(n)]


@pytest.mark.parametrize("size", range(1, 34))
def test_all_inclusion_proofs_verify(size: int) -> None:
    leaves = _synthetic(size)
    root = merkle_root(leaves)
    assert root == naive_mth(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(leaves[index], index, size, proof, root)
        # Every mutation must fail.
        assert not verify_inclusion(leaves[index] + b"x", index, size, proof, root)
        assert not verify_inclusion(leaves[index], index, size, proof, node_hash(root, root))
        assert not verify_inclusion(leaves[index], index, size, [*proof, root], root)
        # (A wrong tree_size is not always detectable from the proof alone: the tree size is
        # authenticated together with the root, as in a signed tree head.)
        assert not verify_inclusion(leaves[index], size, size, proof, root)
        assert not verify_inclusion(leaves[index], -1, size, proof, root)
        if size > 1:
            assert not verify_inclusion(leaves[index], (index + 1) % size, size, proof, root)
            assert not verify_inclusion(leaves[index], index, size, proof[:-1], root)
            flipped = bytes([proof[0][0] ^ 1]) + proof[0][1:]
            assert not verify_inclusion(leaves[index], index, size, [flipped, *proof[1:]], root)


def test_inclusion_proof_rejects_out_of_range_index() -> None:
    with pytest.raises(IndexError):
        inclusion_proof(_synthetic(3), 3)
    with pytest.raises(IndexError):
        inclusion_proof([], 0)


def test_artifact_leaf_data_encoding() -> None:
    digest = hashlib.sha256(b"abc").hexdigest()
    data = artifact_leaf_data("exports/a.csv", 3, digest)
    assert data == b"omphalos.leaf/1\x00exports/a.csv\x003\x00" + digest.encode()
    assert artifact_leaf_data("r\u00e9sum\u00e9.csv", 0, digest).startswith(
        b"omphalos.leaf/1\x00r\xc3\xa9sum\xc3\xa9.csv\x000\x00"
    )


@pytest.mark.parametrize(
    ("path", "size", "sha"),
    [
        ("a\x00b", 1, "0" * 64),
        ("", 1, "0" * 64),
        ("a", -1, "0" * 64),
        ("a", True, "0" * 64),
        ("a", 1, "A" * 64),
        ("a", 1, "0" * 63),
    ],
)
def test_artifact_leaf_data_rejects_ambiguous_fields(path: str, size: int, sha: str) -> None:
    with pytest.raises(ValueError):
        artifact_leaf_data(path, size, sha)
