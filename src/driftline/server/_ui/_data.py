"""What the dashboard pages read from the store: versions, windows (as compact rows),
open alerts, and one window's drift with its reference-vs-current distributions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftline.store import AlertEvent, AlertRule, Model, ModelVersion, Window

__all__ = [
    "Estimate",
    "VersionInfo",
    "WindowRow",
    "drift_charts",
    "firing_alerts",
    "latest_rows",
    "project_versions",
    "timeline_rows",
    "version_info",
    "version_rows",
    "version_stamp",
    "window_model",
    "window_row",
]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Estimate:
    """A metric in one window: value, its interval, and (estimated only) the usual range."""

    value: float | None
    lower: float | None = None
    upper: float | None = None
    band_lower: float | None = None
    band_upper: float | None = None
    outside: bool = False  # outside the usual range (estimated only)


@dataclass(frozen=True)
class WindowRow:
    """The numbers of one window the pages show (parsed once from its results)."""

    key: int
    start: datetime | None
    end: datetime | None
    status: str
    rows: int
    labels: int
    computed: bool
    failed: bool
    drift_share: float | None = None
    drifted: bool | None = None
    drift_columns: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    n_columns: int = 0
    findings: tuple[Mapping[str, Any], ...] = ()
    n_findings: int = 0
    estimated: Mapping[str, Estimate] = field(default_factory=dict)
    realized: Mapping[str, Estimate] = field(default_factory=dict)
    n_realized_labels: int = 0
    skipped: Mapping[str, str] = field(default_factory=dict)

    @property
    def drifted_columns(self) -> list[str]:
        """Drifted features, largest effect first."""
        found = [(n, c) for n, c in self.drift_columns.items() if c.get("drifted")]
        found.sort(key=lambda nc: -abs(_num(nc[1].get("effect_size")) or 0.0))
        return [n for n, _ in found]


def _metrics(part: Any, estimated: bool) -> dict[str, Estimate]:
    metrics = part.get("metrics") if isinstance(part, dict) else None
    if not isinstance(metrics, dict):
        return {}
    out = {}
    for name, m in metrics.items():
        if not isinstance(m, dict):
            continue
        out[str(name)] = Estimate(
            value=_num(m.get("value")),
            lower=_num(m.get("lower")),
            upper=_num(m.get("upper")),
            band_lower=_num(m.get("band_lower")) if estimated else None,
            band_upper=_num(m.get("band_upper")) if estimated else None,
            outside=bool(m.get("alert")) if estimated else False,
        )
    return out


def window_row(w: Window) -> WindowRow:
    """A window as the pages read it (missing parts stay empty)."""
    results = w.results if isinstance(w.results, dict) else None
    failed = bool(w.error) or bool(w.quarantined)
    if results is None:
        return WindowRow(
            w.window_key, _utc(w.start_at), _utc(w.end_at), w.status, w.row_count,
            w.label_count, computed=False, failed=failed,
        )  # fmt: skip
    drift = results.get("drift") if isinstance(results.get("drift"), dict) else None
    quality = results.get("quality") if isinstance(results.get("quality"), dict) else None
    realized = results.get("realized")
    columns = drift.get("columns") if drift is not None else None
    findings = quality.get("findings") if quality is not None else None
    skipped = results.get("skipped")
    kept = tuple(f for f in findings if isinstance(f, dict)) if isinstance(findings, list) else ()
    return WindowRow(
        key=w.window_key,
        start=_utc(w.start_at),
        end=_utc(w.end_at),
        status=w.status,
        rows=w.row_count,
        labels=w.label_count,
        computed=True,
        failed=failed,
        drift_share=None if drift is None else _num(drift.get("share_drifted")),
        drifted=None if drift is None else bool(drift.get("drifted")),
        drift_columns=columns if isinstance(columns, dict) else {},
        n_columns=int(drift.get("n_columns") or 0) if drift is not None else 0,
        findings=kept,
        n_findings=len(kept),
        estimated=_metrics(results.get("estimated"), True),
        realized=_metrics(realized, False),
        n_realized_labels=int(realized.get("n_labels") or 0) if isinstance(realized, dict) else 0,
        skipped={str(k): str(v) for k, v in skipped.items()} if isinstance(skipped, dict) else {},
    )


@dataclass(frozen=True)
class VersionInfo:
    """A model version of the project."""

    model: str
    version: str
    version_id: str
    created_at: datetime | None
    task: str
    window_kind: str
    window_size: int
    has_reference: bool


def _version_info(model: str, v: ModelVersion) -> VersionInfo:
    schema = v.schema if isinstance(v.schema, dict) else {}
    return VersionInfo(
        model=model,
        version=v.version,
        version_id=v.id,
        created_at=_utc(v.created_at),
        task=str(schema.get("task", "binary")),
        window_kind=v.window_kind,
        window_size=v.window_size,
        has_reference=v.reference_profile is not None,
    )


def project_versions(session: Session, project_id: str) -> list[VersionInfo]:
    """Every version of every model of the project, by model name then creation."""
    rows = session.execute(
        select(Model.name, ModelVersion)
        .join(ModelVersion, ModelVersion.model_id == Model.id)
        .where(Model.project_id == project_id)
        .order_by(Model.name, ModelVersion.created_at, ModelVersion.version)
    ).all()
    return [_version_info(name, v) for name, v in rows]


def version_info(session: Session, version_id: str, model: str) -> VersionInfo:
    """The version with this id (it exists: the caller resolved it)."""
    row = session.get(ModelVersion, version_id)
    assert row is not None  # resolved by the route's authorization
    return _version_info(model, row)


def latest_rows(session: Session, version_id: str, n: int) -> list[WindowRow]:
    """The version's last ``n`` windows, oldest first."""
    rows = session.scalars(
        select(Window)
        .where(Window.model_version_id == version_id)
        .order_by(Window.window_key.desc())
        .limit(n)
    ).all()
    return [window_row(w) for w in reversed(rows)]


