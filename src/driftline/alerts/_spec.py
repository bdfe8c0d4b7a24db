"""Alert rules as data: :class:`RuleSpec` and the per-kind configs.

A rule is stored in ``alert_rules`` with its kind config and its ``channels`` together in
the ``config`` JSON column; :meth:`RuleSpec.to_row` and :meth:`RuleSpec.from_row` convert.
Channels are the registered channel types (``alerts/_registry.py``). Needs neither
SQLAlchemy nor httpx: ``from driftline.alerts import RuleSpec`` works on a core install.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypeAlias

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from driftline.alerts._registry import ChannelSpec, parse_channel
from driftline.alerts._resolve import resolve_channels
from driftline.exceptions import ParameterError
from driftline.metrics import METRICS

if TYPE_CHECKING:
    from driftline.store import AlertRule

__all__ = [
    "KINDS",
    "Channel",
    "DataQualityConfig",
    "DriftConfig",
    "EstimatedMetricConfig",
    "RealizedMetricConfig",
    "RuleConfig",
    "RuleSpec",
    "StoredRule",
    "VolumeDropConfig",
    "format_validation_error",
]

Kind: TypeAlias = Literal[
    "drift", "estimated_metric", "realized_metric", "data_quality", "volume_drop"
]
#: The rule kinds, in the order of the contract.
KINDS: Final = ("drift", "estimated_metric", "realized_metric", "data_quality", "volume_drop")


def _estimated() -> tuple[str, ...]:
    """Metrics the monitor estimates before labels arrive: the registry's estimable ones."""
    return tuple(n for n, s in METRICS.items() if s.estimable)


def lower_is_better(metric: str) -> bool:
    """Whether a lower value of ``metric`` is better (from the metric registry)."""
    spec = METRICS.get(metric)
    return spec is not None and not spec.greater_is_better


_MAX_CHANNELS = 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _finite(name: str, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"'{name}' must be a finite number; got {value!r}")
    return value


def _names(name: str, values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    if not values:
        raise ValueError(f"'{name}' must be null (all) or a non-empty list of names; got []")
    if any(not v.strip() for v in values):
        raise ValueError(f"'{name}' must not contain empty names")
    if len(set(values)) != len(values):
        raise ValueError(f"'{name}' must not repeat a name; got {values!r}")
    return values


class DriftConfig(_Strict):
    """``drift``: fires when the window's dataset verdict is drifted, or when at least
    ``min_drifted`` of the listed ``columns`` drifted."""

    columns: list[str] | None = None
    min_drifted: int = Field(1, ge=1)

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: list[str] | None) -> list[str] | None:
        return _names("columns", value)

    @model_validator(mode="after")
    def _enough_columns(self) -> DriftConfig:
        if self.columns is not None and self.min_drifted > len(self.columns):
            raise ValueError(
                f"'min_drifted' ({self.min_drifted}) cannot exceed the number of listed "
                f"columns ({len(self.columns)})"
            )
        return self


class EstimatedMetricConfig(_Strict):
    """``estimated_metric``: fires when the estimated ``metric`` leaves its band on the bad
    side (``below_band``; above the band for error metrics such as ``mae``) or crosses
    ``threshold`` (below it, or above it for error metrics)."""

    metric: str
    below_band: bool = True
    threshold: float | None = None

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value not in _estimated():
            raise ValueError(f"'metric' must be one of {list(_estimated())}; got {value!r}")
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: float | None) -> float | None:
        return _finite("threshold", value)

    @model_validator(mode="after")
    def _can_fire(self) -> EstimatedMetricConfig:
        if not self.below_band and self.threshold is None:
            raise ValueError(
                "an estimated_metric rule needs 'below_band': true or a 'threshold' "
                "(with neither it could never fire)"
            )
        return self


class RealizedMetricConfig(_Strict):
    """``realized_metric``: fires when ``value <op> threshold`` once the window has at least
    ``min_labels`` labels."""

    metric: str
    op: Literal["<", "<=", ">", ">="]
    threshold: float
    min_labels: int = Field(100, ge=1)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"'metric' must be one of {list(METRICS)}; got {value!r}")
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: float) -> float:
        _finite("threshold", value)
        return value


class DataQualityConfig(_Strict):
    """``data_quality``: fires on findings of at least ``min_severity`` (of the listed
    ``checks`` only, when given)."""

    checks: list[str] | None = None
    min_severity: Literal["warning", "error"] = "error"

    @field_validator("checks")
    @classmethod
    def _checks(cls, value: list[str] | None) -> list[str] | None:
        return _names("checks", value)


