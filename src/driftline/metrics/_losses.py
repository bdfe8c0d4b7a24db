"""Per-row losses: the terms whose (weighted) mean is a loss metric.

One definition per loss, shared by the metric itself, the paired comparison of two
models (delta method on per-row differences) and the slice test (Welch t-test).
Classification losses take ``y`` as 0/1 with 1-d probabilities of class 1, or as class
codes with an ``(n, K)`` probability matrix.
"""

from __future__ import annotations

import numpy as np

from driftline.metrics._validation import FloatArray

__all__ = ["absolute_error", "absolute_percentage_error", "brier_rows", "log_loss_rows"]

_EPS = float(np.finfo(np.float64).eps)


def _true_class_probability(y: FloatArray, p: FloatArray) -> FloatArray:
    if p.ndim == 2:
        out: FloatArray = p[np.arange(p.shape[0]), y.astype(np.int64)]
        return out
    return np.where(y == 1, p, 1.0 - p)


def log_loss_rows(y: FloatArray, p: FloatArray) -> FloatArray:
    """``-log p(true class)``, clipped to ``[eps, 1 - eps]`` like scikit-learn.

    >>> log_loss_rows(np.array([1.0, 0.0]), np.array([0.8, 0.4])).round(4).tolist()
    [0.2231, 0.5108]
    """
    out: FloatArray = -np.log(np.clip(_true_class_probability(y, p), _EPS, 1.0 - _EPS))
    return out


def brier_rows(y: FloatArray, p: FloatArray) -> FloatArray:
    """``(p - y)^2`` (binary) or ``sum_k (p_k - [y = k])^2`` (multiclass).

    >>> brier_rows(np.array([1, 0]), np.array([[0.2, 0.8], [0.5, 0.5]])).round(6).tolist()
    [0.08, 0.5]
    """
    if p.ndim == 2:
        onehot = np.zeros_like(p)
        onehot[np.arange(p.shape[0]), y.astype(np.int64)] = 1.0
        out: FloatArray = ((p - onehot) ** 2).sum(axis=1)
        return out
    return (p - y) ** 2


def absolute_error(y: FloatArray, pred: FloatArray) -> FloatArray:
    """``|y - pred|``."""
    return np.abs(y - pred)


def squared_error(y: FloatArray, pred: FloatArray) -> FloatArray:
    """``(y - pred)^2``."""
    return (y - pred) ** 2


def absolute_percentage_error(y: FloatArray, pred: FloatArray) -> FloatArray:
    """``|y - pred| / max(|y|, eps)`` (scikit-learn's MAPE terms)."""
    return np.abs(y - pred) / np.maximum(np.abs(y), _EPS)
