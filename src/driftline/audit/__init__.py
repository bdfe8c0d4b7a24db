"""The append-only, tamper-evident audit log: RFC 6962 Merkle tree over RFC 8785 JSON.

Every governance event (a token created, a version registered, an alert rule changed...)
becomes an entry: its canonical JSON record (:func:`canonical_json`) is a leaf of a Merkle
tree hashed as in RFC 6962 (:func:`leaf_hash`, :func:`node_hash`), and each append signs
a tree head (size, root hash, time) with an Ed25519 key. :class:`AuditLog` appends,
serves inclusion and consistency proofs and recomputes everything in :meth:`AuditLog.verify`.
Personal data is stored apart (:meth:`AuditLog.subject`) and referenced, so erasing a
person leaves the chain valid.

The pure part (canonical JSON, hashes, proofs and their verification) needs nothing but
the standard library; signing needs ``cryptography`` and :class:`AuditLog` the store
(``pip install 'driftline[serve]'``).

>>> leaves = [leaf_hash(canonical_json({"n": i})) for i in range(5)]
>>> path = inclusion_path(2, 5, subtree_of(leaves))
>>> verify_inclusion(leaves[2], 2, 5, path, root_of(leaves))
True

Where the signing key lives (``DRIFTLINE_AUDIT_KEY``, else next to the SQLite file):
see :class:`SigningKey`.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from driftline._deps import lazy_getattr as _lazy_getattr
from driftline.audit._canonical import canonical_json
from driftline.audit._events import EVENT_TYPES, Event
from driftline.audit._keys import KEY_ENV, SignedTreeHead, SigningKey, verify_signature
from driftline.audit._merkle import (
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
from driftline.audit._results import (
    ConsistencyProof,
    InclusionProof,
    LoggedEvent,
    Problem,
    VerifyReport,
)

if _TYPE_CHECKING:
    from driftline.audit._log import AuditLog

__all__ = [
    "EMPTY_ROOT",
    "EVENT_TYPES",
    "KEY_ENV",
    "AuditLog",
    "ConsistencyProof",
    "Event",
    "InclusionProof",
    "LoggedEvent",
    "Problem",
    "SignedTreeHead",
    "SigningKey",
    "VerifyReport",
    "canonical_json",
    "consistency_path",
    "inclusion_path",
    "leaf_hash",
    "node_hash",
    "root_of",
    "subtree_of",
    "verify_consistency",
    "verify_inclusion",
    "verify_signature",
]

__getattr__ = _lazy_getattr(
    __name__, {"AuditLog": ("_log", ("sqlalchemy", "alembic", "cryptography"))}, extra="serve"
)
