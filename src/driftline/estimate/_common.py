"""Pieces shared by CBPE and DLE: chunk rows, reference alert bands, bands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import norm

from driftline.estimate._chunking import Chunking, ChunkRows, make_chunks
from driftline.estimate._data import get_array, is_frame
from driftline.estimate._result import MetricEstimate
from driftline.exceptions import ParameterError

__all__ = ["ALERT_SDS", "build_estimate", "chunk_data", "reference_bands"]

#: The alert band is the reference chunks' mean ± this many sd (as NannyML does).
ALERT_SDS = 3.0


def chunk_data(
    data: object, n: int, rule: Chunking, timestamp_column: str | None
) -> list[ChunkRows]:
    """Chunk ``n`` rows of ``data`` by ``rule`` (period chunks read ``timestamp_column``)."""
    timestamps = None
    if rule.kind == "period":
        if not is_frame(data) or timestamp_column is None:
            raise ParameterError(
                "Chunking by 'chunk_period' needs the data as a data frame holding "
                f"timestamp_column={timestamp_column!r}; got {type(data).__name__}."
            )
        timestamps = get_array(data, timestamp_column, "timestamp_column")
    return make_chunks(n, rule, timestamps=timestamps)


def reference_bands(
    realized: Sequence[dict[str, float]], metrics: Sequence[str], *, bounded: bool
) -> dict[str, tuple[float, float]] | None:
    """Mean ± 3 sd (ddof=0, as NannyML) of realized metrics over >= 2 reference chunks."""
    if len(realized) < 2:
        return None
    out = {}
    for m in metrics:
        vals = np.array([r[m] for r in realized])
        vals = vals[np.isfinite(vals)]
        if vals.size < 2:
            continue
        mu, sd = float(vals.mean()), float(vals.std())
        lo, hi = mu - ALERT_SDS * sd, mu + ALERT_SDS * sd
        if bounded:
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        out[m] = (lo, hi)
    return out


def build_estimate(
    metric: str,
    value: float,
    sampling_error: float,
    *,
    n_rows: int,
    n_reference: int,
    confidence: float,
    bands: dict[str, tuple[float, float]] | None,
    bounds: tuple[float, float] | None,
    estimate_error: float | None = None,
) -> MetricEstimate:
    """Band and alert for one metric in one chunk.

    When ``estimate_error`` is not given (DLE), it is taken as
    ``sampling_error · sqrt(n_rows / n_reference)``: the estimate rests on models fitted
    on ``n_reference`` labelled rows, whose error is taken to scale like the metric's
    own sampling error at the reference size.
    """
    if estimate_error is None:
        estimate_error = sampling_error * float(np.sqrt(n_rows / n_reference))
    z = float(norm.ppf(0.5 + confidence / 2.0))
    half = z * float(np.hypot(sampling_error, estimate_error))
    lower, upper = value - half, value + half
    if bounds is not None:
        lower, upper = max(lower, bounds[0]), min(upper, bounds[1])
    ref: Any = bands.get(metric) if bands else None
    alert = bool(ref is not None and np.isfinite(value) and not ref[0] <= value <= ref[1])
    return MetricEstimate(
        metric=metric,
        value=value,
        sampling_error=sampling_error,
        estimate_error=estimate_error,
        lower=lower,
        upper=upper,
        reference_lower=None if ref is None else ref[0],
        reference_upper=None if ref is None else ref[1],
        alert=alert,
    )
