"""Per-slice metric and the one-sided test "slice worse than the rest" used by slice search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from driftline.exceptions import InsufficientDataError, ParameterError
from driftline.metrics._bootstrap import bootstrap_confusion_matrices
from driftline.metrics._confusion import confusion_counts, metric_from_confusion
from driftline.metrics._intervals import percentile_interval
from driftline.metrics._ranking import delong_covariance
from driftline.metrics._registry import MetricSpec, get_metric, metric_names
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import (
    FloatArray,
    as_1d,
    as_binary,
    as_float,
    check_lengths,
)


def slice_metric(metric: str) -> MetricSpec:
    """The registry entry of ``metric`` if slices can be tested on it."""
    spec = get_metric(metric)
    if spec.slice_test is None:
        raise ParameterError(
            f"Slices cannot be tested on {metric!r}; use one of "
            f"{', '.join(metric_names(sliceable=True))}."
        )
    return spec


@dataclass(frozen=True)
class SliceInputs:
    """Validated arrays for slice evaluation (``pred``/``score`` may be unused)."""

    metric: str
    y: NDArray[Any]
    pred: NDArray[Any] | None
    score: FloatArray | None

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.y.shape[0])


def prepare_inputs(
    metric: str,
    y_true: ArrayLike,
    y_score: ArrayLike | None,
    y_pred: ArrayLike | None,
    threshold: float,
) -> SliceInputs:
    """Validate once for all slices; derive ``pred = score >= threshold`` when needed."""
    spec = slice_metric(metric)
    if spec.needs_scores and y_score is None:
        raise ParameterError(f"metric={metric!r} needs 'y_score'.")
    if y_score is None and y_pred is None:
        raise ParameterError("Slice evaluation needs 'y_score' or 'y_pred' (got neither).")
    if "regression" in spec.tasks:
        source: ArrayLike = y_pred if y_pred is not None else y_score  # type: ignore[assignment]
        yf = as_float("y_true", y_true)
        pf = as_float("y_pred", source)
        check_lengths(y_true=yf, y_pred=pf)
        return SliceInputs(metric, yf, pf, None)
    score = (
        None if y_score is None else as_float("y_score", y_score, probability=spec.probabilities)
    )
    if "multiclass" in spec.tasks and not spec.needs_scores and y_pred is not None:
        y_any = as_1d("y_true", y_true)
        p_any = as_1d("y_pred", y_pred)
        check_lengths(y_true=y_any, y_pred=p_any)
        return SliceInputs(metric, y_any, p_any, score)
    y: NDArray[Any] = as_binary("y_true", y_true)
    pred: NDArray[Any] | None
    if y_pred is not None:
        pred = as_binary("y_pred", y_pred)
    else:
        pred = None if score is None else (score >= threshold).astype(np.int8)
    check_lengths(y_true=y, y_pred=pred, y_score=score)
    return SliceInputs(metric, y, pred, score)


def compute(
    d: SliceInputs, mask: NDArray[np.bool_], conf: float, b: int, rng: np.random.Generator
) -> MetricResult:
    """The metric with its interval on the rows of ``mask``."""
    spec = get_metric(d.metric)
    values = d.score if spec.needs_scores else d.pred
    if values is None:
        raise ParameterError(f"metric={d.metric!r} has no predictions or scores to use.")
    return spec.compute(d.y[mask], values[mask], confidence=conf, n_resamples=b, random_state=rng)


def _proportion_parts(d: SliceInputs, base: str) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(relevant rows, success) for the proportion metrics."""
    pred = np.asarray(d.pred)
    if base == "accuracy":
        return np.ones(d.n, dtype=bool), np.asarray(d.y == pred)
    if base == "precision":
        return pred == 1, d.y == 1
    if base == "recall":
        return d.y == 1, pred == 1
    return d.y == 0, pred == 0


def slice_test(
    d: SliceInputs, mask: NDArray[np.bool_], confidence: float, n_resamples: int,
    rng: np.random.Generator,
) -> tuple[MetricResult, MetricResult, float]:  # fmt: skip
    """Metric on the slice, on the rest, and the one-sided p-value of "slice is worse"."""
    spec = get_metric(d.metric)
    how = spec.slice_test
    rest = ~mask
    res_s = compute(d, mask, confidence, n_resamples, rng)
    res_r = compute(d, rest, confidence, n_resamples, rng)
    for res in (res_s, res_r):
        if not res.defined:
            raise InsufficientDataError(res.reason or f"{d.metric} is undefined")
    if how == "proportion":
        assert spec.confusion is not None
        rel, ok = _proportion_parts(d, spec.confusion[0])
        ns, nr = float((rel & mask).sum()), float((rel & rest).sum())
        if ns == 0 or nr == 0:
            raise InsufficientDataError("no relevant rows in the slice or the rest")
        ks, kr = float((ok & rel & mask).sum()), float((ok & rel & rest).sum())
        pool = (ks + kr) / (ns + nr)
        se = np.sqrt(pool * (1 - pool) * (1 / ns + 1 / nr))
        diff = ks / ns - kr / nr
        p = float(special.ndtr(diff / se)) if se > 0 else float(diff >= 0)
    elif how == "confusion":
        assert d.pred is not None
        assert spec.confusion is not None
        base = spec.confusion[0]
        t, q = d.y.astype(np.int64), d.pred.astype(np.int64)
        cms = confusion_counts(t[mask], q[mask], 2)
        cmr = confusion_counts(t[rest], q[rest], 2)
        bs = metric_from_confusion(
            bootstrap_confusion_matrices(cms, n_resamples=n_resamples, random_state=rng), base
        )
        br = metric_from_confusion(
            bootstrap_confusion_matrices(cmr, n_resamples=n_resamples, random_state=rng), base
        )
        diff_reps = bs - br
        sign = 1.0 if spec.greater_is_better else -1.0
        p = float((1 + np.sum(sign * diff_reps >= 0)) / (n_resamples + 1))
        lo, hi = percentile_interval(bs, confidence=confidence)
        res_s = MetricResult(d.metric, res_s.value, lo, hi, confidence, res_s.method, res_s.n)
    elif how == "delong":
        assert d.score is not None
        a_s, v_s = delong_covariance(d.y[mask], d.score[mask])
        a_r, v_r = delong_covariance(d.y[rest], d.score[rest])
        se = float(np.sqrt(v_s[0, 0] + v_r[0, 0]))
        diff = float(a_s[0] - a_r[0])
        p = float(special.ndtr(diff / se)) if se > 0 else float(diff >= 0)
    else:
        assert spec.row_loss is not None
        loss = spec.row_loss(
            d.y.astype(np.float64), np.asarray(d.pred if d.score is None else d.score, float)
        )
        ls, lr = loss[mask], loss[rest]
        if ls.size < 2 or lr.size < 2:
            raise InsufficientDataError("need two rows on each side for a t-test")
        test = stats.ttest_ind(ls, lr, equal_var=False, alternative="greater")
        p = float(test.pvalue) if np.isfinite(test.pvalue) else 1.0
    return res_s, res_r, p
