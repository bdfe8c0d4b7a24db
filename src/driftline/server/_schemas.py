"""Pydantic v2 request and response models (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AlertActionIn",
    "AlertActionOut",
    "AlertEventOut",
    "AlertRuleIn",
    "AlertRuleOut",
    "AlertRulePatch",
    "ChannelIn",
    "ChannelOut",
    "HealthOut",
    "IngestOut",
    "LabelsOut",
    "MeOut",
    "ModelIn",
    "ModelOut",
    "Point",
    "ProfileOut",
    "ProjectOut",
    "ReferenceOut",
    "RejectedRowOut",
    "RowWindow",
    "SchemaIn",
    "TimeWindow",
    "TimeseriesOut",
    "TokenCreated",
    "TokenIn",
    "TokenOut",
    "UtcDatetime",
    "VersionIn",
    "VersionOut",
    "WindowOut",
    "WindowSummary",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~-]*$"
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NAME_PATTERN)]
VersionName = Annotated[str, Field(min_length=1, max_length=64, pattern=NAME_PATTERN)]
ColumnName = Annotated[str, Field(min_length=1, max_length=200)]
Role = Literal["viewer", "editor", "admin"]


def _to_utc(value: datetime) -> datetime:
    """Aware in UTC (naive = UTC); a moment that leaves the datetime range in UTC is invalid."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{value.isoformat()} is outside the range of dates once converted to UTC"
        ) from None


#: A datetime normalized to UTC; 422 (not an overflow later) when UTC cannot hold it.
UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]


def _nul_path(value: Any, path: str = "", depth: int = 0) -> str | None:
    """Where a NUL byte sits in a JSON-like value (a key or a string), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if depth > 64:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return f"{path}.{key!r}" if path else repr(key)
            found = _nul_path(item, f"{path}.{key}" if path else str(key), depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _nul_path(item, f"{path}[{i}]", depth + 1)
            if found is not None:
                return found
    return None


class _In(BaseModel):
    """A request body: unknown fields and NUL bytes (in any string or key) are refused."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = _nul_path(data)
        if where is not None:
            raise ValueError(
                f"{where or 'the body'} holds a NUL byte (\\u0000); names, ids and URLs must "
                "be printable text"
            )
        return data


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unavailable"]
    monitor: Literal["running", "off", "unavailable"]


class MeOut(BaseModel):
    project: str
    role: Role
    token_id: str


class ProjectOut(BaseModel):
    name: str
    created_at: datetime
    models: list[str]


class ModelIn(_In):
    name: Name


class ModelOut(BaseModel):
    name: str
    created_at: datetime
    versions: list[str]


class SchemaIn(_In):
    """A version schema (``VersionSchema.to_dict()``)."""

    features: dict[ColumnName, Literal["numeric", "categorical", "boolean", "datetime", "text"]] = (
        Field(min_length=1, max_length=10_000)
    )
    task: Literal["binary", "multiclass", "regression"] = "binary"
    id_column: ColumnName = "prediction_id"
    timestamp_column: ColumnName = "timestamp"
    score_column: ColumnName | None = "score"
    prediction_column: ColumnName | None = "prediction"


class TimeWindow(_In):
    kind: Literal["time"]
    size_seconds: int = Field(default=3600, ge=1, le=366 * 86400)
    align: Literal["calendar", "epoch"] = Field(
        default="calendar",
        description="calendar: windows of whole weeks start on Mondays 00:00 UTC (ISO weeks); "
        "epoch: at multiples of their width since 1970-01-01 (a Thursday). Days, hours and "
        "minutes start at midnight, the hour and the minute either way.",
    )


class RowWindow(_In):
    kind: Literal["rows"]
    size: int = Field(default=10_000, ge=1, le=1_000_000_000)


class VersionIn(_In):
    version: VersionName
    schema_: SchemaIn = Field(alias="schema")
    window: Annotated[TimeWindow | RowWindow, Field(discriminator="kind")] = TimeWindow(kind="time")


class VersionOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    model: str
    version: str
    schema_: dict[str, Any] = Field(alias="schema")
    window: dict[str, Any]
    has_reference_profile: bool
    has_reference_data: bool
    created_at: datetime


class ReferenceOut(BaseModel):
    version: str
    kind: Literal["data", "profile"]
    rows: int
    profiled_columns: list[str]
    kept_columns: list[str]


class RejectedRowOut(BaseModel):
    row: int
    prediction_id: str | None
    reasons: list[str]


class IngestOut(BaseModel):
    accepted: int
    prediction_ids: list[str]
    duplicates: list[str]
    rejected: list[RejectedRowOut]
    stored: bool


