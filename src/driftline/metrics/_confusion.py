"""Confusion matrices and the metrics that are functions of them (vectorized over resamples).

Every function here takes confusion matrices of shape ``(..., K, K)`` (rows: true class,
columns: predicted class, scikit-learn's layout) so that the same code computes a point
value and a whole stack of bootstrap replicates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike

from driftline._params import Options, check, invalid
from driftline.metrics._validation import FloatArray, IntArray

__all__ = [
    "Average",
    "ConfusionMetric",
    "check_zero_division",
    "confusion_counts",
    "metric_from_confusion",
    "undefined_reason",
]

Average = Literal["binary", "micro", "macro", "weighted"]
#: The functions of a confusion matrix this module computes (not the registry's names).
ConfusionMetric = Literal["accuracy", "precision", "recall", "f1", "specificity"]
AVERAGES: tuple[str, ...] = get_args(Average)


def confusion_counts(
    true_codes: IntArray,
    pred_codes: IntArray,
    n_classes: int,
    sample_weight: FloatArray | None = None,
) -> FloatArray:
    """``(K, K)`` matrix of (weighted) counts from integer class codes.

    >>> confusion_counts(np.array([0, 1, 1]), np.array([0, 1, 0]), 2).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    cells = true_codes * n_classes + pred_codes
    flat = np.bincount(cells, weights=sample_weight, minlength=n_classes * n_classes)
    return flat.astype(np.float64).reshape(n_classes, n_classes)


def check_zero_division(zero_division: object) -> float:
    """``zero_division`` is NaN (undefined, the default), 0.0 or 1.0."""
    if (
        isinstance(zero_division, bool)
        or not isinstance(zero_division, int | float)
        or not (math.isnan(zero_division) or zero_division in (0.0, 1.0))
    ):
        raise invalid(
            None,
            "zero_division",
            zero_division,
            "float('nan') (report the metric as undefined), 0.0 or 1.0",
        )
    return float(zero_division)


