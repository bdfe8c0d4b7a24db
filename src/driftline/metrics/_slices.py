"""Metrics per segment, and discovery of the worst-performing slices with FDR control."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import BOOLEAN, Interval, Options, validate_params
from driftline.exceptions import DataError, InsufficientDataError
from driftline.metrics._core import check_common
from driftline.metrics._result import MetricResult
from driftline.metrics._slice_tests import (
    SliceInputs,
    compute,
    prepare_inputs,
    slice_metric,
    slice_test,
)
from driftline.metrics._validation import (
    RandomState,
    as_rng,
    check_float,
    check_int,
    resampling,
)
from driftline.stats import benjamini_hochberg

__all__ = [
    "SegmentReport",
    "SliceCondition",
    "SliceReport",
    "SliceResult",
    "find_worst_slices",
    "segment_metrics",
]


def _columns(data: Any, n: int) -> dict[str, NDArray[Any]]:
    """Named 1-d columns from a DataFrame (pandas/polars), a mapping or a 1-d array."""
    if hasattr(data, "column_names") and hasattr(data, "column"):  # pyarrow Table
        cols = {str(c): np.asarray(data.column(c)) for c in data.column_names}
    elif hasattr(data, "columns") and not isinstance(data, np.ndarray):  # pandas, polars
        cols = {str(c): np.asarray(data[c]) for c in data.columns}
    elif isinstance(data, Mapping):
        cols = {str(k): np.asarray(v) for k, v in data.items()}
    else:
        arr = np.asarray(data)
        name = str(getattr(data, "name", None) or "segment")
        if arr.ndim != 1:
            raise DataError("Segments must be a DataFrame, a mapping of columns or a 1-d array.")
        cols = {name: arr}
    for k, v in cols.items():
        if v.ndim != 1 or v.shape[0] != n:
            raise DataError(f"Segment column {k!r} has shape {v.shape}; expected ({n},).")
    if not cols:
        raise DataError("No segment columns were given.")
    return cols


def _is_missing(v: NDArray[Any]) -> NDArray[np.bool_]:
    if v.dtype.kind == "f":
        return np.asarray(np.isnan(v), dtype=bool)
    if v.dtype.kind == "O":
        import pandas as pd  # a core dependency; pd.isna also knows pd.NA and NaT

        return np.asarray(pd.isna(v), dtype=bool)
    return np.zeros(v.shape, dtype=bool)


def _fmt(v: Any) -> str:
    return repr(v.item() if isinstance(v, np.generic) else v)


@dataclass(frozen=True)
class SliceCondition:
    """One condition on one feature: a numeric range, a value, or "is missing".

    >>> c = SliceCondition("age", "range", low=30.0, high=45.0)
    >>> str(c), c.mask(np.array([29.0, 30.0, 44.9, 45.0])).tolist()
    ('age in [30, 45)', [False, True, True, False])
    """

    feature: str
    kind: Literal["range", "equals", "missing"]
    value: Any = None
    low: float | None = None
    high: float | None = None
    high_inclusive: bool = False

    def __str__(self) -> str:
        if self.kind == "missing":
            return f"{self.feature} is missing"
        if self.kind == "equals":
            return f"{self.feature} == {_fmt(self.value)}"
        close = "]" if self.high_inclusive else ")"
        return f"{self.feature} in [{self.low:.6g}, {self.high:.6g}{close}"

    def mask(self, values: ArrayLike) -> NDArray[np.bool_]:
        """Rows of ``values`` (this feature's column) that satisfy the condition."""
        v = np.asarray(values)
        miss = _is_missing(v)
        if self.kind == "missing":
            return miss
        if self.kind == "equals":
            full = v.astype(str) if v.dtype.kind == "O" else v
            return np.asarray(full == self.value, dtype=bool) & ~miss
        x = v.astype(np.float64)
        lo = -np.inf if self.low is None else self.low
        hi = np.inf if self.high is None else self.high
        upper = x <= hi if self.high_inclusive else x < hi
        return np.asarray((x >= lo) & upper, dtype=bool) & ~miss

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "feature": self.feature,
            "kind": self.kind,
            "value": _py(self.value),
            "low": self.low,
            "high": self.high,
            "high_inclusive": self.high_inclusive,
        }


def _feature_slices(
    name: str, v: NDArray[Any], n_bins: int, max_categories: int
) -> list[tuple[SliceCondition, NDArray[np.bool_]]]:
    """(condition, mask) for every bin or category of one feature."""
    miss = _is_missing(v)
    out: list[tuple[SliceCondition, NDArray[np.bool_]]] = []
    present = v[~miss]
    numeric = v.dtype.kind in "iuf" and np.unique(present).size > n_bins
    if numeric:
        x = v.astype(np.float64)
        edges = np.unique(np.quantile(x[~miss], np.linspace(0.0, 1.0, n_bins + 1)))
        idx = np.searchsorted(edges[1:-1], x, side="right")
        for b in range(edges.size - 1):
            last = b == edges.size - 2
            cond = SliceCondition(name, "range", None, float(edges[b]), float(edges[b + 1]), last)
            out.append((cond, (idx == b) & ~miss))
    else:
        vals, counts = np.unique(present.astype(str) if v.dtype.kind == "O" else present,
                                 return_counts=True)  # fmt: skip
        full = v.astype(str) if v.dtype.kind == "O" else v
        top = vals[np.argsort(-counts, kind="stable")][:max_categories]
        out.extend((SliceCondition(name, "equals", _py(val)), (full == val) & ~miss) for val in top)
    if miss.any():
        out.append((SliceCondition(name, "missing"), miss))
    return out


