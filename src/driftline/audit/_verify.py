"""Recompute the audit log from its stored rows and say exactly what does not add up."""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import Engine

from driftline.audit._keys import SignedTreeHead, head_message, key_id, verify_signature
from driftline.audit._merkle import EMPTY_ROOT, Frontier
from driftline.audit._results import Problem, ProblemKind, VerifyReport

__all__ = ["verify_database"]

_MAX_PROBLEMS: Final = 100
_CHUNK: Final = 20_000


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(
        self, kind: ProblemKind, message: str, *, seq: int | None = None, head: int | None = None
    ) -> None:
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append(Problem(kind, message, seq, head))
        else:
            self.dropped += 1


def _check_heads(
    heads: Sequence[Any], trusted: set[bytes], source: str, problems: _Problems
) -> None:
    """Signatures and keys of every head, and that no head is smaller than an earlier one."""
    allowed = trusted if source != "database" else {bytes(h.public_key) for h in heads}
    biggest: tuple[int, int] | None = None  # (size, head id)
    for h in heads:
        public = bytes(h.public_key)
        message = head_message(h.tree_size, bytes(h.root_hash), h.timestamp_ms)
        if public not in allowed:
            problems.add(
                "untrusted_key",
                f"Tree head #{h.id} (size {h.tree_size}) is signed by key {key_id(public)[:16]}…, "
                "which is not a trusted key.",
                head=h.id,
            )
        elif key_id(public) != h.key_id or not verify_signature(
            public, message, bytes(h.signature)
        ):
            problems.add(
                "signature",
                f"Tree head #{h.id} (size {h.tree_size}): the signature does not match its "
                "size, root hash and time (the head was edited).",
                head=h.id,
            )
        if biggest is not None and h.tree_size < biggest[0]:
            problems.add(
                "rollback",
                f"Tree head #{h.id} has size {h.tree_size}, below the earlier head "
                f"#{biggest[1]}'s size {biggest[0]}: the tree head was rolled back.",
                head=h.id,
            )
        if biggest is None or h.tree_size >= biggest[0]:
            biggest = (h.tree_size, h.id)


def _classify(moved: dict[int, int], problems: _Problems) -> None:
    """Entries whose record names another position: swapped pairs are reorders, records
    of later positions mean deletions, of earlier positions insertions."""
    for seq, claimed in sorted(moved.items()):
        if moved.get(claimed) == seq:
            problems.add(
                "reordered",
                f"Entry {seq} holds the record of entry {claimed} (and {claimed} the record of "
                f"{seq}): entries were reordered.",
                seq=seq,
            )
        elif claimed > seq:
            problems.add(
                "missing",
                f"Entry {seq} holds the record of entry {claimed}: entries before it were "
                "deleted and the rest renumbered.",
                seq=seq,
            )
        else:
            problems.add(
                "inserted",
                f"Entry {seq} holds the record of entry {claimed}: an entry was inserted before "
                "it and the rest renumbered.",
                seq=seq,
            )


