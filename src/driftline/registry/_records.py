"""The registry's result objects: frozen, typed, with ``to_dict()`` / ``from_dict()`` (the
SDK parses the server's JSON into the same classes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["AliasRecord", "ArtifactRecord", "DatasetRecord", "ModelRef", "ResolvedVersion"]


def _time(value: Any) -> datetime | None:
    """An aware datetime (naive means UTC) from a datetime or ISO 8601 text."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _out(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class ModelRef:
    """A reference to a model version: ``"fraud@production"`` (an alias) or ``"fraud:3"``
    (a version), parsed by :meth:`parse`.

    >>> ModelRef.parse("fraud@production")
    ModelRef(model='fraud', alias='production', version=None)
    >>> ModelRef.parse("fraud:3")
    ModelRef(model='fraud', alias=None, version='3')
    """

    model: str
    alias: str | None = None
    version: str | None = None

    @classmethod
    def parse(cls, ref: str) -> ModelRef:
        """``MODEL@ALIAS`` or ``MODEL:VERSION`` (a bare ``MODEL`` names the model only)."""
        from driftline.exceptions import ParameterError

        if not isinstance(ref, str) or not ref.strip() or "\x00" in ref:
            raise ParameterError(
                f"A model reference must be 'MODEL@ALIAS' or 'MODEL:VERSION'; got {ref!r}."
            )
        if "@" in ref:
            model, _, alias = ref.rpartition("@")
            if not model or not alias:
                raise ParameterError(
                    f"A model reference must be 'MODEL@ALIAS' or 'MODEL:VERSION'; got {ref!r}."
                )
            return cls(model, alias=alias)
        if ":" in ref:
            model, _, version = ref.rpartition(":")
            if not model or not version:
                raise ParameterError(
                    f"A model reference must be 'MODEL@ALIAS' or 'MODEL:VERSION'; got {ref!r}."
                )
            return cls(model, version=version)
        return cls(ref)

    def __str__(self) -> str:
        if self.alias is not None:
            return f"{self.model}@{self.alias}"
        if self.version is not None:
            return f"{self.model}:{self.version}"
        return self.model


@dataclass(frozen=True)
class ArtifactRecord:
    """A version's registered artifact."""

    model: str
    version: str
    digest: str
    flavor: str
    size: int
    signature: dict[str, Any] | None
    created: bool

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArtifactRecord:
        """The inverse of :meth:`to_dict`."""
        return cls(
            str(data["model"]), str(data["version"]), str(data["digest"]), str(data["flavor"]),
            int(data["size"]), data.get("signature"), bool(data.get("created", False)),
        )  # fmt: skip


@dataclass(frozen=True)
class ResolvedVersion:
    """What a reference resolved to: the version an alias pointed at at ``at`` (or now)."""

    model: str
    version: str
    alias: str | None
    at: datetime | None
    artifact_digest: str | None
    artifact_flavor: str | None
    artifact_size: int | None
    signature: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values."""
        return {k: _out(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResolvedVersion:
        """The inverse of :meth:`to_dict`."""
        size = data.get("artifact_size")
        return cls(
            str(data["model"]), str(data["version"]), data.get("alias"), _time(data.get("at")),
            data.get("artifact_digest"), data.get("artifact_flavor"),
            None if size is None else int(size), data.get("signature"),
        )  # fmt: skip


@dataclass(frozen=True)
class AliasRecord:
    """One move of an alias: to ``version`` (None: removed) from ``previous``, the
    ``seq``-th move of this alias, by ``actor`` for ``reason`` at ``moved_at``."""

    model: str
    alias: str
    version: str | None
    previous: str | None
    seq: int
    actor: str
    reason: str
    moved_at: datetime
    changed: bool = True

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values."""
        return {k: _out(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AliasRecord:
        """The inverse of :meth:`to_dict`."""
        moved = _time(data["moved_at"])
        assert moved is not None
        return cls(
            str(data["model"]), str(data["alias"]), data.get("version"), data.get("previous"),
            int(data["seq"]), str(data["actor"]), str(data.get("reason", "")), moved,
            bool(data.get("changed", True)),
        )  # fmt: skip


@dataclass(frozen=True)
class DatasetRecord:
    """A registered data set: its fingerprint (sha256 of the content), schema digest,
    rows, source, licence, PII flag and who registered it."""

    id: str
    name: str
    fingerprint: str
    schema_digest: str
    rows: int | None
    source_uri: str
    licence: str
    pii: bool
    created_by: str
    created_at: datetime
    created: bool = True

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values."""
        return {k: _out(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetRecord:
        """The inverse of :meth:`to_dict`."""
        created_at = _time(data["created_at"])
        assert created_at is not None
        rows = data.get("rows")
        return cls(
            str(data["id"]), str(data["name"]), str(data["fingerprint"]),
            str(data["schema_digest"]), None if rows is None else int(rows),
            str(data.get("source_uri", "")), str(data.get("licence", "")),
            bool(data.get("pii", False)), str(data["created_by"]), created_at,
            bool(data.get("created", True)),
        )  # fmt: skip
