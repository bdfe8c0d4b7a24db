"""The audit events of registry writes: ``(event_type, payload)`` pairs, one builder per
write, shared by :class:`~driftline.registry.Registry` and the server's routes. Both append
them with :meth:`driftline.audit.AuditLog.append_many` in the transaction of the change.

Payloads name models, versions, aliases and data sets, and log content by its digest
(``*_sha256``: the SHA-256 of the RFC 8785 JSON of the value): free text such as a reason,
a source URI or run attributes, and the actor of the change, never enter them (the actor is
the event's ``actor`` reference).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from driftline.audit import canonical_json
from driftline.registry._records import AliasRecord, DatasetRecord

__all__ = ["AuditEvent", "alias_event", "artifact_event", "dataset_event", "lineage_events"]

#: One audit event of a registry write: its type (a key of ``driftline.audit.EVENT_TYPES``)
#: and its payload.
AuditEvent = tuple[str, dict[str, Any]]


def _sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def artifact_event(
    model: str,
    version: str,
    version_id: str,
    *,
    digest: str,
    flavor: str,
    size: int,
    signature: Mapping[str, Any] | None,
) -> AuditEvent:
    """``artifact.uploaded``: the artifact's sha256, flavor, size, signature digest and
    whether it is a pickle (an explicit opt-in).

    >>> artifact_event("fraud", "3", "v-id", digest="ab" * 32, flavor="onnx", size=10,
    ...                signature=None)[1]["pickle_opt_in"]
    False
    """
    return "artifact.uploaded", {
        "model": model,
        "version": version,
        "version_id": version_id,
        "sha256": digest,
        "flavor": flavor,
        "size": size,
        "signature_sha256": None if signature is None else _sha256(dict(signature)),
        "pickle_opt_in": flavor == "pickle",
    }


def alias_event(move: AliasRecord) -> AuditEvent:
    """``alias.moved`` (or ``alias.removed`` when ``move.version`` is None): the model, the
    alias, the versions before and after, the move's number in the alias's history and the
    digest of its reason.

    >>> from datetime import UTC, datetime
    >>> move = AliasRecord("fraud", "production", None, "2", 3, "token:t", "incident",
    ...                    datetime.now(UTC))
    >>> kind, payload = alias_event(move)
    >>> kind, payload["previous"], "incident" in str(payload)
    ('alias.removed', '2', False)
    """
    kind = "alias.removed" if move.version is None else "alias.moved"
    return kind, {
        "model": move.model,
        "alias": move.alias,
        "version": move.version,
        "previous": move.previous,
        "seq": move.seq,
        "reason_sha256": _sha256(move.reason),
    }


def dataset_event(record: DatasetRecord) -> AuditEvent:
    """``dataset.registered``: the data set's id, name, fingerprint, schema digest, rows,
    licence, PII flag and the digest of its source URI."""
    return "dataset.registered", {
        "dataset_id": record.id,
        "name": record.name,
        "fingerprint": record.fingerprint,
        "schema_digest": record.schema_digest,
        "rows": record.rows,
        "licence": record.licence,
        "pii": record.pii,
        "source_uri_sha256": _sha256(record.source_uri),
    }


def lineage_events(
    model: str,
    version: str,
    edges: Sequence[tuple[tuple[str, str], tuple[str, str], str, Mapping[str, Any] | None]],
) -> list[AuditEvent]:
    """One ``lineage.recorded`` per newly recorded link ``(source, target, relation,
    attributes)`` of ``model``'s ``version`` (nodes are ``(kind, id)``; attributes by
    digest).

    >>> [p["relation"] for _, p in lineage_events(
    ...     "fraud", "3", [(("run", "r7"), ("model_version", "v-id"), "produced", None)])]
    ['produced']
    """
    return [
        (
            "lineage.recorded",
            {
                "model": model,
                "version": version,
                "source": list(source),
                "target": list(target),
                "relation": relation,
                "attributes_sha256": None if attributes is None else _sha256(dict(attributes)),
            },
        )
        for source, target, relation, attributes in edges
    ]