def _safe_div(num: FloatArray, den: FloatArray, fill: float = 0.0) -> FloatArray:
    """``num / den`` with ``fill`` where ``den == 0`` (scikit-learn's ``zero_division``)."""
    out = np.full(np.broadcast(num, den).shape, fill, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _nan_average(scores: FloatArray, weights: FloatArray | None) -> FloatArray:
    """Mean over the last axis ignoring NaN classes (scikit-learn's ``_nanaverage``).

    All NaN: NaN. Weighted with zero weight on every defined class: the plain mean.
    """
    valid = ~np.isnan(scores)
    vals = np.where(valid, scores, 0.0)
    count = valid.sum(axis=-1)
    plain = _safe_div(vals.sum(axis=-1), count.astype(np.float64), np.nan)
    if weights is None:
        return plain
    w = np.where(valid, weights, 0.0)
    total_w = w.sum(axis=-1)
    return np.where(total_w > 0, _safe_div((vals * w).sum(axis=-1), total_w, np.nan), plain)


def _per_class(cm: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    predicted = cm.sum(axis=-2)
    total = support.sum(axis=-1, keepdims=True)
    fp = predicted - tp
    fn = support - tp
    tn = total - tp - fp - fn
    return tp, fp, fn, tn


def _denominator(
    metric: str, tp: FloatArray, fp: FloatArray, fn: FloatArray, tn: FloatArray
) -> FloatArray:
    if metric == "precision":
        return tp + fp
    if metric == "recall":
        return tp + fn
    if metric == "f1":
        return 2 * tp + fp + fn
    return tn + fp  # specificity


def _class_scores(
    metric: str, tp: FloatArray, fp: FloatArray, fn: FloatArray, tn: FloatArray, fill: float
) -> FloatArray:
    num = tn if metric == "specificity" else (2 * tp if metric == "f1" else tp)
    return _safe_div(num, _denominator(metric, tp, fp, fn, tn), fill)


def metric_from_confusion(
    cm: ArrayLike,
    metric: ConfusionMetric,
    *,
    average: Average = "binary",
    pos_index: int = 1,
    zero_division: float = 0.0,
) -> FloatArray:
    """A metric from confusion matrices ``(..., K, K)``; returns shape ``(...)``.

    ``average="binary"`` reports the class at ``pos_index``; ``"macro"`` the unweighted
    mean over classes; ``"weighted"`` the mean weighted by true-class support; ``"micro"``
    pools the per-class counts. A zero denominator gives ``zero_division``: 0 (here, the
    default, for bootstrap replicates), 1, or NaN — then, as scikit-learn's
    ``zero_division=np.nan``, the macro and weighted averages leave the undefined classes
    out (NaN when every class is undefined).

    >>> cm = np.array([[50.0, 10.0], [5.0, 35.0]])
    >>> float(metric_from_confusion(cm, "f1"))
    0.8235294117647058
    >>> float(metric_from_confusion(cm, "accuracy"))
    0.85
    >>> float(metric_from_confusion([[9.0, 0.0], [1.0, 0.0]], "precision", zero_division=np.nan))
    nan
    """
    check(None, "metric", metric, Options(*get_args(ConfusionMetric)))
    check(None, "average", average, Options(*AVERAGES))
    fill = check_zero_division(zero_division)
    c = np.asarray(cm, dtype=np.float64)
    if metric == "accuracy":
        total = c.sum(axis=(-2, -1))
        return _safe_div(np.trace(c, axis1=-2, axis2=-1), total, fill)
    tp, fp, fn, tn = _per_class(c)
    if average == "micro":
        return _class_scores(
            metric, tp.sum(axis=-1), fp.sum(axis=-1), fn.sum(axis=-1), tn.sum(axis=-1), fill
        )
    scores = _class_scores(metric, tp, fp, fn, tn, fill)
    if average == "binary":
        return scores[..., pos_index]
    return _nan_average(scores, None if average == "macro" else tp + fn)


_UNDEFINED = {
    "precision": "no row is predicted {cls}",
    "recall": "no row is truly {cls}",
    "specificity": "no row is truly other than {cls}",
    "f1": "no row is truly or predicted {cls}",
}


def undefined_reason(
    cm: FloatArray,
    metric: ConfusionMetric,
    *,
    average: Average,
    pos_index: int = 1,
    labels: Sequence[object] | None = None,
) -> str | None:
    """Why a metric of one confusion matrix ``(K, K)`` is undefined, or what its average
    leaves out; ``None`` when every class involved has a non-zero denominator.

    >>> undefined_reason(np.array([[9.0, 0.0], [1.0, 0.0]]), "precision", average="binary")
    'undefined: no row is predicted positive (tp + fp = 0)'
    """
    c = np.asarray(cm, dtype=np.float64)
    if metric == "accuracy":
        return None if c.sum() > 0 else "undefined: no rows"
    tp, fp, fn, tn = _per_class(c)
    if average == "micro":
        tp, fp, fn, tn = (x.sum(keepdims=True) for x in (tp, fp, fn, tn))
    zero = _denominator(metric, tp, fp, fn, tn) == 0
    formula = {"precision": "tp + fp", "recall": "tp + fn", "specificity": "tn + fp"}
    what = formula.get(metric, "2 tp + fp + fn")
    if average == "binary":
        if not zero[pos_index]:
            return None
        text = _UNDEFINED[metric].format(cls="positive")
        return f"undefined: {text} ({what} = 0)"
    if average == "micro":
        return f"undefined: {what} = 0 over all classes" if zero[0] else None
    if not zero.any():
        return None
    names = [str(v) for v in (labels if labels is not None else range(zero.size))]
    bad = [names[i] for i in np.flatnonzero(zero)]
    if zero.all():
        return f"undefined: {what} = 0 for every class"
    shown = ", ".join(repr(b) for b in bad[:10]) + (" ..." if len(bad) > 10 else "")
    return (
        f"{metric} is undefined for class(es) {shown} ({what} = 0); the {average} average "
        f"is over the other {zero.size - len(bad)} of {zero.size} classes"
    )


def wilson_parts(
    cm: FloatArray, metric: ConfusionMetric, average: Average, pos_index: int
) -> tuple[float, float] | None:
    """``(successes, trials)`` when the metric is a plain proportion of rows, else None."""
    tp, fp, fn, tn = _per_class(cm)
    if metric == "accuracy" or (average == "micro" and metric != "specificity"):
        return float(np.trace(cm)), float(cm.sum())
    if average != "binary":
        return None
    k = pos_index
    if metric == "precision":
        return float(tp[k]), float(tp[k] + fp[k])
    if metric == "recall":
        return float(tp[k]), float(tp[k] + fn[k])
    if metric == "specificity":
        return float(tn[k]), float(tn[k] + fp[k])
    return None
