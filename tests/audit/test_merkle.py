"""RFC 6962 hashes, roots and proofs against the Certificate Transparency test vectors
(transparency-dev/merkle ``testonly``), and proofs over random sizes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.audit import (
    EMPTY_ROOT,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    root_of,
    subtree_of,
    verify_consistency,
    verify_inclusion,
)
from driftline.audit._merkle import Frontier
from driftline.exceptions import ParameterError

DATA = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAVES = [leaf_hash(d) for d in DATA]
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
CONSISTENCY = [
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


def test_domain_separated_hashes() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()


@pytest.mark.parametrize("n", range(9))
def test_reference_roots(n: int) -> None:
    assert root_of(LEAVES[:n]).hex() == ROOTS[n]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    path = inclusion_path(index, size, subtree_of(LEAVES))
    assert [p.hex() for p in path] == proof
    assert verify_inclusion(LEAVES[index], index, size, path, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_reference_consistency_proofs(first: int, second: int, proof: list[str]) -> None:
    path = consistency_path(first, second, subtree_of(LEAVES))
    assert [p.hex() for p in path] == proof
    assert verify_consistency(
        first, second, bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), path
    )


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _recursive_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written as the RFC states it (the reference for the frontier)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_recursive_root(leaves[:k]), _recursive_root(leaves[k:]))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300))
def test_frontier_root_is_the_rfc_recursion(n: int) -> None:
    leaves = _leaves(n)
    assert root_of(leaves) == _recursive_root(leaves)


def test_every_proof_up_to_64_leaves_verifies_and_mangled_ones_do_not() -> None:
    leaves = _leaves(64)
    roots = [root_of(leaves[:n]) for n in range(65)]
    sub = subtree_of(leaves)
    for n in range(1, 65):
        for i in range(n):
            path = inclusion_path(i, n, sub)
            assert len(path) <= (n - 1).bit_length()  # O(log n)
            assert verify_inclusion(leaves[i], i, n, path, roots[n])
            assert not verify_inclusion(leaves[i], i, n, [*path, EMPTY_ROOT], roots[n])
            if path:
                assert not verify_inclusion(leaves[i], i, n, path[:-1], roots[n])
                bad = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
                assert not verify_inclusion(leaves[i], i, n, bad, roots[n])
            if n > 1:
                assert not verify_inclusion(leaves[i], (i + 1) % n, n, path, roots[n])
        for m in range(n + 1):
            proof = consistency_path(m, n, sub)
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)
            if 0 < m < n:
                assert not verify_consistency(m, n, roots[m], roots[n], proof[:-1])
                assert not verify_consistency(m, n, roots[m], roots[n], [*proof, EMPTY_ROOT])
                assert not verify_consistency(m, n, roots[m - 1], roots[n], proof)
                other = root_of([*leaves[: m - 1], leaf_hash(b"x")])
                assert not verify_consistency(m, n, other, roots[n], proof)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5000), st.data())
def test_proofs_at_random_sizes(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n)
    sub = subtree_of(leaves)
    root = root_of(leaves)
    i = data.draw(st.integers(0, n - 1))
    path = inclusion_path(i, n, sub)
    assert verify_inclusion(leaves[i], i, n, path, root)
    m = data.draw(st.integers(0, n))
    assert verify_consistency(m, n, root_of(leaves[:m]), root, consistency_path(m, n, sub))


def test_frontier_positions_and_nodes() -> None:
    completed: list[tuple[int, int]] = []
    frontier = Frontier()
    leaves = _leaves(13)
    for leaf in leaves:
        frontier.append(leaf, lambda level, idx, _h: completed.append((level, idx)))
    assert Frontier.positions(13) == [(3, 0), (2, 2), (0, 12)]
    assert [lv for lv, _ in frontier.nodes] == [3, 2, 0]
    assert (1, 5) in completed
    assert (3, 0) in completed
    assert (2, 2) in completed
    assert len(completed) == 13 - 3  # n - popcount(n) inner perfect nodes
    sub = subtree_of(leaves)
    assert frontier.nodes[1][1] == sub(8, 12)


def test_bad_arguments() -> None:
    sub = subtree_of(_leaves(4))
    with pytest.raises(ParameterError, match=r"\[0, 4\)"):
        inclusion_path(4, 4, sub)
    with pytest.raises(ParameterError, match="first <= second"):
        consistency_path(5, 4, sub)
    assert not verify_inclusion(b"short", 0, 1, [], EMPTY_ROOT)
    assert not verify_consistency(4, 2, EMPTY_ROOT, EMPTY_ROOT, [])