@dataclass(frozen=True)
class SliceResult:
    """One slice: its metric and interval, the rest's, and the test that it is worse."""

    description: str
    conditions: tuple[SliceCondition, ...]
    support: int
    metric: MetricResult
    rest: MetricResult
    p_value: float
    q_value: float
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "description": self.description,
            "conditions": [c.to_dict() for c in self.conditions],
            "support": self.support,
            "metric": self.metric.to_dict(),
            "rest": self.rest.to_dict(),
            "p_value": self.p_value,
            "q_value": self.q_value,
            "significant": self.significant,
        }

    @property
    def features(self) -> tuple[str, ...]:
        """The features the slice conditions on."""
        return tuple(c.feature for c in self.conditions)

    def mask(self, features: Any) -> NDArray[np.bool_]:
        """Rows of ``features`` (same columns as searched) that belong to the slice."""
        cols = _columns(features, len(np.asarray(features[self.conditions[0].feature])))
        out = np.ones(len(next(iter(cols.values()))), dtype=bool)
        for c in self.conditions:
            out &= c.mask(cols[c.feature])
        return out


@dataclass(frozen=True)
class SliceReport:
    """Slices ranked worst first: significant ones (BH q < alpha) first, then by the bound
    of the interval nearest to "good" (``ci_high`` when higher is better), so that a slice
    ranks high only when it is confidently bad, not merely small and noisy.
    """

    metric: str
    higher_is_better: bool
    alpha: float
    min_support: int
    n_tested: int
    n_skipped: int
    slices: tuple[SliceResult, ...]

    def significant(self) -> tuple[SliceResult, ...]:
        """The slices flagged worse than the rest after multiplicity control."""
        return tuple(s for s in self.slices if s.significant)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "alpha": self.alpha,
            "min_support": self.min_support,
            "n_tested": self.n_tested,
            "n_skipped": self.n_skipped,
            "slices": [s.to_dict() for s in self.slices],
        }

    def summary(self, top: int = 10) -> str:
        """Text table of the ``top`` worst slices."""
        lines = [f"worst slices by {self.metric} ({self.n_tested} tested, BH alpha={self.alpha})"]
        for s in self.slices[:top]:
            m = s.metric
            flag = "*" if s.significant else " "
            lines.append(
                f"{flag} {s.description}: {m.value:.4f} [{m.ci_low:.4f}, {m.ci_high:.4f}] "
                f"vs rest {s.rest.value:.4f}, n={s.support}, q={s.q_value:.3g}"
            )
        return "\n".join(lines)


