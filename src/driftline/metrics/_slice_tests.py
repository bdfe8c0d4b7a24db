"""Per-slice metric and the one-sided test "slice worse than the rest" used by slice search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from driftline.exceptions import InsufficientDataError, ParameterError
from driftline.metrics._bootstrap import bootstrap_confusion_matrices
from driftline.metrics._classification import accuracy, brier_score, f1, log_loss
from driftline.metrics._classification import precision as _precision
from driftline.metrics._classification import recall as _recall
from driftline.metrics._classification import specificity as _specificity
from driftline.metrics._confusion import confusion_counts, metric_from_confusion
from driftline.metrics._intervals import percentile_interval
from driftline.metrics._ranking import delong_covariance, roc_auc
from driftline.metrics._regression import mae, rmse
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import (
    FloatArray,
    as_1d,
    as_binary,
    as_float,
    check_lengths,
)

SliceMetric = Literal[
    "accuracy", "precision", "recall", "specificity", "f1", "roc_auc",
    "log_loss", "brier", "mae", "rmse",
]  # fmt: skip


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
    needs_score = metric in ("roc_auc", "log_loss", "brier")
    if needs_score and y_score is None:
        raise ParameterError(f"metric={metric!r} needs 'y_score'.")
    if y_score is None and y_pred is None:
        raise ParameterError("Slice evaluation needs 'y_score' or 'y_pred' (got neither).")
    if metric in ("mae", "rmse"):
        source: ArrayLike = y_pred if y_pred is not None else y_score  # type: ignore[assignment]
        yf = as_float("y_true", y_true)
        pf = as_float("y_pred", source)
        check_lengths(y_true=yf, y_pred=pf)
        return SliceInputs(metric, yf, pf, None)
    score = (
        None
        if y_score is None
        else as_float("y_score", y_score, probability=metric in ("log_loss", "brier"))
    )
    if metric == "accuracy" and y_pred is not None:
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


Computer = Callable[[SliceInputs, NDArray[np.bool_], float, int, np.random.Generator], MetricResult]


def _pred_metric(fn: Any) -> Computer:
    def compute(
        d: SliceInputs, m: NDArray[np.bool_], conf: float, b: int, rng: np.random.Generator
    ) -> MetricResult:
        return fn(d.y[m], d.pred[m], confidence=conf, n_resamples=b, random_state=rng)  # type: ignore[index,no-any-return]

    return compute


def _score_metric(fn: Any) -> Computer:
    def compute(
        d: SliceInputs, m: NDArray[np.bool_], conf: float, b: int, rng: np.random.Generator
    ) -> MetricResult:
        return fn(d.y[m], d.score[m], confidence=conf, n_resamples=b, random_state=rng)  # type: ignore[index,no-any-return]

    return compute


SLICE_METRICS: dict[str, tuple[Computer, bool]] = {
    "accuracy": (_pred_metric(accuracy), True),
    "precision": (_pred_metric(_precision), True),
    "recall": (_pred_metric(_recall), True),
    "specificity": (_pred_metric(_specificity), True),
    "f1": (_pred_metric(f1), True),
    "roc_auc": (_score_metric(roc_auc), True),
    "log_loss": (_score_metric(log_loss), False),
    "brier": (_score_metric(brier_score), False),
    "mae": (_pred_metric(mae), False),
    "rmse": (_pred_metric(rmse), False),
}


def _proportion_parts(d: SliceInputs) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(relevant rows, success) for the proportion metrics."""
    pred = np.asarray(d.pred)
    if d.metric == "accuracy":
        return np.ones(d.n, dtype=bool), np.asarray(d.y == pred)
    if d.metric == "precision":
        return pred == 1, d.y == 1
    if d.metric == "recall":
        return d.y == 1, pred == 1
    return d.y == 0, pred == 0


def slice_test(
    d: SliceInputs, mask: NDArray[np.bool_], confidence: float, n_resamples: int,
    rng: np.random.Generator,
) -> tuple[MetricResult, MetricResult, float]:  # fmt: skip
    """Metric on the slice, on the rest, and the one-sided p-value of "slice is worse"."""
    fn, _ = SLICE_METRICS[d.metric]
    needs = d.score if d.metric == "roc_auc" else d.pred
    if needs is None and d.metric not in ("log_loss", "brier"):
        raise ParameterError(f"metric={d.metric!r} has no predictions or scores to use.")
    rest = ~mask
    res_s = fn(d, mask, confidence, n_resamples, rng)
    res_r = fn(d, rest, confidence, n_resamples, rng)
    if d.metric in ("accuracy", "precision", "recall", "specificity"):
        rel, ok = _proportion_parts(d)
        ns, nr = float((rel & mask).sum()), float((rel & rest).sum())
        if ns == 0 or nr == 0:
            raise InsufficientDataError("no relevant rows in the slice or the rest")
        ks, kr = float((ok & rel & mask).sum()), float((ok & rel & rest).sum())
        pool = (ks + kr) / (ns + nr)
        se = np.sqrt(pool * (1 - pool) * (1 / ns + 1 / nr))
        diff = ks / ns - kr / nr
        p = float(special.ndtr(diff / se)) if se > 0 else float(diff >= 0)
    elif d.metric == "f1":
        assert d.pred is not None
        t, q = d.y.astype(np.int64), d.pred.astype(np.int64)
        cms = confusion_counts(t[mask], q[mask], 2)
        cmr = confusion_counts(t[rest], q[rest], 2)
        bs = metric_from_confusion(
            bootstrap_confusion_matrices(cms, n_resamples=n_resamples, random_state=rng), "f1"
        )
        br = metric_from_confusion(
            bootstrap_confusion_matrices(cmr, n_resamples=n_resamples, random_state=rng), "f1"
        )
        diff_reps = bs - br
        p = float((1 + np.sum(diff_reps >= 0)) / (n_resamples + 1))
        lo, hi = percentile_interval(bs, confidence=confidence)
        res_s = MetricResult("f1", res_s.value, lo, hi, confidence, res_s.method, res_s.n)
    elif d.metric == "roc_auc":
        assert d.score is not None
        a_s, v_s = delong_covariance(d.y[mask], d.score[mask])
        a_r, v_r = delong_covariance(d.y[rest], d.score[rest])
        se = float(np.sqrt(v_s[0, 0] + v_r[0, 0]))
        diff = float(a_s[0] - a_r[0])
        p = float(special.ndtr(diff / se)) if se > 0 else float(diff >= 0)
    else:
        loss = _row_loss(d)
        ls, lr = loss[mask], loss[rest]
        if ls.size < 2 or lr.size < 2:
            raise InsufficientDataError("need two rows on each side for a t-test")
        test = stats.ttest_ind(ls, lr, equal_var=False, alternative="greater")
        p = float(test.pvalue) if np.isfinite(test.pvalue) else 1.0
    return res_s, res_r, p


def _row_loss(d: SliceInputs) -> FloatArray:
    if d.metric in ("mae", "rmse"):
        e = d.y.astype(np.float64) - np.asarray(d.pred, dtype=np.float64)
        return np.abs(e) if d.metric == "mae" else e * e
    y = d.y.astype(np.float64)
    sc = np.asarray(d.score, dtype=np.float64)
    if d.metric == "brier":
        return (sc - y) ** 2
    eps = np.finfo(np.float64).eps
    out: FloatArray = -np.log(np.clip(np.where(y == 1, sc, 1 - sc), eps, 1 - eps))
    return out
