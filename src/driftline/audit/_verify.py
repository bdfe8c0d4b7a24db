"""Recompute the audit log from its stored rows and say exactly what does not add up."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import Connection, Engine

from driftline.audit._keys import SignedTreeHead, head_message, key_id, verify_signature
from driftline.audit._merkle import EMPTY_ROOT, Frontier
from driftline.audit._results import Problem, ProblemKind, VerifyReport

__all__ = ["STORED_LEVEL", "verify_database"]

_MAX_PROBLEMS: Final = 100
#: Perfect subtrees of this level and above are stored in ``audit_nodes``; the smaller ones
#: (at most 8 leaves) are rehashed from their leaves when a proof needs them, so the table
#: holds about n/16 rows instead of n.
STORED_LEVEL: Final = 4
_CHUNK: Final = 20_000
# The end of every canonical record: its keys are sorted, so project, seq, time, type and v
# come last, after the payload. Read without parsing the payload (json.loads is the slow
# part of verifying); anything else falls back to json.loads.
_TAIL: Final = re.compile(
    rb',"project":(null|"[^"\\]*"),"seq":(\d+),"time":"[^"\\]*","type":"([a-z0-9_.]+)","v":1}\Z'
)


def _frontier(count: int, hashes: list[bytes]) -> Frontier:
    levels = [lv for lv, _i in Frontier.positions(count)]
    return Frontier(count, list(zip(levels, hashes, strict=True)))


def _batches(conn: Connection, sql: str) -> Iterator[list[Any]]:
    """The rows of ``sql`` in batches, through the driver's own cursor (server-side on
    PostgreSQL), without SQLAlchemy's per-row overhead."""
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = driver.cursor(name=f"driftline_audit_verify_{id(conn)}")  # type: ignore[union-attr]
    else:
        cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        while True:
            rows = cursor.fetchmany(_CHUNK)
            if not rows:
                return
            yield rows
    finally:
        cursor.close()


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
            "SELECT id, tree_size, root_hash, timestamp_ms, key_id, public_key, signature, "
            "frontier FROM audit_tree_heads ORDER BY id"
        ).all()
        _check_heads(heads, trusted, source, problems)
        by_size: dict[int, list[Any]] = defaultdict(list)
        for h in heads:
            by_size[h.tree_size].append(h)
        wanted: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
        for cp in checkpoints:
            wanted[int(cp["tree_size"])].append(("checkpoint", bytes.fromhex(cp["root_hash"])))
        computed_nodes: list[list[bytes]] = [[] for _ in range(65)]
        moved: dict[int, int] = {}
        expected = 0
        sha256 = hashlib.sha256
        loads = json.loads

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
        hashes: list[bytes] = []  # the frontier: the perfect subtrees' hashes, left first
        tail = _TAIL.search
        check_at = set(by_size) | set(wanted)
        count = 0
        for rows in _batches(
            conn,
            "SELECT seq, event_type, project_id, record, leaf_hash FROM audit_entries ORDER BY seq",
        ):
            for seq, event_type, project_id, record, stored_leaf in rows:
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
                if leaf != stored_leaf:
                    problems.add(
                        "edited",
                        f"Entry {seq} was edited: its record does not hash to its stored leaf "
                        "hash.",
                        seq=seq,
                    )
                found = tail(record, len(record) - 300)  # the tail is < 300 bytes
                if found is not None:
                    raw_project, raw_seq, raw_kind = found.groups()
                    claimed = int(raw_seq)
                    kind = raw_kind.decode()
                    project = None if raw_project == b"null" else raw_project[1:-1].decode()
                else:
                    try:  # not the canonical tail (e.g. a project id with escapes): parse it
                        fields = loads(record)
                        claimed, kind, project = fields["seq"], fields["type"], fields["project"]
                    except (ValueError, KeyError, TypeError):
                        problems.add(
                            "edited", f"Entry {seq}'s record is not a log record.", seq=seq
                        )
                        claimed, kind, project = seq, event_type, project_id
                if claimed != seq:
                    moved[seq] = claimed
                if kind != event_type or project != project_id:
                    problems.add(
                        "edited",
                        f"Entry {seq}'s columns (event_type {event_type!r}, project_id "
                        f"{project_id!r}) differ from its record ({kind!r}, {project!r}).",
                        seq=seq,
                    )
                # append to the frontier: one merge per trailing 1 bit of the count, each
                # completing a perfect subtree
                current, bits, level = leaf, count, 0
                while bits & 1:
                    current = sha256(b"\x01" + hashes.pop() + current).digest()
                    level += 1
                    if level >= STORED_LEVEL:
                        computed_nodes[level].append(current)
                    bits >>= 1
                hashes.append(current)
                count += 1
                expected += 1
                if count in check_at:
                    check_size(count, _frontier(count, hashes).root())
                    for h in by_size.get(count, ()):
                        if bytes(h.frontier) != b"".join(hashes):
                            problems.add(
                                "node",
                                f"Tree head #{h.id} (size {count}) stores a frontier that is "
                                "not the tree's: the next append would sign a wrong root.",
                                head=h.id,
                            )
        frontier = _frontier(count, hashes)
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
        # Level by level, in index order: one column, compared in bulk.
        for level, count_at in conn.exec_driver_sql(
            "SELECT level, COUNT(*) FROM audit_nodes GROUP BY level ORDER BY level"
        ).all():
            mine = computed_nodes[level] if 0 < level < len(computed_nodes) else []
            if count_at != len(mine):
                problems.add(
                    "node",
                    f"{count_at} Merkle nodes of level {level} are stored where the entries "
                    f"make {len(mine)}: nodes were inserted or deleted.",
                )
        for level in range(STORED_LEVEL, len(computed_nodes)):
            mine = computed_nodes[level]
            if not mine:
                break
            stored = [
                row[0]
                for rows in _batches(
                    conn, f"SELECT hash FROM audit_nodes WHERE level = {level} ORDER BY idx"
                )
                for row in rows
            ]
            if stored != mine:
                first = next(
                    (i for i, (a, b) in enumerate(zip(stored, mine, strict=False)) if a != b),
                    min(len(stored), len(mine)),
                )
                problems.add(
                    "node",
                    f"Stored Merkle node (level {level}, index {first}) is not the hash "
                    "recomputed from the entries; proofs built from it would fail.",
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
