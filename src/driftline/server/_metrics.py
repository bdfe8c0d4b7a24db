"""Prometheus metrics: one registry per app; model gauges read from the database at scrape.

Labels are names (project, model, version, route template), never ids. They list every
project's models, so ``GET /metrics`` is served only when the ``metrics_token`` setting is
set, and only to requests that send it (``Authorization: Bearer <metrics_token>``).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from driftline.store import Model, ModelVersion, Project, Window

if TYPE_CHECKING:
    from driftline.server._state import ServerState

__all__ = ["ServerMetrics", "install_metrics_route"]

logger = logging.getLogger("driftline.server")
_VERSION_LABELS = ("project", "model", "version")


class _DatabaseCollector(Collector):
    """Per-version gauges of the latest computed window, read at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _rows(self) -> list[Any]:
        computed = (
            select(
                Window.model_version_id.label("vid"),
                func.max(Window.window_key).label("key"),
            )
            .where(Window.computed_at.is_not(None))
            .group_by(Window.model_version_id)
            .subquery()
        )
        totals = (
            select(
                Window.model_version_id.label("vid"),
                func.sum(Window.version).label("computations"),
                func.sum(Window.row_count).label("rows"),
                func.sum(Window.label_count).label("labels"),
            )
            .group_by(Window.model_version_id)
            .subquery()
        )
        query = (
            select(
                Project.name,
                Model.name,
                ModelVersion.version,
                totals.c.computations,
                totals.c.rows,
                totals.c.labels,
                Window.results,
            )
            .select_from(ModelVersion)
            .join(Model, Model.id == ModelVersion.model_id)
            .join(Project, Project.id == Model.project_id)
            .join(totals, totals.c.vid == ModelVersion.id)
            .outerjoin(computed, computed.c.vid == ModelVersion.id)
            .outerjoin(
                Window,
                (Window.model_version_id == computed.c.vid) & (Window.window_key == computed.c.key),
            )
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def collect(self) -> Iterator[Metric]:
        computations = CounterMetricFamily(
            "driftline_window_computations",
            "Window result computations stored, per model version.",
            labels=_VERSION_LABELS,
        )
        rows = GaugeMetricFamily(
            "driftline_stored_rows", "Predictions stored per model version.", labels=_VERSION_LABELS
        )
        labels = GaugeMetricFamily(
            "driftline_labelled_rows", "Predictions with a label.", labels=_VERSION_LABELS
        )
        drift = GaugeMetricFamily(
            "driftline_drift_share",
            "Share of drifted columns in the latest computed window.",
            labels=_VERSION_LABELS,
        )
        drifted = GaugeMetricFamily(
            "driftline_drifted",
            "1 if the latest computed window's dataset verdict is drifted.",
            labels=_VERSION_LABELS,
        )
        estimated = GaugeMetricFamily(
            "driftline_estimated_metric",
            "Estimated performance (CBPE/DLE) in the latest computed window.",
            labels=(*_VERSION_LABELS, "metric"),
        )
        realized = GaugeMetricFamily(
            "driftline_realized_metric",
            "Realized performance in the latest computed window.",
            labels=(*_VERSION_LABELS, "metric"),
        )
        try:
            found = self._rows()
        except Exception:  # the scrape must not fail because the database is away
            logger.warning("metrics: cannot read model gauges from the database", exc_info=True)
            found = []
        for project, model, version, n_comp, n_rows, n_labels, results in found:
            names = [project, model, version]
            computations.add_metric(names, float(n_comp or 0))
            rows.add_metric(names, float(n_rows or 0))
            labels.add_metric(names, float(n_labels or 0))
            if not isinstance(results, dict):
                continue
            part = results.get("drift")
            if isinstance(part, dict) and part.get("share_drifted") is not None:
                drift.add_metric(names, float(part["share_drifted"]))
                drifted.add_metric(names, 1.0 if part.get("drifted") else 0.0)
            for family, key in ((estimated, "estimated"), (realized, "realized")):
                part = results.get(key)
                metrics = part.get("metrics") if isinstance(part, dict) else None
                if not isinstance(metrics, dict):
                    continue
                for metric, value in metrics.items():
                    if isinstance(value, dict) and isinstance(value.get("value"), int | float):
                        family.add_metric([*names, str(metric)], float(value["value"]))
        yield from (computations, rows, labels, drift, drifted, estimated, realized)


class ServerMetrics:
    """The app's registry and the instruments the routes update."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "driftline_http_requests",
            "HTTP requests by route template, method and status code.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "driftline_http_request_duration_seconds",
            "Request latency by route template.",
            ("route", "method"),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=self.registry,
        )
        self.ingest_requests = Counter(
            "driftline_ingest_requests",
            "Prediction ingestion requests by outcome.",
            (*_VERSION_LABELS, "format", "outcome"),
            registry=self.registry,
        )
        self.ingest_rows = Counter(
            "driftline_ingest_rows",
            "Prediction rows received, by what happened to them.",
            (*_VERSION_LABELS, "result"),
            registry=self.registry,
        )
        self.labels = Counter(
            "driftline_ingest_labels",
            "Labels received, joined now or kept pending.",
            (*_VERSION_LABELS, "result"),
            registry=self.registry,
        )
        self.registry.register(_DatabaseCollector(engine))

    def exposition(self) -> bytes:
        """The text exposition of every metric (runs the database query)."""
        return bytes(generate_latest(self.registry))


def install_metrics_route(app: FastAPI, state: ServerState) -> None:
    """Add ``GET /metrics`` when metrics are enabled and a ``metrics_token`` is set.

    A request without that bearer token gets 401 (and counts as a failed authentication
    of its address, like a bad API token); API tokens do not open it.
    """
    token = state.settings.metrics_token
    if not state.settings.metrics_enabled or token is None:
        return
    expected = token.get_secret_value().encode()

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        from driftline.server._auth import check_failures, client_address, record_failure
        from driftline.server._errors import ApiError

        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            address = client_address(request)
            check_failures(state, address)
            record_failure(state, address)
            raise ApiError(
                401,
                "GET /metrics needs 'Authorization: Bearer <metrics_token>' (the server's "
                "DRIFTLINE_METRICS_TOKEN); API tokens do not open it.",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        body = await run_in_threadpool(state.metrics.exposition)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
