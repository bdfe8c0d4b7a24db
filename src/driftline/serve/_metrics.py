"""Prometheus metrics of a serving app, in its own registry (``GET /metrics``)."""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ServeMetrics"]

_LABELS: Final = ("model", "version")
_SIZE_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
_TIME_BUCKETS: Final = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip


class ServeMetrics:
    """Batch size, queue wait and model time histograms, request and log counters."""

    def __init__(self, model: str, version: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.labels = (model, version)
        r = self.registry
        self.batch_size = Histogram(
            "driftline_serve_batch_size_rows", "Rows per model batch.", _LABELS,
            buckets=_SIZE_BUCKETS, registry=r,
        ).labels(*self.labels)  # fmt: skip
        self.queue_wait = Histogram(
            "driftline_serve_queue_wait_seconds", "Time a request waited for its batch to start.",
            _LABELS, buckets=_TIME_BUCKETS, registry=r,
        ).labels(*self.labels)  # fmt: skip
        self.model_time = Histogram(
            "driftline_serve_model_seconds", "Model time per batch.", _LABELS,
            buckets=_TIME_BUCKETS, registry=r,
        ).labels(*self.labels)  # fmt: skip
        self.requests = Counter(
            "driftline_serve_requests_total", "Prediction requests by route and status code.",
            (*_LABELS, "route", "status"), registry=r,
        )  # fmt: skip
        self.rows = Counter(
            "driftline_serve_rows_total", "Rows predicted.", _LABELS, registry=r
        ).labels(*self.labels)
        self.logged = Counter(
            "driftline_serve_log_rows_total",
            "Logged prediction rows by outcome (sent, spilled, rejected, dropped).",
            (*_LABELS, "outcome"), registry=r,
        )  # fmt: skip
        self.queued = Gauge(
            "driftline_serve_queue_rows", "Rows waiting for the model now.", _LABELS, registry=r
        ).labels(*self.labels)

    def observe_batch(self, rows: int, waits: list[float], seconds: float) -> None:
        self.batch_size.observe(rows)
        self.model_time.observe(seconds)
        self.rows.inc(rows)
        for wait in waits:
            self.queue_wait.observe(wait)

    def count_request(self, route: str, status: int) -> None:
        self.requests.labels(*self.labels, route, str(status)).inc()

    def count_log(self, outcome: str, rows: int) -> None:
        self.logged.labels(*self.labels, outcome).inc(rows)