def version_rows(session: Session, version_id: str) -> list[WindowRow]:
    """Every window of the version, oldest first."""
    rows = session.scalars(
        select(Window).where(Window.model_version_id == version_id).order_by(Window.window_key)
    ).all()
    return [window_row(w) for w in rows]


def window_model(session: Session, version_id: str, key: int) -> Window | None:
    """The stored window (with its profile), or None."""
    return session.scalar(
        select(Window).where(Window.model_version_id == version_id, Window.window_key == key)
    )


def firing_alerts(session: Session, project_id: str) -> dict[str, int]:
    """Open (firing) alerts per version id."""
    rows = session.execute(
        select(AlertEvent.model_version_id)
        .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
        .where(AlertRule.project_id == project_id, AlertEvent.status == "firing")
    ).all()
    out: dict[str, int] = {}
    for (version_id,) in rows:
        if version_id is not None:
            out[version_id] = out.get(version_id, 0) + 1
    return out


def drift_charts(session: Session, version_id: str, window: Window) -> dict[str, dict[str, Any]]:
    """Reference-vs-current chart data per feature of a window (from both profiles); empty
    when either profile is missing."""
    from driftline.drift import DriftDetector
    from driftline.profiles import DatasetProfile

    reference = session.scalar(
        select(ModelVersion.reference_profile).where(ModelVersion.id == version_id)
    )
    if reference is None or window.profile is None:
        return {}
    ref = DatasetProfile.from_bytes(reference)
    cur = DatasetProfile.from_bytes(window.profile)
    columns = [c for c in ref.column_names if c in cur]
    if not columns:
        return {}
    report = DriftDetector(columns=columns, n_jobs=1).fit(ref).compare(cur)
    return {name: dict(col.chart) for name, col in report.columns.items() if col.chart}


_BASE_PATHS: Final = (
    ("drift", "share_drifted"),
    ("drift", "drifted"),
    ("drift", "n_columns"),
    ("quality", "n_findings"),
    ("realized", "n_labels"),
)
_EST_FIELDS: Final = ("value", "lower", "upper", "band_lower", "band_upper", "alert")
_REAL_FIELDS: Final = ("value", "lower", "upper")


