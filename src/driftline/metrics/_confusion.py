"""Confusion matrices and the metrics that are functions of them (vectorized over resamples).

Every function here takes confusion matrices of shape ``(..., K, K)`` (rows: true class,
columns: predicted class, scikit-learn's layout) so that the same code computes a point
value and a whole stack of bootstrap replicates.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from driftline.metrics._validation import FloatArray, IntArray, check_choice

__all__ = ["Average", "ConfusionMetric", "confusion_counts", "metric_from_confusion"]

Average = Literal["binary", "micro", "macro", "weighted"]
ConfusionMetric = Literal["accuracy", "precision", "recall", "f1", "specificity"]
CONFUSION_METRICS: tuple[str, ...] = ("accuracy", "precision", "recall", "f1", "specificity")
AVERAGES: tuple[str, ...] = ("binary", "micro", "macro", "weighted")


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


def _safe_div(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` with 0 where ``den == 0`` (scikit-learn's ``zero_division=0``)."""
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _per_class(cm: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    predicted = cm.sum(axis=-2)
    total = support.sum(axis=-1, keepdims=True)
    fp = predicted - tp
    fn = support - tp
    tn = total - tp - fp - fn
    return tp, fp, fn, tn


def _class_scores(
    metric: str, tp: FloatArray, fp: FloatArray, fn: FloatArray, tn: FloatArray
) -> FloatArray:
    if metric == "precision":
        return _safe_div(tp, tp + fp)
    if metric == "recall":
        return _safe_div(tp, tp + fn)
    if metric == "f1":
        return _safe_div(2 * tp, 2 * tp + fp + fn)
    return _safe_div(tn, tn + fp)  # specificity


def metric_from_confusion(
    cm: ArrayLike,
    metric: ConfusionMetric,
    *,
    average: Average = "binary",
    pos_index: int = 1,
) -> FloatArray:
    """A metric from confusion matrices ``(..., K, K)``; returns shape ``(...)``.

    ``average="binary"`` reports the class at ``pos_index``; ``"macro"`` the unweighted
    mean over classes; ``"weighted"`` the mean weighted by true-class support; ``"micro"``
    pools the per-class counts. Zero denominators give 0 (scikit-learn's default).

    >>> cm = np.array([[50.0, 10.0], [5.0, 35.0]])
    >>> float(metric_from_confusion(cm, "f1"))
    0.8235294117647058
    >>> float(metric_from_confusion(cm, "accuracy"))
    0.85
    """
    check_choice("metric", metric, CONFUSION_METRICS)
    check_choice("average", average, AVERAGES)
    c = np.asarray(cm, dtype=np.float64)
    if metric == "accuracy":
        total = c.sum(axis=(-2, -1))
        return _safe_div(np.trace(c, axis1=-2, axis2=-1), total)
    tp, fp, fn, tn = _per_class(c)
    if average == "micro":
        return _class_scores(
            metric, tp.sum(axis=-1), fp.sum(axis=-1), fn.sum(axis=-1), tn.sum(axis=-1)
        )
    scores = _class_scores(metric, tp, fp, fn, tn)
    if average == "binary":
        return scores[..., pos_index]
    if average == "macro":
        mean: FloatArray = scores.mean(axis=-1)
        return mean
    support = tp + fn
    return _safe_div((scores * support).sum(axis=-1), support.sum(axis=-1))


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
