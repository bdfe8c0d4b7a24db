"""Results of store operations: frozen dataclasses with ``to_dict()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["IngestResult", "LabelResult", "NewToken", "RejectedRow", "TokenInfo"]


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not stored: its position in the batch, its id if any, and why."""

    row: int
    prediction_id: str | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"row": self.row, "prediction_id": self.prediction_id, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class IngestResult:
    """What :meth:`PredictionStore.ingest_batch` did with a batch.

    ``stored`` is False only when ``all_or_nothing`` refused the batch. ``prediction_ids``
    are the ids of the newly stored rows, in batch order (generated ids included), so
    that labels can be sent for them later. ``duplicates`` are ids already stored (or
    repeated within the batch), which were skipped: a retried batch does not double-count.

    >>> IngestResult(1, ("a",), (), (), ("b1",), True).to_dict()["accepted"]
    1
    """

    accepted: int
    prediction_ids: tuple[str, ...]
    duplicates: tuple[str, ...]
    rejected: tuple[RejectedRow, ...]
    batch_ids: tuple[str, ...]
    stored: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "accepted": self.accepted,
            "prediction_ids": list(self.prediction_ids),
            "duplicates": list(self.duplicates),
            "rejected": [r.to_dict() for r in self.rejected],
            "batch_ids": list(self.batch_ids),
            "stored": self.stored,
        }


@dataclass(frozen=True)
class LabelResult:
    """What :meth:`PredictionStore.ingest_labels` did: labels joined now, labels kept
    pending, and the rows rejected (bad id or label), with their reasons.

    >>> LabelResult(joined=2, pending=1).to_dict()
    {'joined': 2, 'pending': 1, 'rejected': []}
    """

    joined: int
    pending: int
    rejected: tuple[RejectedRow, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "joined": self.joined,
            "pending": self.pending,
            "rejected": [r.to_dict() for r in self.rejected],
        }


@dataclass(frozen=True)
class TokenInfo:
    """A verified API token: who it acts for, in which project, with which role."""

    token_id: str
    project_id: str
    user_id: str | None
    role: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (no secret: the store never has it)."""
        return {
            "token_id": self.token_id,
            "project_id": self.project_id,
            "user_id": self.user_id,
            "role": self.role,
        }


@dataclass(frozen=True)
class NewToken:
    """A freshly created token. ``secret`` is shown this once and is not stored."""

    info: TokenInfo
    secret: str

    def __repr__(self) -> str:
        return f"NewToken(info={self.info!r}, secret='***')"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, including the secret (to hand to its owner once)."""
        return {**self.info.to_dict(), "secret": self.secret}