class VolumeDropConfig(_Strict):
    """``volume_drop``: fires when a closed window has fewer rows than ``fraction`` × the
    median rows of the previous ``baseline_windows`` closed windows (needs at least
    ``min_baseline`` of them)."""

    fraction: float = Field(0.5, gt=0.0, le=1.0)
    baseline_windows: int = Field(24, ge=1, le=1000)
    min_baseline: int = Field(3, ge=1)

    @model_validator(mode="after")
    def _baseline(self) -> VolumeDropConfig:
        if self.min_baseline > self.baseline_windows:
            raise ValueError(
                f"'min_baseline' ({self.min_baseline}) cannot exceed 'baseline_windows' "
                f"({self.baseline_windows})"
            )
        return self


RuleConfig: TypeAlias = (
    DriftConfig
    | EstimatedMetricConfig
    | RealizedMetricConfig
    | DataQualityConfig
    | VolumeDropConfig
)
_CONFIGS: Final[dict[str, type[RuleConfig]]] = {
    "drift": DriftConfig,
    "estimated_metric": EstimatedMetricConfig,
    "realized_metric": RealizedMetricConfig,
    "data_quality": DataQualityConfig,
    "volume_drop": VolumeDropConfig,
}


#: A rule's channel: any registered channel type, chosen by its ``type`` key.
Channel: TypeAlias = SerializeAsAny[Annotated[ChannelSpec, BeforeValidator(parse_channel)]]