class LabelsOut(BaseModel):
    joined: int
    pending: int
    rejected: list[RejectedRowOut] = Field(
        default_factory=list, description="Labels refused, with the reasons (others stored)."
    )


class ProfileOut(BaseModel):
    window_key: int
    rows: int


class WindowSummary(BaseModel):
    window_key: int
    start: datetime | None
    end: datetime | None
    status: Literal["open", "closed"]
    rows: int
    labels: int
    dirty: bool
    computed_at: datetime | None
    drifted: bool | None
    share_drifted: float | None
    n_quality_findings: int | None
    failures: int = 0  # computations that failed in a row (0 after a success)
    error: str | None = None  # the last failure's message
    retry_at: datetime | None = None  # when the monitor tries again
    quarantined: bool = False  # failed so often that it is retried only rarely


class WindowOut(WindowSummary):
    results: dict[str, Any] | None


class Point(BaseModel):
    t: datetime | None
    window_key: int
    value: float | None
    lower: float | None = None
    upper: float | None = None


class TimeseriesOut(BaseModel):
    series: dict[str, list[Point]]


class ChannelIn(BaseModel):
    """A notification channel; what GET shows (``has_secret``, masked URL) may be sent back."""

    model_config = ConfigDict(extra="allow")  # a registered channel type may add fields

    type: str = Field(description="A registered channel type: webhook, slack or retrain.")
    url: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^https?://")]
    secret: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="Left out: kept; null: removed (signed types only)."
    )
    has_secret: bool | None = Field(
        default=None, description="As GET shows it: true keeps the secret, false removes it."
    )
    allow_private: bool = Field(
        default=False, description="Allow private/loopback receivers (admin tokens only)."
    )


class ChannelOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    url: str = Field(description="Query strings (and Slack webhook paths) are masked.")
    allow_private: bool
    has_secret: bool | None = None


AlertKind = Literal["drift", "estimated_metric", "realized_metric", "data_quality", "volume_drop"]
RuleName = Annotated[str, Field(min_length=1, max_length=200)]
_READ_ONLY = "Read-only, accepted so that a rule can be sent back as GET shows it"


class AlertRuleIn(_In):
    """An alert rule; ``config`` is validated for ``kind`` (see docs/alerts.md)."""

    id: str | None = Field(default=None, description=f"{_READ_ONLY} (must match the path).")
    name: RuleName
    kind: AlertKind
    config: dict[str, Any] = Field(default_factory=dict)
    model: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    cooldown_seconds: int = Field(default=3600, ge=0, le=30 * 86400)
    enabled: bool = True
    channels: list[ChannelIn] = Field(default_factory=list, max_length=20)
    created_at: datetime | None = Field(default=None, description=f"{_READ_ONLY} (ignored).")


class AlertRulePatch(_In):
    id: str | None = Field(default=None, description=f"{_READ_ONLY} (must match the path).")
    name: RuleName | None = None
    kind: AlertKind | None = None
    config: dict[str, Any] | None = None
    model: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    cooldown_seconds: int | None = Field(default=None, ge=0, le=30 * 86400)
    enabled: bool | None = None
    channels: list[ChannelIn] | None = Field(default=None, max_length=20)
    created_at: datetime | None = Field(default=None, description=f"{_READ_ONLY} (ignored).")


class AlertRuleOut(BaseModel):
    id: str
    name: str
    kind: str
    config: dict[str, Any]
    model: str | None
    cooldown_seconds: int
    enabled: bool
    channels: list[ChannelOut]
    created_at: datetime | None


class AlertActionOut(BaseModel):
    """One acknowledgement or resolution by a person, as recorded on the alert."""

    action: Literal["acknowledge", "resolve"]
    by: str
    at: datetime
    comment: str = ""


class AlertEventOut(BaseModel):
    id: str
    rule_id: str
    status: str
    severity: str | None = None
    message: str | None = None
    condition: Any = None
    dedupe_key: str
    model: str | None = None
    version: str | None = None
    window: Any = None
    values: Any = None
    rule: Any = None
    fired_at: datetime | None
    resolved_at: datetime | None
    notified_at: datetime | None
    delivery_attempts: int
    delivery_error: str | None
    channels_delivered: int
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    actions: list[AlertActionOut] = Field(default_factory=list)


class AlertActionIn(_In):
    comment: Annotated[
        str, Field(max_length=2000, description="Why: recorded with the action.")
    ] = ""


class TokenIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role = "viewer"
    expires_at: UtcDatetime | None = None


class TokenOut(BaseModel):
    token_id: str
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None


class TokenCreated(TokenOut):
    secret: str = Field(description="The token; shown this once, never stored.")
