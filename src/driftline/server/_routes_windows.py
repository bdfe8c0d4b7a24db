"""Windows of a version's prediction stream: summaries, full results, time series."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from driftline.exceptions import ParameterError
from driftline.server._auth import ProjectContext, project_access, resolve_version
from driftline.server._errors import ApiError
from driftline.server._schemas import Point, TimeseriesOut, UtcDatetime, WindowOut, WindowSummary
from driftline.server._state import state_of
from driftline.store import VersionSchema, Window

__all__ = ["router"]

API_PREFIX = "/api/v1"

router = APIRouter(prefix=API_PREFIX, tags=["windows"])
VERSION: Final = "/projects/{project}/models/{model}/versions/{version}"
DEFAULT_SERIES: Final = "volume.rows,drift.share_drifted"
MAX_POINTS: Final = 10_000
#: A window key is a signed 64-bit integer in the database (a larger one names no window).
WindowKey = Annotated[int, Path(ge=-(2**63), le=2**63 - 1, description="The window's key.")]


def _summary_fields(w: Window) -> dict[str, Any]:
    results = w.results if isinstance(w.results, dict) else {}
    drift = results.get("drift") if isinstance(results.get("drift"), dict) else None
    quality = results.get("quality") if isinstance(results.get("quality"), dict) else None
    return {
        "window_key": w.window_key,
        "start": w.start_at,
        "end": w.end_at,
        "status": w.status,
        "rows": w.row_count,
        "labels": w.label_count,
        "dirty": w.dirty,
        "computed_at": w.computed_at,
        "drifted": None if drift is None else bool(drift.get("drifted")),
        "share_drifted": None if drift is None else drift.get("share_drifted"),
        "n_quality_findings": None if quality is None else quality.get("n_findings"),
        "failures": w.failures,
        "error": w.error,
        "retry_at": w.retry_at,
        "quarantined": w.quarantined,
    }


def _window(session: Session, version_id: str, version: str, window_key: int) -> Window:
    """The version's window with ``window_key``, or a 404."""
    w = session.scalar(
        select(Window).where(Window.model_version_id == version_id, Window.window_key == window_key)
    )
    if w is None:
        raise ApiError(404, f"No window with key {window_key} for version {version!r}.")
    return w


def _query(version_id: str, since: datetime | None, until: datetime | None) -> Any:
    query = select(Window).where(Window.model_version_id == version_id)
    if since is not None:  # already in UTC (naive = UTC): see UtcDatetime
        query = query.where(Window.start_at >= since)
    if until is not None:
        query = query.where(Window.start_at < until)
    return query


@router.get(VERSION + "/windows", response_model=list[WindowSummary], summary="Window summaries")
async def list_windows(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    since: Annotated[UtcDatetime | None, Query(description="Windows starting at or after.")] = None,
    until: Annotated[UtcDatetime | None, Query(description="Windows starting before.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_POINTS)] = 500,
) -> list[WindowSummary]:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)

    def read() -> list[WindowSummary]:
        query = _query(vctx.version_id, since, until)
        query = query.order_by(Window.window_key.desc()).limit(limit)
        with state.sessions() as session:
            rows = list(session.scalars(query).all())
        rows.reverse()
        return [WindowSummary(**_summary_fields(w)) for w in rows]

    return await run_in_threadpool(read)


@router.get(VERSION + "/windows/{window_key}", response_model=WindowOut, summary="One window")
async def get_window(
    request: Request,
    model: str,
    version: str,
    window_key: WindowKey,
    ctx: Annotated[ProjectContext, project_access("viewer")],
) -> WindowOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)

    def read() -> WindowOut:
        with state.sessions() as session:
            w = _window(session, vctx.version_id, version, window_key)
            return WindowOut(**_summary_fields(w), results=w.results)

    return await run_in_threadpool(read)


_EXPORT_TYPES: Final = {
    "arrow": "application/vnd.apache.arrow.stream",
    "parquet": "application/vnd.apache.parquet",
}


def _with_labels(rows: pa.Table, index: pa.Table) -> pa.Table:
    """The window's stored rows with their current label and label time, in arrival order."""
    labels = index.select(["prediction_id", "label", "label_at"])
    keep = [c for c in rows.column_names if c not in ("label", "label_at")]
    order = pa.array(range(rows.num_rows), pa.int64())
    joined = (
        rows.select(keep)
        .append_column("__order", order)
        .join(labels, "prediction_id", join_type="left outer")
    )
    return joined.sort_by("__order").drop_columns(["__order"])