def _paths(est_metric: str | None, real_metric: str | None) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = list(_BASE_PATHS)
    if est_metric is not None:
        paths += [("estimated", "metrics", est_metric, f) for f in _EST_FIELDS]
    if real_metric is not None:
        paths += [("realized", "metrics", real_metric, f) for f in _REAL_FIELDS]
    return paths


def _extract(session: Session, version_id: str, paths: list[tuple[str, ...]]) -> list[Any]:
    """Per window (oldest first): its columns and the values at ``paths`` of its results,
    each results document parsed once by the database (SQLite ``json_extract`` with many
    paths; PostgreSQL one ``jsonb`` cast per row)."""
    head = (
        "window_key, start_at, end_at, status, row_count, label_count, "
        "(results IS NOT NULL AND CAST(results AS TEXT) <> 'null') AS computed, error, quarantined"
    )
    params: dict[str, Any] = {"v": version_id}
    if session.get_bind().dialect.name == "postgresql":
        parts = []
        for i, path in enumerate(paths):
            params[f"p{i}"] = list(path)
            parts.append(f"j #> CAST(:p{i} AS text[])")
        sql = (
            f"SELECT {head}, jsonb_build_array({', '.join(parts)}) FROM "
            "(SELECT *, CAST(results AS jsonb) AS j FROM windows WHERE model_version_id = :v) w "
            "ORDER BY window_key"
        )
    else:
        for i, path in enumerate(paths):
            params[f"p{i}"] = "$." + ".".join(f'"{k}"' for k in path)
        extract = f"json_extract(results, {', '.join(f':p{i}' for i in range(len(paths)))})"
        sql = (
            f"SELECT {head}, {extract} FROM windows WHERE model_version_id = :v ORDER BY window_key"
        )
    from sqlalchemy import text

    return list(session.execute(text(sql), params).all())


def timeline_rows(
    session: Session, version_id: str, est_metric: str | None, real_metric: str | None
) -> list[WindowRow]:
    """Every window of the version, oldest first, with only what the timeline and the
    summaries need, extracted by the database (the full results stay unread)."""
    import orjson

    paths = _paths(est_metric, real_metric)
    out = []
    for r in _extract(session, version_id, paths):
        raw = r[9]
        values = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        if not isinstance(values, list) or len(values) != len(paths):
            values = [None] * len(paths)
        share, drifted, n_columns, n_findings, n_labels = values[:5]
        k = 5
        estimated: dict[str, Estimate] = {}
        realized: dict[str, Estimate] = {}
        if est_metric is not None:
            v = values[k : k + 6]
            k += 6
            if _num(v[0]) is not None:
                lo, hi, band_lo, band_hi = (_num(x) for x in v[1:5])
                estimated[est_metric] = Estimate(_num(v[0]), lo, hi, band_lo, band_hi, bool(v[5]))
        if real_metric is not None:
            v = values[k : k + 3]
            if _num(v[0]) is not None:
                realized[real_metric] = Estimate(_num(v[0]), _num(v[1]), _num(v[2]))
        out.append(
            WindowRow(
                key=int(r[0]),
                start=_utc(_as_datetime(r[1])),
                end=_utc(_as_datetime(r[2])),
                status=str(r[3]),
                rows=int(r[4]),
                labels=int(r[5]),
                computed=bool(r[6]),
                failed=bool(r[7]) or bool(r[8]),
                drift_share=_num(share),
                drifted=None if drifted is None else bool(drifted),
                n_columns=int(n_columns or 0),
                n_findings=int(n_findings or 0),
                estimated=estimated,
                realized=realized,
                n_realized_labels=int(n_labels or 0),
            )
        )
    return out


def _as_datetime(value: Any) -> datetime | None:
    """A timestamp column read through plain SQL (SQLite gives text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def version_stamp(session: Session, version_id: str) -> tuple[Any, ...]:
    """Changes when a window of the version is added or marked for recomputation (new rows
    or labels): the number of windows, the last key and the number of dirty windows, all
    read from indexes (never the windows' results)."""
    from sqlalchemy import func

    mine = Window.model_version_id == version_id
    count, last = session.execute(
        select(func.count(), func.max(Window.window_key)).where(mine)
    ).one()
    dirty = session.scalar(select(func.count()).where(Window.dirty.is_(True), mine))
    return (count, last, dirty)
