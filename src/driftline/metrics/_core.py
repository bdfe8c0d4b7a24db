"""Shared plumbing: choosing the interval method and building :class:`MetricResult`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeAlias

import numpy as np

from driftline._params import Options, check
from driftline.exceptions import ParameterError
from driftline.metrics._bootstrap import StatFn, bootstrap_sums
from driftline.metrics._intervals import normal_interval
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import (
    FloatArray,
    RandomState,
    check_confidence,
    check_int,
)

CIMethod: TypeAlias = Literal["auto", "analytic", "percentile", "bca"]
CI_METHODS: tuple[str, ...] = ("auto", "analytic", "percentile", "bca")


def resolve_ci(ci: str, analytic: str | None, *, metric: str) -> str:
    """The interval actually used: an analytic method's name, ``"percentile"`` or ``"bca"``.

    ``"auto"`` prefers the analytic method when there is a sound one (``analytic`` not None).
    """
    check(metric, "ci", ci, Options(*CI_METHODS))
    if ci == "analytic":
        if analytic is None:
            raise ParameterError(
                f"No analytic interval is available for {metric!r} with these inputs "
                "(weighted rows or a non-proportion average); use ci='percentile' or 'bca'."
            )
        return analytic
    if ci == "auto":
        return analytic if analytic is not None else "percentile"
    return ci


def check_common(confidence: float, n_resamples: int) -> float:
    """Validate the options every metric shares; returns the confidence."""
    check_int("n_resamples", n_resamples, minimum=2)
    return check_confidence(confidence)


def bootstrap_result(
    name: str,
    terms: Any,
    stat: StatFn,
    *,
    n: int,
    method: str,
    counts: Any = None,
    jackknife: Any = None,
    confidence: float,
    n_resamples: int,
    random_state: RandomState,
) -> MetricResult:
    """:class:`MetricResult` from :func:`bootstrap_sums`."""
    boot = bootstrap_sums(
        terms,
        stat,
        counts=counts,
        jackknife=jackknife,
        n_resamples=n_resamples,
        method="bca" if method == "bca" else "percentile",
        confidence=confidence,
        random_state=random_state,
    )
    return MetricResult(name, boot.value, boot.ci_low, boot.ci_high, confidence, boot.method, n)


def influence_se(influence: FloatArray) -> float:
    """Standard error of a statistic from its empirical influence values (delta method)."""
    n = influence.size
    if n < 2:
        return float("nan")
    return float(np.sqrt(np.sum(influence**2) * n / (n - 1)))


def mean_loss_result(
    name: str,
    loss: FloatArray,
    weights: FloatArray | None,
    *,
    ci: str,
    confidence: float,
    n_resamples: int,
    random_state: RandomState,
    sqrt: bool = False,
    lower: float = 0.0,
    upper: float = np.inf,
) -> MetricResult:
    """Weighted mean of per-row losses (or its square root, for RMSE) with an interval.

    The analytic interval is the normal (delta-method) one; the bootstrap resamples rows.
    """
    w = np.ones_like(loss) if weights is None else weights
    total_w = float(w.sum())
    mean = float(np.dot(w, loss) / total_w)
    value = float(np.sqrt(mean)) if sqrt else mean
    method = resolve_ci(ci, "delta", metric=name)
    if method == "delta":
        se = influence_se(w * (loss - mean) / total_w)
        if sqrt:
            se = se / (2.0 * value) if value > 0 else 0.0
        lo, hi = normal_interval(value, se, confidence=confidence, lower=lower, upper=upper)
        return MetricResult(name, value, lo, hi, confidence, "delta", loss.size)
    post: Callable[[FloatArray], FloatArray] = np.sqrt if sqrt else (lambda x: x)
    return bootstrap_result(
        name,
        np.column_stack([w * loss, w]),
        lambda s: post(s[..., 0] / s[..., 1]),
        n=loss.size,
        method=method,
        confidence=confidence,
        n_resamples=n_resamples,
        random_state=random_state,
    )
