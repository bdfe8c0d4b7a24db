"""What the SDK's resource calls return: the server, the token, models, versions, profiles.

Frozen dataclasses built from the server's JSON (``from_dict``) with ``to_dict()`` giving
that JSON back (times as ISO 8601 text). Times are aware datetimes (UTC when the server
sent none). No httpx here: these import on a core install.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from driftline.client._parse import iso_time, required_time
from driftline.store import VersionSchema

__all__ = ["Health", "Identity", "IngestReceipt", "Model", "ProfileReceipt", "Version"]


@dataclass(frozen=True)
class Health:
    """The server's health (``GET /health``, needs no token).

    ``status`` is ``"ok"`` or ``"degraded"`` (the database is unreachable), ``database``
    ``"ok"`` or ``"unavailable"``, ``monitor`` ``"running"``, ``"off"`` or
    ``"unavailable"``; ``version`` is the server's driftline version.

    >>> Health.from_dict({"status": "ok", "version": "0.4.0", "database": "ok",
    ...                   "monitor": "off"}).status
    'ok'
    """

    status: str
    version: str
    database: str
    monitor: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Health:
        """Read the server's JSON."""
        return cls(
            status=str(data["status"]),
            version=str(data["version"]),
            database=str(data["database"]),
            monitor=str(data.get("monitor", "off")),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        return {
            "status": self.status,
            "version": self.version,
            "database": self.database,
            "monitor": self.monitor,
        }


@dataclass(frozen=True)
class Identity:
    """What the client's token is (``GET /me``): its project, its role and its id.

    >>> me = Identity.from_dict({"project": "fraud", "role": "editor", "token_id": "t1"})
    >>> me.project, me.role
    ('fraud', 'editor')
    """

    project: str
    role: str
    token_id: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Identity:
        """Read the server's JSON."""
        return cls(
            project=str(data["project"]), role=str(data["role"]), token_id=str(data["token_id"])
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        return {"project": self.project, "role": self.role, "token_id": self.token_id}


@dataclass(frozen=True)
class Model:
    """A model of the project and the names of its versions, oldest first.

    >>> m = Model.from_dict({"name": "scorer", "created_at": "2026-12-02T10:00:00Z",
    ...                      "versions": ["1", "2"]})
    >>> m.name, m.versions, m.created_at.year
    ('scorer', ('1', '2'), 2026)
    >>> Model.from_dict(m.to_dict()) == m
    True
    """

    name: str
    created_at: datetime
    versions: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        """Read the server's JSON."""
        return cls(
            name=str(data["name"]),
            created_at=required_time(data["created_at"]),
            versions=tuple(str(v) for v in data.get("versions") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        return {
            "name": self.name,
            "created_at": iso_time(self.created_at),
            "versions": list(self.versions),
        }


@dataclass(frozen=True)
class Version:
    """A registered model version: its schema, its window and what reference it has.

    ``schema`` says which columns are features (and their kinds) and which are the id,
    timestamp, score and prediction. ``window`` is the window spec as registered:
    ``{"kind": "time", "size_seconds": 3600}`` or ``{"kind": "rows", "size": 10000}``.
    ``has_reference_data``: reference rows were uploaded (scores and labels are kept for
    estimation); ``has_reference_profile``: drift has a reference to compare against.

    >>> v = Version.from_dict({
    ...     "model": "scorer", "version": "3",
    ...     "schema": {"features": {"x": "numeric", "city": "categorical"}, "task": "binary"},
    ...     "window": {"kind": "time", "size_seconds": 3600},
    ...     "has_reference_profile": True, "has_reference_data": False,
    ...     "created_at": "2026-12-02T10:00:00Z"})
    >>> dict(v.schema.features), v.schema.score_column, v.window["size_seconds"]
    ({'x': 'numeric', 'city': 'categorical'}, 'score', 3600)
    >>> Version.from_dict(v.to_dict()) == v
    True
    """

    model: str
    version: str
    schema: VersionSchema
    window: Mapping[str, Any]
    has_reference_profile: bool
    has_reference_data: bool
    created_at: datetime

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Version:
        """Read the server's JSON."""
        window = data["window"]
        if not isinstance(window, Mapping):
            raise TypeError(f"the window must be an object; got {window!r}")
        return cls(
            model=str(data["model"]),
            version=str(data["version"]),
            schema=VersionSchema.from_dict(data["schema"]),
            window=dict(window),
            has_reference_profile=bool(data["has_reference_profile"]),
            has_reference_data=bool(data["has_reference_data"]),
            created_at=required_time(data["created_at"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        return {
            "model": self.model,
            "version": self.version,
            "schema": self.schema.to_dict(),
            "window": dict(self.window),
            "has_reference_profile": self.has_reference_profile,
            "has_reference_data": self.has_reference_data,
            "created_at": iso_time(self.created_at),
        }


@dataclass(frozen=True)
class ProfileReceipt:
    """Where :meth:`~driftline.client.Client.log_profile` merged a profile: the window's
    key and the number of rows the profile summarised.

    >>> ProfileReceipt.from_dict({"window_key": 7, "rows": 250}).to_dict()
    {'window_key': 7, 'rows': 250}
    """

    window_key: int
    rows: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileReceipt:
        """Read the server's JSON."""
        return cls(window_key=int(data["window_key"]), rows=int(data["rows"]))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        return {"window_key": self.window_key, "rows": self.rows}


@dataclass(frozen=True)
class IngestReceipt:
    """The server's answer to :meth:`~driftline.client.Client.send_predictions`: rows
    ``accepted`` (stored now), ``duplicates`` (prediction ids it already had: stored once,
    earlier) and ``rejected`` rows as ``(row, prediction id, reasons)``.

    >>> IngestReceipt.from_dict({"accepted": 2, "duplicates": ["a"], "rejected": [
    ...     {"row": 2, "prediction_id": "c", "reasons": ["x: not a number"]}]}).rejected
    ((2, 'c', ('x: not a number',)),)
    """

    accepted: int
    duplicates: tuple[str, ...]
    rejected: tuple[tuple[int | None, str | None, tuple[str, ...]], ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IngestReceipt:
        """Read the server's JSON."""
        rejected = []
        for entry in data.get("rejected") or ():
            row, pid = entry.get("row"), entry.get("prediction_id")
            rejected.append(
                (
                    None if row is None else int(row),
                    None if pid is None else str(pid),
                    tuple(str(r) for r in entry.get("reasons") or ()),
                )
            )
        return cls(
            accepted=int(data["accepted"]),
            duplicates=tuple(str(d) for d in data.get("duplicates") or ()),
            rejected=tuple(rejected),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "accepted": self.accepted,
            "duplicates": list(self.duplicates),
            "rejected": [
                {"row": row, "prediction_id": pid, "reasons": list(reasons)}
                for row, pid, reasons in self.rejected
            ],
        }
