"""Assumption checks reported in an estimation result.

CBPE and DLE assume that (1) the model's score-to-outcome relation learned on the
reference still holds (no concept shift) and (2) the current data lies where the
reference had labels. Only (2) can be checked before labels arrive; (1) is
checked when they do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import binom

from driftline.report import format_p_value

__all__ = [
    "OUT_OF_RANGE_SHARE",
    "AssumptionWarning",
    "FeatureRanges",
    "calibration_shift_warnings",
    "feature_range_warnings",
    "score_range_warnings",
]

#: A chunk is flagged when more than this share of its rows is outside the reference.
OUT_OF_RANGE_SHARE = 0.01
#: Categorical features with more distinct reference values than this are not checked.
MAX_CATEGORIES = 100_000

Check = Literal[
    "score_out_of_range",
    "prediction_out_of_range",
    "covariate_out_of_range",
    "calibration_shift",
    "reference_band_unavailable",
]


@dataclass(frozen=True)
class AssumptionWarning:
    """A violated (or unverifiable) assumption and what it means for the estimate."""

    check: Check
    severity: Literal["info", "warning"]
    chunks: tuple[str, ...]
    value: float
    threshold: float
    message: str
    feature: str | None = None
    metric: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "chunks": list(self.chunks),
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
            "feature": self.feature,
            "metric": self.metric,
        }


def _shares(mask: npt.NDArray[np.bool_], rows: Sequence[Any]) -> npt.NDArray[np.float64]:
    return np.array([float(mask[r].mean()) for r in rows])


def score_range_warnings(
    scores: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    keys: Sequence[str],
    rows: Sequence[Any],
    *,
    check: Check = "score_out_of_range",
) -> list[AssumptionWarning]:
    """Flag chunks where > 1% of rows have a score outside the reference range."""
    outside = np.asarray((scores < low) | (scores > high))
    if outside.ndim == 2:
        outside = np.asarray(outside.any(axis=1))
    shares = _shares(outside, rows)
    hit = shares > OUT_OF_RANGE_SHARE
    if not hit.any():
        return []
    what = "scores" if check == "score_out_of_range" else "predictions"
    return [
        AssumptionWarning(
            check,
            "warning",
            tuple(k for k, h in zip(keys, hit, strict=True) if h),
            float(shares.max()),
            OUT_OF_RANGE_SHARE,
            f"Up to {shares.max():.1%} of rows per chunk have {what} outside the reference "
            f"range; the reference has no labels there, so the estimate for those rows "
            "extrapolates the reference relation (clipped at its edge) and may be biased.",
        )
    ]


@dataclass(frozen=True)
class FeatureRanges:
    """Per-feature reference support: [min, max] for numbers, the seen values otherwise."""

    numeric: dict[str, tuple[float, float]]
    categorical: dict[str, pd.Index]

    @classmethod
    def fit(cls, columns: dict[str, npt.NDArray[Any]]) -> FeatureRanges:
        numeric: dict[str, tuple[float, float]] = {}
        categorical: dict[str, pd.Index] = {}
        for name, values in columns.items():
            if values.dtype.kind in "iufb":
                v = values.astype(np.float64)
                if np.isfinite(v).any():
                    numeric[name] = (float(np.nanmin(v)), float(np.nanmax(v)))
            else:
                seen = pd.Index(pd.unique(values))
                if len(seen) <= MAX_CATEGORIES:
                    categorical[name] = seen
        return cls(numeric, categorical)

    def outside(self, name: str, values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
        if name in self.numeric:
            lo, hi = self.numeric[name]
            v = values.astype(np.float64)
            return np.asarray((v < lo) | (v > hi))
        seen = self.categorical[name]
        return np.asarray(seen.get_indexer(cast(Any, values)) == -1)


def feature_range_warnings(
    ranges: FeatureRanges,
    columns: dict[str, npt.NDArray[Any]],
    keys: Sequence[str],
    rows: Sequence[Any],
) -> list[AssumptionWarning]:
    """One warning per feature whose values leave the reference support in some chunk."""
    out = []
    for name, values in columns.items():
        if name not in ranges.numeric and name not in ranges.categorical:
            continue
        shares = _shares(ranges.outside(name, values), rows)
        hit = shares > OUT_OF_RANGE_SHARE
        if not hit.any():
            continue
        kind = "outside the reference [min, max]" if name in ranges.numeric else "unseen"
        out.append(
            AssumptionWarning(
                "covariate_out_of_range",
                "warning",
                tuple(k for k, h in zip(keys, hit, strict=True) if h),
                float(shares.max()),
                OUT_OF_RANGE_SHARE,
                f"Up to {shares.max():.1%} of rows per chunk have {name!r} values {kind}: "
                "covariate shift into a region the reference never covered. The estimate "
                "assumes the reference score-to-outcome relation holds there; that cannot be "
                "checked without labels.",
                feature=name,
            )
        )
    return out


def calibration_shift_warnings(
    outside: dict[str, list[str]], n_chunks: int, confidence: float
) -> list[AssumptionWarning]:
    """Once labels arrive: realized values outside the band, per metric.

    ``outside`` maps a metric to the chunks whose realized value left the band. The
    warning is ``severity='warning'`` when that many misses are unlikely by chance
    (binomial tail probability < 1% at the nominal miss rate), ``'info'`` otherwise.
    """
    out = []
    miss = 1.0 - confidence
    for metric, chunks in outside.items():
        if not chunks:
            continue
        tail = float(binom.sf(len(chunks) - 1, n_chunks, miss))
        severity: Literal["info", "warning"] = "warning" if tail < 0.01 else "info"
        out.append(
            AssumptionWarning(
                "calibration_shift",
                severity,
                tuple(chunks),
                float(len(chunks)),
                miss * n_chunks,
                f"Realized {metric} is outside the {confidence:.0%} band in {len(chunks)} of "
                f"{n_chunks} chunks (about {miss * n_chunks:.1f} expected by chance; tail "
                f"probability {format_p_value(tail)}). "
                + (
                    "The score-to-outcome relation has likely changed (concept shift or "
                    "calibration drift): estimates for later chunks are unreliable until the "
                    "estimator is refitted on recent labelled data."
                    if severity == "warning"
                    else "This is within what chance gives; no evidence of calibration shift."
                ),
                metric=metric,
            )
        )
    return out