def verify_database(
    engine: Engine,
    trusted: set[bytes],
    source: str,
    checkpoints: Sequence[Mapping[str, Any]] = (),
) -> VerifyReport:
    """Check the log in ``engine`` (see :meth:`driftline.audit.AuditLog.verify`).

    Every leaf hash is recomputed from the stored record and compared with the stored one;
    each record's ``seq``, ``type`` and ``project`` with its row; the tree's perfect
    subtrees (``audit_nodes``) and the root at every signed head's size are recomputed from
    those leaves; each head's signature is checked against ``trusted`` keys; no head may be
    smaller than an earlier one, none may claim more entries than there are, and no entry
    may lie beyond the latest head. ``checkpoints`` (exported earlier and kept elsewhere)
    must each be a prefix of the log.
    """
    started = time.perf_counter()
    problems = _Problems()
    with engine.connect() as conn:
        heads = conn.exec_driver_sql(
            "SELECT id, tree_size, root_hash, timestamp_ms, key_id, public_key, signature "
            "FROM audit_tree_heads ORDER BY id"
        ).all()
        _check_heads(heads, trusted, source, problems)
        by_size: dict[int, list[Any]] = defaultdict(list)
        for h in heads:
            by_size[h.tree_size].append(h)
        wanted: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
        for cp in checkpoints:
            wanted[int(cp["tree_size"])].append(("checkpoint", bytes.fromhex(cp["root_hash"])))
        computed_nodes: dict[int, list[bytes]] = defaultdict(list)
        frontier = Frontier()
        moved: dict[int, int] = {}
        expected = 0
        sha256 = hashlib.sha256
        loads = json.loads

        def on_node(level: int, idx: int, value: bytes) -> None:
            computed_nodes[level].append(value)

        def check_size(size: int, root: bytes) -> None:
            for h in by_size.get(size, ()):
                if bytes(h.root_hash) != root:
                    problems.add(
                        "root",
                        f"Tree head #{h.id} (size {size}) does not match the root recomputed "
                        f"from entries 0..{size - 1}: an entry up to {size - 1} was changed, "
                        "inserted, deleted or moved.",
                        head=h.id,
                    )
            for _what, root_hash in wanted.get(size, ()):
                if root_hash != root:
                    problems.add(
                        "checkpoint",
                        f"The checkpoint of size {size} does not match the root recomputed "
                        f"from entries 0..{size - 1}: the log was rewritten since it was taken.",
                    )

        check_size(0, EMPTY_ROOT)
        result = conn.execution_options(stream_results=True, yield_per=_CHUNK).exec_driver_sql(
            "SELECT seq, event_type, project_id, record, leaf_hash FROM audit_entries ORDER BY seq"
        )
        for seq, event_type, project_id, record, stored_leaf in result:
            record = bytes(record)
            if seq != expected:
                if seq > expected:
                    span = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
                    problems.add(
                        "missing",
                        f"Entries {span} are missing (deleted): the sequence jumps from "
                        f"{expected - 1} to {seq}.",
                        seq=expected,
                    )
                expected = seq
            leaf = sha256(b"\x00" + record).digest()
            if leaf != bytes(stored_leaf):
                problems.add(
                    "edited",
                    f"Entry {seq} was edited: its record does not hash to its stored leaf hash.",
                    seq=seq,
                )
            try:
                fields = loads(record)
                claimed, kind, project = fields["seq"], fields["type"], fields["project"]
            except (ValueError, KeyError, TypeError):
                problems.add("edited", f"Entry {seq}'s record is not a log record.", seq=seq)
            else:
                if claimed != seq:
                    moved[seq] = claimed
                if kind != event_type or project != project_id:
                    problems.add(
                        "edited",
                        f"Entry {seq}'s columns (event_type {event_type!r}, project_id "
                        f"{project_id!r}) differ from its record ({kind!r}, {project!r}).",
                        seq=seq,
                    )
            frontier.append(leaf, on_node)
            expected += 1
            size = frontier.size
            if size in by_size or size in wanted:
                check_size(size, frontier.root())
        count = frontier.size
        _classify(moved, problems)

        for h in heads:
            if h.tree_size > count:
                problems.add(
                    "truncated",
                    f"Tree head #{h.id} signs {h.tree_size} entries but the log holds {count}: "
                    "entries were deleted from the end.",
                    head=h.id,
                )
        for cp in checkpoints:
            if int(cp["tree_size"]) > count:
                problems.add(
                    "checkpoint",
                    f"The checkpoint signs {cp['tree_size']} entries but the log holds {count}: "
                    "the log was truncated or rolled back since the checkpoint was taken.",
                )
        latest = heads[-1].tree_size if heads else 0
        if count > latest:
            problems.add(
                "extra",
                f"Entries {latest}..{count - 1} lie beyond the latest signed tree head (size "
                f"{latest}): they were inserted, or the head was rolled back.",
                seq=latest,
            )

        # The stored perfect subtrees must be the recomputed ones (proofs are built from them).
        level_rows = conn.execution_options(stream_results=True, yield_per=_CHUNK).exec_driver_sql(
            "SELECT level, idx, hash FROM audit_nodes ORDER BY level, idx"
        )
        seen: dict[int, int] = defaultdict(int)
        for level, idx, value in level_rows:
            mine = computed_nodes.get(level, [])
            if idx >= len(mine) or bytes(value) != mine[idx]:
                problems.add(
                    "node",
                    f"Stored Merkle node (level {level}, index {idx}) is not the hash recomputed "
                    "from the entries; proofs built from it would fail.",
                )
            seen[level] += 1
        for level, values in computed_nodes.items():
            if seen[level] < len(values):
                problems.add(
                    "node",
                    f"{len(values) - seen[level]} Merkle nodes of level {level} are missing.",
                )
    for cp in checkpoints:
        head = SignedTreeHead.from_dict(cp)
        public = bytes.fromhex(str(cp.get("public_key", "")))
        if not head.verify(public):
            problems.add("checkpoint", "The checkpoint's signature does not verify.")
    items = list(problems.items)
    if problems.dropped:
        items.append(Problem("edited", f"... and {problems.dropped} more problems."))
    return VerifyReport(
        ok=not items,
        entries=count,
        heads=len(heads),
        tree_size=count,
        root_hash=frontier.root(),
        trusted_keys=source,
        seconds=time.perf_counter() - started,
        problems=tuple(items),
    )
