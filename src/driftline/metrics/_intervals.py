"""Confidence intervals: Wilson, normal (delta method / DeLong), bootstrap percentile and BCa."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from driftline.metrics._validation import FloatArray, check_confidence

__all__ = ["bca_interval", "normal_interval", "percentile_interval", "wilson_interval", "z_value"]


def z_value(confidence: float) -> float:
    """Two-sided standard-normal quantile, e.g. 1.95996... for 0.95.

    >>> round(z_value(0.95), 4)
    1.96
    """
    return float(special.ndtri(0.5 + check_confidence(confidence) / 2.0))


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, *, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial proportion (vectorized; NaN where ``n == 0``).

    >>> lo, hi = wilson_interval(8, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    z = z_value(confidence)
    k = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
    lo = np.where(k <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(k >= m, 1.0, np.clip(centre + half, 0.0, 1.0))
    lo = np.where(m > 0, np.minimum(lo, np.where(m > 0, p, 0.0)), np.nan)
    hi = np.where(m > 0, np.maximum(hi, np.where(m > 0, p, 0.0)), np.nan)
    return lo, hi


def normal_interval(
    value: float,
    se: float,
    *,
    confidence: float = 0.95,
    lower: float = -np.inf,
    upper: float = np.inf,
) -> tuple[float, float]:
    """``value ± z·se`` clipped to ``[lower, upper]``.

    >>> normal_interval(0.5, 0.1, confidence=0.95, upper=0.6)
    (0.30400360154599..., 0.6)
    """
    z = z_value(confidence)
    if not np.isfinite(se):
        return float("nan"), float("nan")
    return float(max(lower, value - z * se)), float(min(upper, value + z * se))


def percentile_interval(replicates: ArrayLike, *, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval; NaN replicates (undefined resamples) are dropped.

    >>> percentile_interval(np.arange(101.0), confidence=0.9)
    (5.0, 95.0)
    """
    reps = np.asarray(replicates, dtype=np.float64)
    reps = reps[np.isfinite(reps)]
    if reps.size == 0:
        return float("nan"), float("nan")
    a = (1.0 - check_confidence(confidence)) / 2.0
    lo, hi = np.quantile(reps, [a, 1.0 - a])
    return float(lo), float(hi)


def bca_interval(
    replicates: ArrayLike,
    value: float,
    jackknife: ArrayLike,
    *,
    jackknife_counts: ArrayLike | None = None,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Bias-corrected and accelerated bootstrap interval (Efron 1987).

    ``jackknife`` holds leave-one-out values of the statistic; ``jackknife_counts`` their
    multiplicities when rows were grouped (e.g. one value per confusion-matrix cell).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.exponential(size=200)
    >>> reps = rng.choice(x, size=(2000, 200)).mean(axis=1)
    >>> jack = (x.sum() - x) / 199
    >>> lo, hi = bca_interval(reps, x.mean(), jack)
    >>> bool(lo < x.mean() < hi)
    True
    """
    reps = np.asarray(replicates, dtype=np.float64)
    reps = reps[np.isfinite(reps)]
    if reps.size == 0 or not np.isfinite(value):
        return float("nan"), float("nan")
    alpha = (1.0 - check_confidence(confidence)) / 2.0
    b = reps.size
    prop = (np.sum(reps < value) + 0.5 * np.sum(reps == value)) / b
    prop = float(np.clip(prop, 1.0 / (2 * b), 1.0 - 1.0 / (2 * b)))
    z0 = float(special.ndtri(prop))
    jack = np.asarray(jackknife, dtype=np.float64)
    cnt = np.ones_like(jack) if jackknife_counts is None else np.asarray(jackknife_counts, float)
    ok = np.isfinite(jack) & (cnt > 0)
    jack, cnt = jack[ok], cnt[ok]
    accel = 0.0
    if jack.size:
        mean = np.sum(cnt * jack) / np.sum(cnt)
        d = mean - jack
        den = 6.0 * np.sum(cnt * d * d) ** 1.5
        accel = float(np.sum(cnt * d**3) / den) if den > 0 else 0.0
    qs = []
    for za in (special.ndtri(alpha), special.ndtri(1.0 - alpha)):
        s = z0 + za
        qs.append(float(special.ndtr(z0 + s / (1.0 - accel * s))))
    lo, hi = np.quantile(reps, qs)
    return float(lo), float(hi)
