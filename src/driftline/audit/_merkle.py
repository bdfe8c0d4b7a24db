"""RFC 6962 / RFC 9162 Merkle trees: hashes, roots, inclusion and consistency proofs.

Pure functions over 32-byte SHA-256 hashes. A leaf hashes as ``SHA-256(0x00 || data)``, an
inner node as ``SHA-256(0x01 || left || right)`` (domain separation: a leaf can never pass
for a node); the tree over ``n`` leaves splits at the largest power of two below ``n``
(RFC 6962 §2.1). Proof generation takes a function ``subtree(start, end)`` giving the hash
of the leaves ``[start, end)``, so that a caller with stored perfect subtrees answers in
O(log n) lookups; :func:`subtree_of` builds one over a list of leaf hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from driftline.exceptions import ParameterError

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "consistency_path",
    "inclusion_path",
    "leaf_hash",
    "node_hash",
    "root_of",
    "split_point",
    "subtree_of",
    "verify_consistency",
    "verify_inclusion",
]

#: The root of the empty tree: SHA-256 of no bytes.
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
Subtree = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``.

    >>> leaf_hash(b"").hex()[:16]
    '6e340b9cffb37a98'
    """
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``).

    >>> [split_point(n) for n in (2, 3, 4, 5, 8, 9)]
    [1, 2, 2, 4, 4, 8]
    """
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The perfect subtrees of a growing tree (at most log2(n) hashes): O(log n) appends.

    ``nodes`` lists ``(level, hash)`` from the left; a leaf is level 0. ``on_node`` (if
    given) is called with ``(level, index, hash)`` for every inner node completed.

    >>> f = Frontier()
    >>> for data in (b"", b"\\x00"):
    ...     _ = f.append(leaf_hash(data))
    >>> f.root().hex()[:16], f.size
    ('fac54203e7cc696c', 2)
    """

    __slots__ = ("nodes", "size")

    def __init__(self, size: int = 0, nodes: Sequence[tuple[int, bytes]] = ()) -> None:
        self.size = size
        self.nodes = list(nodes)

    def append(
        self, leaf: bytes, on_node: Callable[[int, int, bytes], None] | None = None
    ) -> Frontier:
        """Add one leaf hash."""
        nodes = self.nodes
        level, current = 0, leaf
        index = self.size
        while nodes and nodes[-1][0] == level:
            current = node_hash(nodes.pop()[1], current)
            level += 1
            index >>= 1
            if on_node is not None:
                on_node(level, index, current)
        nodes.append((level, current))
        self.size += 1
        return self

    def root(self) -> bytes:
        """The root of the tree of :attr:`size` leaves (RFC 6962 MTH)."""
        if not self.nodes:
            return EMPTY_ROOT
        current = self.nodes[-1][1]
        for _level, left in reversed(self.nodes[:-1]):
            current = node_hash(left, current)
        return current

    @staticmethod
    def positions(size: int) -> list[tuple[int, int]]:
        """``(level, index)`` of the perfect subtrees of a tree of ``size`` leaves, left first.

        >>> Frontier.positions(6)
        [(2, 0), (1, 2)]
        """
        out = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                out.append((level, start >> level))
                start += 1 << level
        return out


def root_of(leaves: Iterable[bytes]) -> bytes:
    """The Merkle tree hash of the leaf hashes ``leaves`` (RFC 6962 MTH).

    >>> root_of([]) == EMPTY_ROOT
    True
    """
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def subtree_of(leaves: Sequence[bytes]) -> Subtree:
    """``subtree(start, end)`` over an in-memory list of leaf hashes (memoized)."""
    cache: dict[tuple[int, int], bytes] = {}

    def subtree(start: int, end: int) -> bytes:
        key = (start, end)
        found = cache.get(key)
        if found is None:
            if end - start == 1:
                found = leaves[start]
            else:
                k = split_point(end - start)
                found = node_hash(subtree(start, start + k), subtree(start + k, end))
            cache[key] = found
        return found

    return subtree


def inclusion_path(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 6962 PATH).

    >>> leaves = [leaf_hash(bytes([i])) for i in range(5)]
    >>> path = inclusion_path(3, 5, subtree_of(leaves))
    >>> verify_inclusion(leaves[3], 3, 5, path, root_of(leaves)), len(path)
    (True, 3)
    """
    if not 0 <= index < size:
        raise ParameterError(
            f"No leaf {index} in a tree of {size} leaves; the index must be in [0, {size})."
        )
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_path(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """The proof that the tree of ``first`` leaves is a prefix of the one of ``second``
    (RFC 6962 PROOF; empty when ``first`` is 0 or equals ``second``).

    >>> leaves = [leaf_hash(bytes([i])) for i in range(7)]
    >>> proof = consistency_path(3, 7, subtree_of(leaves))
    >>> verify_consistency(3, 7, root_of(leaves[:3]), root_of(leaves), proof)
    True
    """
    if not 0 <= first <= second:
        raise ParameterError(
            f"A consistency proof needs 0 <= first <= second; got first={first}, second={second}."
        )
    if first in (0, second):
        return []
    path: list[bytes] = []
    start, end, m, complete = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                path.append(subtree(start, end))
            break
        k = split_point(n)
        if m <= k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
            m -= k
            complete = False
    path.reverse()
    return path


def _ok_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == 32


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``path`` proves ``leaf`` is leaf ``index`` of the tree ``root`` of ``size``
    leaves (RFC 9162 §2.1.3.2)."""
    if not (_ok_hash(leaf) and _ok_hash(root) and all(_ok_hash(p) for p in path)):
        return False
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """Whether ``path`` proves the tree ``first_root`` of ``first`` leaves is a prefix of the
    tree ``second_root`` of ``second`` leaves (RFC 9162 §2.1.4.2)."""
    if not (_ok_hash(first_root) and _ok_hash(second_root) and all(_ok_hash(p) for p in path)):
        return False
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path and first_root == EMPTY_ROOT
    if not path:
        return False
    items = list(path)
    if first & (first - 1) == 0:  # a power of two: the first tree is a perfect subtree
        items.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = items[0]
    for c in items[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
