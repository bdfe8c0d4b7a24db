"""Operational budgets measured on the candidate: latency, throughput, size, memory."""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from driftline.exceptions import ParameterError
from driftline.gate._registry import CheckOutcome, CheckSpec, fmt, register_check

if TYPE_CHECKING:
    from driftline.gate._context import GateContext
    from driftline.gate._models import LoadedModel

__all__ = ["ArtifactSizeCheck", "LatencyCheck", "MemoryCheck", "ThroughputCheck"]


def _model(ctx: GateContext, check: str) -> LoadedModel:
    if ctx.candidate.predict is None:
        raise ParameterError(
            f"The check {check!r} measures the model itself; the candidate is a file of "
            "precomputed predictions. Pass a model (.onnx, .skops or an estimator)."
        )
    return ctx.candidate


def _batch(ctx: GateContext, size: int) -> pd.DataFrame:
    x = ctx.X
    if len(x) >= size:
        return x.iloc[:size]
    reps = -(-size // max(len(x), 1))
    return pd.concat([x] * reps, ignore_index=True).iloc[:size]


@register_check("latency")
class LatencyCheck(CheckSpec):
    """p95 wall-clock time of one single-row prediction (a one-row DataFrame per call,
    built before timing), after ``warmup`` untimed calls, at most ``p95_ms``.

    >>> LatencyCheck(p95_ms=20).label
    'p95 single-row latency <= 20 ms'
    """

    kind: Literal["latency"] = "latency"
    measured: ClassVar[bool] = True
    p95_ms: float = Field(gt=0.0)
    n_calls: int = Field(default=200, ge=20, le=100_000)
    warmup: int = Field(default=10, ge=0)

    def describe(self) -> str:
        return f"p95 single-row latency <= {self.p95_ms:g} ms"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        model = _model(ctx, self.label)
        x = ctx.X
        idx = np.arange(self.n_calls + self.warmup) % len(x)
        rows = [x.iloc[[int(i)]] for i in idx]
        times = np.empty(self.n_calls)
        for k, row in enumerate(rows):
            t0 = time.perf_counter()
            model.score(row)
            if k >= self.warmup:
                times[k - self.warmup] = time.perf_counter() - t0
        ms = times * 1e3
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        ok = bool(p95 <= self.p95_ms)
        reason = (
            f"p95 {fmt(p95)} ms {'<=' if ok else 'violates <='} {self.p95_ms:g} ms "
            f"(p50 {fmt(p50)}, p99 {fmt(p99)}, {self.n_calls} calls)"
        )
        return CheckOutcome(ok, float(p95), self.p95_ms, "<=", reason,
                            details={"p50_ms": float(p50), "p99_ms": float(p99)})  # fmt: skip


@register_check("throughput")
class ThroughputCheck(CheckSpec):
    """Rows per second of batch prediction (median of ``repeats`` runs) at least
    ``min_rows_per_second``.

    >>> ThroughputCheck(min_rows_per_second=1e4).label
    'batch throughput >= 10000 rows/s'
    """

    kind: Literal["throughput"] = "throughput"
    measured: ClassVar[bool] = True
    min_rows_per_second: float = Field(gt=0.0)
    batch_size: int = Field(default=10_000, ge=1)
    repeats: int = Field(default=3, ge=1, le=50)

    def describe(self) -> str:
        return f"batch throughput >= {self.min_rows_per_second:g} rows/s"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        model = _model(ctx, self.label)
        batch = _batch(ctx, self.batch_size)
        model.score(batch.iloc[: min(100, len(batch))])  # warm-up
        times = []
        for _ in range(self.repeats):
            t0 = time.perf_counter()
            model.score(batch)
            times.append(time.perf_counter() - t0)
        rate = len(batch) / max(float(np.median(times)), 1e-9)
        ok = rate >= self.min_rows_per_second
        reason = (
            f"{rate:,.0f} rows/s {'>=' if ok else 'violates >='} {self.min_rows_per_second:,.0f} "
            f"(batches of {len(batch):,} rows, median of {self.repeats})"
        )
        return CheckOutcome(ok, rate, self.min_rows_per_second, ">=", reason)


@register_check("artifact_size")
class ArtifactSizeCheck(CheckSpec):
    """Size of the candidate's artifact file (for an in-memory estimator: its pickle bytes)
    at most ``max_mb`` (MB = 10^6 bytes).

    >>> ArtifactSizeCheck(max_mb=50).label
    'artifact size <= 50 MB'
    """

    kind: Literal["artifact_size"] = "artifact_size"
    max_mb: float = Field(gt=0.0)

    def describe(self) -> str:
        return f"artifact size <= {self.max_mb:g} MB"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        model = _model(ctx, self.label)
        if model.size_bytes is None:
            raise ParameterError(
                f"The check {self.label!r} needs the candidate's size: the in-memory "
                "estimator cannot be pickled. Save it (skops or ONNX) and pass the file."
            )
        mb = model.size_bytes / 1e6
        ok = mb <= self.max_mb
        reason = f"{mb:.3f} MB {'<=' if ok else 'violates <='} {self.max_mb:g} MB ({model.kind})"
        return CheckOutcome(ok, mb, self.max_mb, "<=", reason)


@register_check("memory")
class MemoryCheck(CheckSpec):
    """Peak memory allocated while predicting one batch, at most ``max_mb``.

    Measured with :mod:`tracemalloc`: Python and numpy allocations (numpy reports its
    buffers to tracemalloc) made during the call. Native allocations that bypass the
    Python allocator (e.g. onnxruntime's arena) are not seen; see docs/gate.md.

    >>> MemoryCheck(max_mb=500).label
    'peak prediction memory <= 500 MB'
    """

    kind: Literal["memory"] = "memory"
    measured: ClassVar[bool] = True
    max_mb: float = Field(gt=0.0)
    batch_size: int = Field(default=10_000, ge=1)

    def describe(self) -> str:
        return f"peak prediction memory <= {self.max_mb:g} MB"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        model = _model(ctx, self.label)
        batch = _batch(ctx, self.batch_size)
        model.score(batch.iloc[: min(100, len(batch))])  # warm-up (lazy initialisation)
        gc.collect()
        already = tracemalloc.is_tracing()
        if not already:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        try:
            model.score(batch)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            if not already:
                tracemalloc.stop()
        mb = max(peak - base, 0) / 1e6
        ok = mb <= self.max_mb
        reason = (
            f"peak {mb:.2f} MB {'<=' if ok else 'violates <='} {self.max_mb:g} MB "
            f"(tracemalloc, batch of {len(batch):,} rows)"
        )
        return CheckOutcome(ok, mb, self.max_mb, "<=", reason)