@validate_params(
    {
        **resampling(),
        "n_bins": [Interval("int", 2, None)],
        "max_categories": [Interval("int", 1, None)],
        "min_support": [Interval("int", 1, None)],
        "alpha": [Interval("real", 0, 1, closed="neither")],
        "pairs": [BOOLEAN],
    }
)
def find_worst_slices(
    features: Any,
    y_true: ArrayLike,
    y_score: ArrayLike | None = None,
    y_pred: ArrayLike | None = None,
    *,
    metric: str = "accuracy",
    threshold: float = 0.5,
    n_bins: int = 5,
    max_categories: int = 50,
    min_support: int = 50,
    pairs: bool = False,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> SliceReport:
    """Find slices whose metric is significantly worse than on the rest of the rows.

    Numeric features are cut at quantiles into ``n_bins`` bins, other features (and
    numeric ones with at most ``n_bins`` values) slice by value (the ``max_categories``
    most frequent), missing values form their own slice; with ``pairs=True`` the
    intersections of two features' slices are tested too. A slice needs
    ``min_support`` rows (and so does the rest). Each slice is tested one-sided against
    the rest (two-proportion z-test for proportions, DeLong for ROC AUC, Welch t-test on
    per-row losses, independent multinomial bootstrap of the two confusion matrices for
    F1) and the p-values are Benjamini–Hochberg adjusted across every tested slice.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(0, 10, 2000)
    >>> y = rng.integers(0, 2, 2000)
    >>> wrong = rng.random(2000) < np.where(x > 8, 0.4, 0.1)
    >>> rep = find_worst_slices({"x": x}, y, y_pred=np.where(wrong, 1 - y, y), random_state=0)
    >>> rep.slices[0].description, rep.slices[0].significant
    ('x in [8.0..., 9.99...]', True)
    """
    confidence = check_common(confidence, n_resamples)
    spec = slice_metric(metric)
    n_bins = check_int("n_bins", n_bins, minimum=2)
    max_categories = check_int("max_categories", max_categories, minimum=1)
    min_support = check_int("min_support", min_support, minimum=1)
    alpha = check_float("alpha", alpha, low=0.0, high=1.0)
    inputs = prepare_inputs(metric, y_true, y_score, y_pred, threshold)
    n = inputs.n
    cols = _columns(features, n)
    ok = [
        ((cond,), mask)
        for name, v in cols.items()
        for cond, mask in _feature_slices(name, v, n_bins, max_categories)
        if min_support <= mask.sum() <= n - min_support
    ]
    candidates: list[tuple[tuple[SliceCondition, ...], NDArray[np.bool_]]] = list(ok)
    if pairs:
        for (ca, ma), (cb, mb) in combinations(ok, 2):
            m = ma & mb
            if ca[0].feature != cb[0].feature and min_support <= m.sum() <= n - min_support:
                candidates.append((ca + cb, m))
    rng = as_rng(random_state)
    tested: list[tuple[tuple[SliceCondition, ...], int, MetricResult, MetricResult, float]] = []
    skipped = 0
    for conds, mask in candidates:
        try:
            res_s, res_r, p = slice_test(inputs, mask, confidence, n_resamples, rng)
        except InsufficientDataError:
            skipped += 1
            continue
        tested.append((conds, int(mask.sum()), res_s, res_r, p))
    q = benjamini_hochberg(np.array([t[4] for t in tested]))
    higher = spec.greater_is_better
    results = [
        SliceResult(" & ".join(map(str, c)), c, k, s, r, p, float(qq), bool(qq < alpha))
        for (c, k, s, r, p), qq in zip(tested, q, strict=True)
    ]
    sign = 1.0 if higher else -1.0
    results.sort(
        key=lambda s: (not s.significant, sign * (s.metric.ci_high if higher else s.metric.ci_low))
    )
    return SliceReport(metric, higher, alpha, min_support, len(tested), skipped, tuple(results))


@dataclass(frozen=True)
class SegmentReport:
    """A metric per segment (a combination of the given columns' values)."""

    metric: str
    columns: tuple[str, ...]
    segments: tuple[tuple[Any, ...], ...]
    results: tuple[MetricResult, ...]

    def as_mapping(self) -> dict[tuple[Any, ...], MetricResult]:
        """``{segment values: MetricResult}``."""
        return dict(zip(self.segments, self.results, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "metric": self.metric,
            "columns": list(self.columns),
            "segments": [
                {"values": [_py(v) for v in seg], "result": r.to_dict()}
                for seg, r in zip(self.segments, self.results, strict=True)
            ],
        }


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@validate_params({**resampling(), "on_error": [Options("raise", "nan")]})
def segment_metrics(
    segments: Any,
    y_true: ArrayLike,
    y_score: ArrayLike | None = None,
    y_pred: ArrayLike | None = None,
    *,
    metric: str = "accuracy",
    threshold: float = 0.5,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    random_state: RandomState = None,
    on_error: Literal["raise", "nan"] = "nan",
) -> SegmentReport:
    """The metric (with its interval) for every combination of the segment columns.

    A segment where the metric is undefined (e.g. one class only, for ROC AUC) gets a
    NaN result with ``on_error="nan"`` (the default), or raises with ``"raise"``.

    >>> rep = segment_metrics({"region": ["n", "n", "s", "s"]}, [0, 1, 1, 1],
    ...                       y_pred=[0, 1, 0, 1])
    >>> {k: v.value for k, v in rep.as_mapping().items()}
    {('n',): 1.0, ('s',): 0.5}
    """
    confidence = check_common(confidence, n_resamples)
    slice_metric(metric)
    inputs: SliceInputs = prepare_inputs(metric, y_true, y_score, y_pred, threshold)
    cols = _columns(segments, inputs.n)
    keys = [np.asarray(v).astype(str) if v.dtype.kind == "O" else v for v in cols.values()]
    codes = []
    uniques = []
    for k in keys:
        u, c = np.unique(k, return_inverse=True)
        uniques.append(u)
        codes.append(c)
    combo = np.ravel_multi_index(codes, [u.size for u in uniques])
    rng = as_rng(random_state)
    segs, results = [], []
    for code in np.unique(combo):
        mask = combo == code
        seg = tuple(
            u[i]
            for u, i in zip(uniques, np.unravel_index(code, [u.size for u in uniques]), strict=True)
        )
        try:
            res = compute(inputs, mask, confidence, n_resamples, rng)
        except InsufficientDataError as exc:
            if on_error == "raise":
                raise
            res = MetricResult.undefined(metric, str(exc), n=int(mask.sum()), confidence=confidence)
        segs.append(tuple(_py(v) for v in seg))
        results.append(res)
    return SegmentReport(metric, tuple(cols), tuple(segs), tuple(results))
