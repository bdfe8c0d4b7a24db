"""The audit log over the store: append (serialized, batched, O(log n)), heads, proofs."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Final, cast

from sqlalchemy import Engine, Table, and_, func, insert, or_, select, text
from sqlalchemy.orm import Session

from driftline._params import Constraints, InstanceOf, validate
from driftline.audit._events import Event, check_event, make_record
from driftline.audit._keys import (
    LOG_NAME,
    SignedTreeHead,
    SigningKey,
    default_key_path,
    sign_head,
)
from driftline.audit._merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    root_of,
    split_point,
)
from driftline.audit._results import ConsistencyProof, InclusionProof, LoggedEvent, VerifyReport
from driftline.audit._verify import STORED_LEVEL
from driftline.exceptions import AuditIntegrityError, NotFoundError, ParameterError
from driftline.store import (
    AuditEntry,
    AuditNode,
    AuditSubject,
    AuditTreeHead,
    create_engine_from_url,
    session_factory,
    uuid7,
    write_session_factory,
)

__all__ = ["AuditLog"]

#: PostgreSQL advisory lock that serializes appends (any constant; "dl-audit" in ASCII).
_PG_LOCK: Final = 0x646C2D6175646974
_MEMORY_KEYS: weakref.WeakKeyDictionary[Engine, SigningKey] = weakref.WeakKeyDictionary()
_MEMORY_LOCK = threading.Lock()
_MAX_BATCH: Final = 10_000
_ENTRIES = cast(Table, AuditEntry.__table__)
_NODES = cast(Table, AuditNode.__table__)
_HEADS = cast(Table, AuditTreeHead.__table__)
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_LATEST = select(_HEADS.c.tree_size, _HEADS.c.frontier).order_by(_HEADS.c.id.desc()).limit(1)
_TOP = select(func.max(_ENTRIES.c.seq))
_INSERT_ENTRY = insert(_ENTRIES)
_INSERT_NODE = insert(_NODES)
_INSERT_HEAD = insert(_HEADS)
_MAX_LIST: Final = 1000
_MAX_INT: Final = 2**62


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _pieces(start: int, end: int) -> list[tuple[int, int]]:
    """(level, index) of the perfect subtrees making up the RFC 6962 subtree [start, end)."""
    n = end - start
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return [(level, start >> level)]
    k = split_point(n)
    return _pieces(start, start + k) + _pieces(start + k, end)


def _fetch(session: Session, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    wanted = set(positions)
    found: dict[tuple[int, int], bytes] = {}
    leaves = sorted(i for level, i in wanted if level == 0)
    for chunk in range(0, len(leaves), 500):
        for seq, value in session.execute(
            select(AuditEntry.seq, AuditEntry.leaf_hash).where(
                AuditEntry.seq.in_(leaves[chunk : chunk + 500])
            )
        ):
            found[(0, seq)] = value
    inner = sorted(p for p in wanted if p[0] > 0)
    for chunk in range(0, len(inner), 200):
        part = inner[chunk : chunk + 200]
        condition = or_(*(and_(AuditNode.level == lv, AuditNode.idx == i) for lv, i in part))
        for level, idx, value in session.execute(
            select(AuditNode.level, AuditNode.idx, AuditNode.hash).where(condition)
        ):
            found[(level, idx)] = value
    missing = wanted - found.keys()
    if missing:
        raise AuditIntegrityError(
            f"The audit log lacks {len(missing)} stored hashes of its Merkle tree (e.g. level "
            f"{min(missing)[0]}, index {min(missing)[1]}); run 'driftline audit verify'."
        )
    return found


def _proof(
    session: Session, build: Callable[[Callable[[int, int], bytes]], list[bytes]]
) -> list[bytes]:
    """Run ``build(subtree)`` twice: once to learn which stored hashes it needs (one query),
    then with them."""
    needed: set[tuple[int, int]] = set()

    def collect(start: int, end: int) -> bytes:
        for level, idx in _pieces(start, end):
            if 0 < level < STORED_LEVEL:  # not stored: rehashed from its leaves
                needed.update((0, j) for j in range(idx << level, (idx + 1) << level))
            else:
                needed.add((level, idx))
        return EMPTY_ROOT

    build(collect)
    stored = _fetch(session, needed)
    memo: dict[tuple[int, int], bytes] = {}

    def subtree(start: int, end: int) -> bytes:
        n = end - start
        if n & (n - 1) == 0:
            level = n.bit_length() - 1
            if 0 < level < STORED_LEVEL:
                return root_of(stored[(0, j)] for j in range(start, end))
            return stored[(level, start >> level)]
        found = memo.get((start, end))
        if found is None:
            k = split_point(n)
            found = node_hash(subtree(start, start + k), subtree(start + k, end))
            memo[(start, end)] = found
        return found

    return build(subtree)


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= _MAX_INT:
        raise ParameterError(
            f"The {name!r} parameter must be an integer in [{low}, 2**62]; got {value!r}."
        )


def _head_of(row: AuditTreeHead) -> SignedTreeHead:
    return SignedTreeHead(row.tree_size, row.root_hash, row.timestamp_ms, row.key_id, row.signature)


def _event_of(row: AuditEntry) -> LoggedEvent:
    return LoggedEvent(
        row.seq, row.event_type, row.project_id, row.created_at, row.record, row.leaf_hash
    )


class AuditLog:
    """The tamper-evident audit log of one database (an engine or a database URL).

    Appends are serialized (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock held
    to the end of the transaction) and each append call, of one event or a batch, signs one
    new tree head. ``key`` is the Ed25519 signing key: a :class:`SigningKey`, or a PEM file
    path (created at first use); by default ``DRIFTLINE_AUDIT_KEY``, else a file next to a
    SQLite database (see :mod:`driftline.audit`).

    >>> from driftline.store import create_engine_from_url, migrate
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> log = AuditLog(engine)
    >>> event = log.append("project.created", {"name": "demo"}, actor="system:doctest")
    >>> event.seq, log.tree_head().tree_size, log.verify().ok
    (0, 1, True)
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "engine": [InstanceOf((Engine, str), "a SQLAlchemy Engine or a database URL")],
        "key": [
            InstanceOf((SigningKey, str, os.PathLike), "a SigningKey or a key file path"),
            None,
        ],
    }

    def __init__(
        self, engine: Engine | str, *, key: SigningKey | str | os.PathLike[str] | None = None
    ) -> None:
        validate(self, locals())
        if isinstance(engine, str):
            engine = create_engine_from_url(engine)
        self.engine = engine
        self._key_arg = key
        self._key: SigningKey | None = None
        self._reads = session_factory(engine)
        self._writes = write_session_factory(engine)
        self._lock = threading.Lock()

    # keys -------------------------------------------------------------------------------
    def key_path(self) -> Path | None:
        """The signing key's file (None: a key held in memory for an in-memory database)."""
        if isinstance(self._key_arg, SigningKey):
            return self._key_arg.path
        if self._key_arg is not None:
            return Path(self._key_arg)
        url = self.engine.url
        return default_key_path(url.database, url.get_backend_name())

    @property
    def key(self) -> SigningKey:
        """The signing key (loaded, or created, on first use)."""
        if self._key is None:
            if isinstance(self._key_arg, SigningKey):
                self._key = self._key_arg
            else:
                path = self.key_path()
                if path is None:
                    with _MEMORY_LOCK:
                        found = _MEMORY_KEYS.get(self.engine)
                        if found is None:
                            found = _MEMORY_KEYS[self.engine] = SigningKey.generate()
                    self._key = found
                else:
                    self._key = SigningKey.load_or_create(path)
        return self._key

    def _existing_key(self) -> SigningKey | None:
        """The signing key if it exists already (never creates one)."""
        if self._key is not None or isinstance(self._key_arg, SigningKey):
            return self.key
        path = self.key_path()
        if path is None:
            return _MEMORY_KEYS.get(self.engine)
        return SigningKey.load(path) if path.exists() else None

    # appending --------------------------------------------------------------------------
    def append(
        self,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        project: str | None = None,
        actor: str | None = None,
        session: Session | None = None,
    ) -> LoggedEvent:
        """Append one event and sign a new tree head; its :class:`LoggedEvent`.

        ``event_type`` is one of :data:`~driftline.audit.EVENT_TYPES`; ``payload`` a dict of
        JSON values (no personal data: reference people with :meth:`subject`); ``project``
        a project id (or None for a global event); ``actor`` a reference such as
        ``token:<id>`` or ``subject:<id>``. With ``session``, the event is written in that
        transaction (it commits or rolls back with the caller's change); without, in a
        transaction of its own.
        """
        return self.append_many([Event(event_type, payload, project, actor)], session=session)[0]

    def append_many(
        self, events: Sequence[Event], *, session: Session | None = None
    ) -> list[LoggedEvent]:
        """Append a batch of :class:`~driftline.audit.Event` in one transaction, one head."""
        events = [e if isinstance(e, Event) else Event(*e) for e in events]
        if not events:
            return []
        if len(events) > _MAX_BATCH:
            raise ParameterError(
                f"At most {_MAX_BATCH} events are appended in one batch; got {len(events)}."
            )
        for event in events:
            check_event(event)
        key = self.key
        if session is not None:
            return self._append(session, events, key)
        with self._lock, self._writes.begin() as own:
            return self._append(own, events, key)

    def _append(self, session: Session, events: list[Event], key: SigningKey) -> list[LoggedEvent]:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(_LOCK, {"k": _PG_LOCK})
        latest = conn.execute(_LATEST).first()
        size, packed = (0, b"") if latest is None else (int(latest[0]), bytes(latest[1]))
        top = conn.execute(_TOP).scalar()
        count = 0 if top is None else int(top) + 1
        positions = Frontier.positions(size)
        if count != size or len(packed) != 32 * len(positions):
            raise AuditIntegrityError(
                f"The audit log holds {count} entries but its latest signed tree head covers "
                f"{size}; nothing is appended until 'driftline audit verify' explains why."
            )
        frontier = Frontier(
            size, [(lv, packed[32 * k : 32 * k + 32]) for k, (lv, _i) in enumerate(positions)]
        )
        nodes: list[dict[str, Any]] = []
        now = datetime.now(UTC)

        def on_node(level: int, idx: int, value: bytes) -> None:
            if level >= STORED_LEVEL:
                nodes.append({"level": level, "idx": idx, "hash": value})

        rows: list[dict[str, Any]] = []
        out: list[LoggedEvent] = []
        for offset, event in enumerate(events):
            seq = size + offset
            record = make_record(seq, event, now)
            leaf = leaf_hash(record)
            frontier.append(leaf, on_node)
            rows.append(
                {
                    "seq": seq,
                    "event_type": event.event_type,
                    "project_id": event.project,
                    "record": record,
                    "leaf_hash": leaf,
                    "created_at": now,
                }
            )
            out.append(LoggedEvent(seq, event.event_type, event.project, now, record, leaf))
        conn.execute(_INSERT_ENTRY, rows)
        if nodes:
            conn.execute(_INSERT_NODE, nodes)
        head = sign_head(key, frontier.size, frontier.root(), _ms(now))
        conn.execute(
            _INSERT_HEAD,
            {
                "tree_size": head.tree_size,
                "root_hash": head.root_hash,
                "timestamp_ms": head.timestamp_ms,
                "key_id": head.key_id,
                "public_key": key.public_key,
                "signature": head.signature,
                "frontier": b"".join(h for _lv, h in frontier.nodes),
            },
        )
        return out

    # people -------------------------------------------------------------------------------
    def subject(self, *, name: str | None = None, email: str | None = None) -> str:
        """Store a person's name and e-mail outside the hashed log; the reference
        (``subject:<id>``) to put in events as ``actor`` or in payloads."""
        for parameter, value, limit in (("name", name, 200), ("email", email, 320)):
            if value is not None and (
                not isinstance(value, str) or not value or len(value) > limit or "\x00" in value
            ):
                raise ParameterError(
                    f"The {parameter!r} parameter must be a non-empty string of at most {limit} "
                    f"characters without NUL, or None; got {value!r}."
                )
        if name is None and email is None:
            raise ParameterError("A subject needs a 'name' or an 'email' (or both).")
        subject_id = str(uuid7())
        with self._writes.begin() as session:
            session.add(AuditSubject(id=subject_id, name=name, email=email))
        return f"subject:{subject_id}"

    def _subject_row(self, session: Session, reference: str) -> AuditSubject | None:
        if not isinstance(reference, str) or not reference.startswith("subject:"):
            raise ParameterError(
                f"The 'reference' parameter must be a 'subject:<id>' reference; got {reference!r}."
            )
        return session.get(AuditSubject, reference.removeprefix("subject:"))

    def resolve_subject(self, reference: str) -> dict[str, str | None] | None:
        """The name and e-mail behind ``subject:<id>`` (None if unknown; both None once erased)."""
        with self._reads() as session:
            row = self._subject_row(session, reference)
            return None if row is None else {"name": row.name, "email": row.email}

    def erase_subject(self, reference: str) -> bool:
        """Erase a person's name and e-mail (the log's entries and hashes stay valid)."""
        with self._writes.begin() as session:
            row = self._subject_row(session, reference)
            if row is None:
                return False
            row.name = None
            row.email = None
            row.erased_at = datetime.now(UTC)
        return True

    # reading ------------------------------------------------------------------------------
    def tree_head(self, size: int | None = None) -> SignedTreeHead:
        """The latest signed tree head, or the latest one of ``size`` entries.

        An empty log answers a freshly signed head of size 0 (it is not stored).
        """
        if size is not None:
            _check_int("size", size, 0)
        with self._reads() as session:
            query = select(AuditTreeHead).order_by(AuditTreeHead.id.desc()).limit(1)
            if size is not None:
                query = query.where(AuditTreeHead.tree_size == size)
            row = session.scalar(query)
        if row is not None:
            return _head_of(row)
        if size not in (None, 0):
            raise NotFoundError(f"No signed tree head of size {size} in the audit log.")
        return sign_head(self.key, 0, EMPTY_ROOT, _ms(datetime.now(UTC)))

    def size(self) -> int:
        """The number of entries the latest signed tree head covers."""
        with self._reads() as session:
            found = session.scalar(
                select(AuditTreeHead.tree_size).order_by(AuditTreeHead.id.desc()).limit(1)
            )
        return 0 if found is None else int(found)

    def entries(
        self, *, project: str | None = None, after: int = -1, limit: int = 100
    ) -> list[LoggedEvent]:
        """Entries with ``seq > after`` in order (only ``project``'s when given), ``limit`` at most."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= _MAX_LIST:
            raise ParameterError(
                f"The 'limit' parameter must be an integer in [1, {_MAX_LIST}]; got {limit!r}."
            )
        _check_int("after", after, -1)
        query = select(AuditEntry).where(AuditEntry.seq > after)
        if project is not None:
            query = query.where(AuditEntry.project_id == project)
        with self._reads() as session:
            rows = session.scalars(query.order_by(AuditEntry.seq).limit(limit)).all()
        return [_event_of(r) for r in rows]

    def entry(self, seq: int) -> LoggedEvent:
        """The entry ``seq`` (``NotFoundError`` if there is none)."""
        _check_int("seq", seq, 0)
        with self._reads() as session:
            row = session.get(AuditEntry, seq)
        if row is None:
            raise NotFoundError(f"No audit log entry {seq}.")
        return _event_of(row)

    def _check_sizes(self, name: str, value: int, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ParameterError(
                f"The {name!r} parameter must be an integer in [{low}, {high}] (the latest "
                f"signed tree head covers {high} entries); got {value!r}."
            )
        return value

    def inclusion_proof(self, seq: int, size: int | None = None) -> InclusionProof:
        """The audit path of entry ``seq`` in the tree of ``size`` entries (default: the
        latest head's): O(log n) hashes."""
        current = self.size()
        if current == 0:
            raise ParameterError("The audit log is empty: there is no entry to prove.")
        size = current if size is None else self._check_sizes("size", size, 1, current)
        self._check_sizes("seq", seq, 0, size - 1)
        with self._reads() as session:
            path = _proof(session, lambda sub: inclusion_path(seq, size, sub))
            leaf = _fetch(session, [(0, seq)])[(0, seq)]
        return InclusionProof(seq, size, leaf, tuple(path))

    def consistency_proof(self, first: int, second: int | None = None) -> ConsistencyProof:
        """The proof that the tree of ``first`` entries is a prefix of the tree of ``second``
        (default: the latest head's size)."""
        current = self.size()
        second = current if second is None else self._check_sizes("second", second, 0, current)
        self._check_sizes("first", first, 0, second)
        with self._reads() as session:
            path = _proof(session, lambda sub: consistency_path(first, second, sub))
        return ConsistencyProof(first, second, tuple(path))

    def export_checkpoint(self) -> dict[str, Any]:
        """The latest signed tree head with the public key: keep it to detect a later rollback."""
        head = self.tree_head()
        return {**head.to_dict(), "public_key": self.key.public_key.hex(), "log": LOG_NAME}

    # verification -------------------------------------------------------------------------
    def verify(
        self,
        *,
        trusted_keys: Iterable[bytes] | None = None,
        checkpoints: Iterable[Mapping[str, Any]] = (),
    ) -> VerifyReport:
        """Recompute every leaf, node and root and check every signed head (see
        :func:`driftline.audit.verify_database`)."""
        from driftline.audit._verify import verify_database

        if trusted_keys is not None:
            keys, source = {bytes(k) for k in trusted_keys}, "given"
        else:
            existing = self._existing_key()
            keys, source = (
                (set(), "database") if existing is None else ({existing.public_key}, "key file")
            )
        return verify_database(self.engine, keys, source, list(checkpoints))
