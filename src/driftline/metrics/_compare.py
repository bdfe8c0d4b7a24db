"""Paired comparison of two models scored on the same rows (candidate vs champion)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse, special

from driftline.metrics._bootstrap import bootstrap_sums
from driftline.metrics._classification import encode_classification
from driftline.metrics._confusion import Average, metric_from_confusion
from driftline.metrics._core import check_common, influence_se, resolve_ci
from driftline.metrics._intervals import normal_interval
from driftline.metrics._ranking import (
    _ap_from_sums,
    _auc_from_sums,
    _check_two_classes,
    _grouped_terms,
    auc_components,
    delong_covariance,
)
from driftline.metrics._result import MetricComparison
from driftline.metrics._validation import (
    FloatArray,
    RandomState,
    as_binary,
    as_float,
    as_weights,
    check_choice,
    check_lengths,
)

__all__ = ["compare_metric"]

CompareMetric = Literal[
    "roc_auc", "average_precision", "accuracy", "precision", "recall", "f1", "specificity",
    "log_loss", "brier", "mae", "rmse", "mape",
]  # fmt: skip
_CONFUSION = ("accuracy", "precision", "recall", "f1", "specificity")
_RANKING = ("roc_auc", "average_precision")
_LOSSES = ("log_loss", "brier", "mae", "rmse", "mape")
_ALL = _RANKING + _CONFUSION + _LOSSES


def _row_loss(metric: str, y: FloatArray, s: FloatArray) -> FloatArray:
    if metric == "log_loss":
        eps = np.finfo(np.float64).eps
        q = np.clip(np.where(y == 1.0, s, 1.0 - s), eps, 1.0 - eps)
        out: FloatArray = -np.log(q)
        return out
    if metric == "brier":
        return (s - y) ** 2
    if metric == "mape":
        return np.abs(y - s) / np.maximum(np.abs(y), np.finfo(np.float64).eps)
    if metric == "mae":
        return np.abs(y - s)
    return (y - s) ** 2


def _p_value_normal(diff: float, se: float) -> float:
    if se <= 0 or not np.isfinite(se):
        return 1.0 if diff == 0 else 0.0
    return float(2.0 * special.ndtr(-abs(diff) / se))


def _p_value_boot(reps: FloatArray) -> float:
    r = reps[np.isfinite(reps)]
    b = r.size
    lo = (1 + np.sum(r <= 0)) / (b + 1)
    hi = (1 + np.sum(r >= 0)) / (b + 1)
    return float(min(1.0, 2.0 * min(lo, hi)))


def compare_metric(
    y_true: ArrayLike,
    score_a: ArrayLike,
    score_b: ArrayLike,
    *,
    metric: CompareMetric = "roc_auc",
    threshold: float = 0.5,
    average: Average = "binary",
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: Literal["auto", "analytic", "percentile", "bca"] = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricComparison:
    """Difference ``metric(a) - metric(b)`` on the same rows, with a paired interval.

    ROC AUC uses the paired DeLong test (correlated AUCs); the mean losses (log loss,
    Brier, MAE, RMSE, MAPE) a delta-method interval on the paired per-row differences;
    the confusion-matrix metrics and average precision a paired bootstrap (both models
    see the same resampled rows; for unweighted confusion metrics the joint cell counts
    are drawn from a multinomial). Scores are thresholded at ``threshold`` for the
    confusion metrics (binary); with ``average`` other than ``"binary"`` they are
    taken as predicted labels. For a loss, a negative difference means ``a`` is better.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> a = y + rng.normal(0, 0.8, 500)
    >>> b = y + rng.normal(0, 1.5, 500)
    >>> c = compare_metric(y, a, b, metric="roc_auc")
    >>> c.method, bool(c.difference > 0 and c.ci_low > 0)
    ('delong', True)
    """
    confidence = check_common(confidence, n_resamples)
    check_choice("metric", metric, _ALL)
    analytic = None
    if sample_weight is None and metric == "roc_auc":
        analytic = "delong"
    elif metric in _LOSSES:
        analytic = "delta"
    method = resolve_ci(ci, analytic, metric=metric)
    if metric in _CONFUSION:
        return _compare_confusion(y_true, score_a, score_b, metric, threshold, average,
                                  sample_weight, confidence, method, n_resamples, random_state)  # fmt: skip
    y = as_float("y_true", y_true)
    sa, sb = as_float("score_a", score_a), as_float("score_b", score_b)
    n = check_lengths(y_true=y, score_a=sa, score_b=sb)
    w = as_weights(sample_weight, n)
    ww = np.ones(n) if w is None else w
    if metric in _RANKING:
        y = as_binary("y_true", y).astype(np.float64)
        _check_two_classes(y)
        if method == "delong":
            aucs, cov = delong_covariance(y, np.column_stack([sa, sb]))
            diff = float(aucs[0] - aucs[1])
            se = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
            lo, hi = normal_interval(diff, se, confidence=confidence, lower=-1.0, upper=1.0)
            return MetricComparison(metric, float(aucs[0]), float(aucs[1]), diff, lo, hi,
                                    _p_value_normal(diff, se), confidence, "delong", n)  # fmt: skip
        ca, cb = auc_components(y, sa, w), auc_components(y, sb, w)
        terms: Any = sparse.hstack([_grouped_terms(ca, ww), _grouped_terms(cb, ww)], format="csr")
        split = 2 * ca.n_groups
        fn = _auc_from_sums if metric == "roc_auc" else _ap_from_sums
        if method == "bca":
            method = "percentile"  # jackknife of a paired rank statistic is not vectorized
    else:
        if metric in ("log_loss", "brier"):
            y = as_binary("y_true", y).astype(np.float64)
            sa = as_float("score_a", sa, probability=True)
            sb = as_float("score_b", sb, probability=True)
        la, lb = _row_loss(metric, y, sa), _row_loss(metric, y, sb)
        sw = ww.sum()
        ma, mb = float(ww @ la / sw), float(ww @ lb / sw)
        root = metric == "rmse"
        va, vb = (np.sqrt(ma), np.sqrt(mb)) if root else (ma, mb)
        if method == "delta":
            ia, ib = ww * (la - ma) / sw, ww * (lb - mb) / sw
            if root:
                ia = ia / (2 * va) if va > 0 else 0 * ia
                ib = ib / (2 * vb) if vb > 0 else 0 * ib
            se = influence_se(ia - ib)
            diff = float(va - vb)
            lo, hi = normal_interval(diff, se, confidence=confidence)
            return MetricComparison(metric, float(va), float(vb), diff, lo, hi,
                                    _p_value_normal(diff, se), confidence, "delta", n)  # fmt: skip
        terms = np.column_stack([ww * la, ww, ww * lb, ww])
        split = 2

        def fn(s: FloatArray) -> FloatArray:
            m = s[..., 0] / s[..., 1]
            return np.sqrt(m) if root else m

    def stat(s: FloatArray) -> FloatArray:
        return fn(s[..., :split]) - fn(s[..., split:])

    boot = bootstrap_sums(terms, stat, n_resamples=n_resamples, method=method,  # type: ignore[arg-type]
                          confidence=confidence, random_state=random_state)  # fmt: skip
    total = np.asarray(terms.sum(axis=0)).ravel()
    va, vb = float(fn(total[:split])), float(fn(total[split:]))
    return MetricComparison(metric, va, vb, boot.value, boot.ci_low, boot.ci_high,
                            _p_value_boot(boot.replicates), confidence, boot.method, n)  # fmt: skip


def _compare_confusion(
    y_true: ArrayLike, score_a: ArrayLike, score_b: ArrayLike, metric: Any, threshold: float,
    average: Average, sample_weight: ArrayLike | None, confidence: float, method: str,
    n_resamples: int, random_state: RandomState,
) -> MetricComparison:  # fmt: skip
    if average == "binary":
        y = as_binary("y_true", y_true)
        pa = (as_float("score_a", score_a) >= threshold).astype(np.int64)
        pb = (as_float("score_b", score_b) >= threshold).astype(np.int64)
        check_lengths(y_true=y, score_a=pa, score_b=pb)
        t, k, pos = y.astype(np.int64), 2, 1
    else:
        both = np.concatenate([np.asarray(score_a), np.asarray(score_b)])
        yt = np.asarray(y_true)
        t_all, p_all, k, pos = encode_classification(
            np.concatenate([yt, yt]), both, average=average, labels=None, pos_label=1
        )
        n0 = yt.size
        t, pa, pb = t_all[:n0], p_all[:n0], p_all[n0:]
        check_lengths(y_true=t, score_a=pa, score_b=pb)
    n = t.size
    w = as_weights(sample_weight, n)
    kk = k * k
    cell_a, cell_b = t * k + pa, t * k + pb
    if w is None:
        joint = np.bincount(cell_a * kk + cell_b, minlength=kk * kk)
        ga, gb = np.divmod(np.arange(kk * kk), kk)
        terms: Any = np.hstack([np.eye(kk)[ga], np.eye(kk)[gb]])
        counts: Any = joint
    else:
        rows = np.arange(n + 1) * 2
        terms = sparse.csr_array(
            (np.repeat(w, 2), np.column_stack([cell_a, kk + cell_b]).ravel(), rows),
            shape=(n, 2 * kk),
        )
        counts = None

    def one(s: FloatArray) -> FloatArray:
        return metric_from_confusion(
            s.reshape(*s.shape[:-1], k, k), metric, average=average, pos_index=pos
        )

    def stat(s: FloatArray) -> FloatArray:
        return one(s[..., :kk]) - one(s[..., kk:])

    if method in ("wilson", "delong", "delta"):
        method = "percentile"
    boot = bootstrap_sums(terms, stat, counts=counts, n_resamples=n_resamples,
                          method=method, confidence=confidence, random_state=random_state)  # type: ignore[arg-type]  # fmt: skip
    total = np.asarray(terms.sum(axis=0) if counts is None else counts @ terms).ravel()
    va, vb = float(one(total[:kk])), float(one(total[kk:]))
    name = metric if average == "binary" or metric == "accuracy" else f"{metric}_{average}"
    return MetricComparison(name, va, vb, boot.value, boot.ci_low, boot.ci_high,
                            _p_value_boot(boot.replicates), confidence, boot.method, n)  # fmt: skip