def _user_names(table: pa.Table, schema: VersionSchema) -> pa.Table:
    """The export under the column names the version was registered with (its id,
    timestamp, score and prediction columns), as the rows were sent; ``label`` and
    ``label_at`` keep their names."""
    names = {
        "prediction_id": schema.id_column,
        "timestamp": schema.timestamp_column,
        "score": schema.score_column,
        "prediction": schema.prediction_column,
    }
    return table.rename_columns([names.get(c) or c for c in table.column_names])


@router.get(
    VERSION + "/windows/{window_key}/predictions",
    summary="A window's stored predictions with their labels (Arrow IPC stream or Parquet)",
    response_class=Response,
    responses={
        200: {
            "description": "Every stored row of the window, under the version's column "
            "names (its id, timestamp, score and prediction columns), with `label` and "
            "`label_at`.",
            "content": {media: {} for media in _EXPORT_TYPES.values()},
        }
    },
)
async def window_predictions(
    request: Request,
    model: str,
    version: str,
    window_key: WindowKey,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    format: Annotated[
        Literal["arrow", "parquet"], Query(description="Body format of the export.")
    ] = "arrow",
) -> Response:
    """Export a window's rows (what a retraining job needs; the retrain hook links here)."""
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)

    def read() -> bytes:
        with state.sessions() as session:
            window_id = _window(session, vctx.version_id, version, window_key).id
        try:
            rows = state.store.read_window(window_id)
        except ParameterError:  # no batches: the window holds only a precomputed profile
            raise ApiError(
                404,
                f"Window {window_key} of version {version!r} has no stored rows (it holds only "
                "a precomputed profile).",
            ) from None
        table = _with_labels(rows, state.store.read_index(window_id))
        table = _user_names(table, state.store.schema(vctx.version_id))
        sink = io.BytesIO()
        if format == "parquet":
            pq.write_table(table, sink, compression="zstd")
        else:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
        return sink.getvalue()

    body = await run_in_threadpool(read)
    return Response(content=body, media_type=_EXPORT_TYPES[format])


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, int | float) else None


def _point(w: Window, name: str) -> Point:
    t = w.start_at if w.start_at is not None else w.created_at
    if name == "volume.rows":
        return Point(t=t, window_key=w.window_key, value=float(w.row_count))
    if name == "volume.labels":
        return Point(t=t, window_key=w.window_key, value=float(w.label_count))
    results = w.results if isinstance(w.results, dict) else {}
    head, _, rest = name.partition(".")
    if head in ("estimated", "realized"):
        part = results.get(head)
        metrics = part.get("metrics") if isinstance(part, dict) else None
        entry = metrics.get(rest) if isinstance(metrics, dict) else None
        if isinstance(entry, dict):
            return Point(
                t=t,
                window_key=w.window_key,
                value=_number(entry.get("value")),
                lower=_number(entry.get("band_lower", entry.get("lower"))),
                upper=_number(entry.get("band_upper", entry.get("upper"))),
            )
        return Point(t=t, window_key=w.window_key, value=None)
    node: Any = results
    for key in name.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return Point(t=t, window_key=w.window_key, value=_number(node))


@router.get(
    VERSION + "/timeseries",
    response_model=TimeseriesOut,
    summary="Per-window series for charts (dotted paths into the window results)",
)
async def timeseries(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    series: Annotated[
        str,
        Query(
            max_length=2000,
            description="Comma-separated: volume.rows, volume.labels, drift.share_drifted, "
            "estimated.<metric>, realized.<metric>, volume.label_delay_seconds.median, ...",
        ),
    ] = DEFAULT_SERIES,
    since: Annotated[UtcDatetime | None, Query()] = None,
    until: Annotated[UtcDatetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_POINTS)] = 1000,
) -> TimeseriesOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    names = [s.strip() for s in series.split(",") if s.strip()]
    if not names or len(names) > 50:
        raise ApiError(400, "Give 1 to 50 comma-separated series names in 'series'.")

    def read() -> TimeseriesOut:
        query = _query(vctx.version_id, since, until)
        query = query.order_by(Window.window_key.desc()).limit(limit)
        with state.sessions() as session:
            rows = list(session.scalars(query).all())
        rows.reverse()
        return TimeseriesOut(series={n: [_point(w, n) for w in rows] for n in names})

    return await run_in_threadpool(read)