def format_validation_error(exc: ValidationError, what: str = "alert rule") -> str:
    """One line naming every invalid field: ``config.metric: ...; channels.0.url: ...``."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(rule)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return f"Invalid {what}: " + "; ".join(parts) + "."


class RuleSpec(BaseModel):
    """An alert rule: what to watch (``kind`` + ``config``), for which model, where to notify.

    ``model`` is a model name (None: every model of the project). ``config`` is validated
    for the ``kind``; invalid input raises pydantic's ``ValidationError`` (the server turns
    it into a 422) naming each field and its allowed values. :meth:`from_dict` raises
    :class:`~driftline.exceptions.ParameterError` with the same information on one line.

    >>> spec = RuleSpec(name="auc", kind="estimated_metric", config={"metric": "roc_auc"},
    ...                 channels=[{"type": "webhook", "url": "https://hooks.example.com/a",
    ...                            "secret": "s" * 32}])
    >>> spec.config.below_band, spec.cooldown_seconds
    (True, 3600)
    >>> spec.public_dict()["channels"][0]["has_secret"]
    True
    >>> RuleSpec.from_dict({"name": "x", "kind": "estimated_metric", "config": {"metric": "auc"}})
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: Invalid alert rule: config.metric: 'metric' must be one of ['roc_auc', 'f1', 'precision', 'recall', 'accuracy', 'specificity', 'mae', 'rmse', 'mape']; got 'auc'.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    config: RuleConfig
    model: str | None = Field(None, min_length=1, max_length=200)
    cooldown_seconds: int = Field(3600, ge=0, le=30 * 86400)
    enabled: bool = True
    channels: list[Channel] = Field(default_factory=list, max_length=_MAX_CHANNELS)

    @field_validator("config", mode="before")
    @classmethod
    def _config_for_kind(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        if kind not in _CONFIGS:
            raise ValueError("cannot be validated because 'kind' is invalid")
        config_type = _CONFIGS[kind]
        if value is None:
            value = {}
        if isinstance(value, BaseModel):
            if not isinstance(value, config_type):
                raise ValueError(
                    f"a {type(value).__name__} is not the config of a {kind!r} rule "
                    f"(expected {config_type.__name__})"
                )
            return value
        return config_type.model_validate(value)

    # conversions -----------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSpec:
        """Validate ``data``; raise :class:`ParameterError` with one line listing the problems."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ParameterError(format_validation_error(exc)) from None

    def config_dict(self) -> dict[str, Any]:
        """The kind config as plain JSON-able data (no channels)."""
        return self.config.model_dump(mode="json")

    def public_dict(self) -> dict[str, Any]:
        """The rule as the API shows it: secrets left out (``has_secret`` instead)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "config": self.config_dict(),
            "model": self.model,
            "cooldown_seconds": self.cooldown_seconds,
            "enabled": self.enabled,
            "channels": [c.public_dict() for c in self.channels],
        }

    def storage_config(self) -> dict[str, Any]:
        """The ``alert_rules.config`` JSON: the kind config plus ``channels`` (with secrets)."""
        return {**self.config_dict(), "channels": [c.storage_dict() for c in self.channels]}

    def to_row(self, project_id: str, model_id: str | None) -> AlertRule:
        """A new (unsaved) ``AlertRule`` row; ``model_id`` is ``model`` resolved by the caller."""
        from driftline.store import AlertRule

        if (model_id is None) != (self.model is None):
            raise ParameterError(
                "RuleSpec.to_row needs a 'model_id' exactly when the rule names a 'model' "
                f"(model={self.model!r}, model_id={model_id!r})."
            )
        return AlertRule(
            project_id=project_id,
            model_id=model_id,
            name=self.name,
            kind=self.kind,
            config=self.storage_config(),
            enabled=self.enabled,
            cooldown_seconds=self.cooldown_seconds,
        )

    def apply_to_row(self, row: AlertRule, model_id: str | None) -> None:
        """Write this spec into an existing ``AlertRule`` row (an update)."""
        fresh = self.to_row(row.project_id, model_id)
        row.model_id = fresh.model_id
        row.name = fresh.name
        row.kind = fresh.kind
        row.config = fresh.config
        row.enabled = fresh.enabled
        row.cooldown_seconds = fresh.cooldown_seconds

    @classmethod
    def from_row(cls, row: AlertRule, model_name: str | None = None) -> RuleSpec:
        """The spec of a stored rule; ``model_name`` is the name of ``row.model_id``."""
        config = dict(row.config)
        channels = config.pop("channels", [])
        return cls.model_validate(
            {
                "name": row.name,
                "kind": row.kind,
                "config": config,
                "model": model_name,
                "cooldown_seconds": row.cooldown_seconds,
                "enabled": row.enabled,
                "channels": channels,
            }
        )

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> RuleSpec:
        """A new rule from an API body: like :meth:`from_dict`, and channels may carry what
        the API shows (``"secret": null``, ``"has_secret": false``); a masked URL or
        ``"has_secret": true`` is refused, as there is no stored channel to take it from."""
        body = {"config": {}, **data}
        body["channels"] = resolve_channels(body.get("channels", []))
        return cls.from_dict(body)

    def _data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "config": self.config_dict(),
            "model": self.model,
            "cooldown_seconds": self.cooldown_seconds,
            "enabled": self.enabled,
            "channels": [c.storage_dict() for c in self.channels],
        }

    def _check_fields(self, data: Mapping[str, Any]) -> None:
        unknown = set(data) - set(type(self).model_fields)
        if unknown:
            raise ParameterError(
                f"Invalid alert rule: unknown field(s) {sorted(unknown)}; allowed: "
                f"{sorted(type(self).model_fields)}."
            )

    def patched(self, changes: Mapping[str, Any]) -> RuleSpec:
        """A new spec with ``changes`` applied (a PATCH body).

        ``config`` replaces the whole kind config; changing ``kind`` needs a new ``config``.
        Channels may be sent back as the API shows them: a masked URL keeps the real one,
        a channel without ``secret`` keeps its secret, ``"secret": null`` (or
        ``"has_secret": false``) removes it (see ``alerts/_resolve.py``).
        """
        self._check_fields(changes)
        if "kind" in changes and changes["kind"] != self.kind and "config" not in changes:
            raise ParameterError(
                "Invalid alert rule: changing 'kind' needs a new 'config' for the new kind."
            )
        data = {**self._data(), **changes}
        if "channels" in changes:
            data["channels"] = resolve_channels(changes["channels"], self.channels)
        return type(self).from_dict(data)

    def replaced(self, data: Mapping[str, Any]) -> RuleSpec:
        """The spec that replaces this one with ``data`` (a PUT body: fields left out take
        their defaults), channels resolved against this rule's as :meth:`patched` does."""
        self._check_fields(data)
        body = {"config": {}, **data}
        body["channels"] = resolve_channels(body.get("channels", []), self.channels)
        return type(self).from_dict(body)

    def private_channels(self) -> set[tuple[str, str]]:
        """``(type, url)`` of the channels that set ``allow_private`` (a privileged option)."""
        return {(c.type, c.url) for c in self.channels if c.allow_private}


@dataclass(frozen=True)
class StoredRule:
    """A rule as stored: its id, project, resolved model id, spec and creation time."""

    id: str
    project_id: str
    model_id: str | None
    spec: RuleSpec
    created_at: datetime | None = None

    @classmethod
    def from_row(cls, row: AlertRule, model_name: str | None = None) -> StoredRule:
        """Wrap an ``AlertRule`` row (``model_name`` is the name of ``row.model_id``)."""
        return cls(row.id, row.project_id, row.model_id, RuleSpec.from_row(row, model_name),
                   row.created_at)  # fmt: skip

    def public_dict(self) -> dict[str, Any]:
        """The rule as the API shows it (no secrets), with ``id`` and ``created_at``."""
        created = None if self.created_at is None else self.created_at.astimezone(UTC).isoformat()
        return {"id": self.id, **self.spec.public_dict(), "created_at": created}
