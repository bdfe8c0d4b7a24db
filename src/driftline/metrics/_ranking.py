"""ROC AUC (with the fast DeLong variance) and average precision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from driftline._params import Options, validate_params
from driftline.exceptions import InsufficientDataError, ParameterError
from driftline.metrics._core import CI_METHODS, CIMethod, bootstrap_result, check_common, resolve_ci
from driftline.metrics._intervals import normal_interval
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import (
    FloatArray,
    RandomState,
    as_1d,
    as_binary,
    as_float,
    as_proba_matrix,
    as_weights,
    check_lengths,
    encode_labels,
    resampling,
)

__all__ = ["AUCComponents", "auc_components", "average_precision", "delong_covariance", "roc_auc"]

MultiAverage = Literal["macro", "weighted"]


@dataclass(frozen=True)
class AUCComponents:
    """DeLong structural components of one score column (Sun & Xu 2014).

    ``v10[i]`` is the (weighted) fraction of negatives ranked below positive ``i`` (ties
    count 1/2); ``v01[j]`` the fraction of positives ranked above negative ``j``. The
    AUC is their weighted mean; ``group``/``pos_sums``/``neg_sums`` describe the rows
    grouped by distinct score (ascending), which the bootstrap reuses.
    """

    auc: float
    v10: FloatArray
    v01: FloatArray
    positive: FloatArray
    group: Any
    n_groups: int


def auc_components(
    y: ArrayLike, score: ArrayLike, sample_weight: FloatArray | None = None
) -> AUCComponents:
    """Structural components in O(n log n) with one sort (midranks via grouped sums).

    >>> c = auc_components([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> c.auc, c.v10.tolist(), c.v01.tolist()
    (0.75, [0.5, 1.0], [1.0, 0.5])
    """
    yb = np.asarray(y).astype(np.float64)
    s = np.asarray(score, dtype=np.float64)
    w = np.ones_like(s) if sample_weight is None else sample_weight
    uniq, inv = np.unique(s, return_inverse=True)
    pos_w = np.bincount(inv, weights=w * yb, minlength=uniq.size)
    neg_w = np.bincount(inv, weights=w * (1.0 - yb), minlength=uniq.size)
    wp, wn = pos_w.sum(), neg_w.sum()
    neg_below = np.cumsum(neg_w) - neg_w
    pos_above = wp - np.cumsum(pos_w)
    g10 = (neg_below + 0.5 * neg_w) / wn
    g01 = (pos_above + 0.5 * pos_w) / wp
    auc = float(np.dot(pos_w, g10) / wp)
    is_pos = yb == 1.0
    return AUCComponents(auc, g10[inv[is_pos]], g01[inv[~is_pos]], yb, inv, uniq.size)


def _check_two_classes(y: FloatArray, what: str = "ROC AUC") -> None:
    n_pos = int(np.sum(y == 1))
    if n_pos == 0 or n_pos == y.size:
        raise InsufficientDataError(
            f"{what} needs both classes in y_true, but all {y.size} rows are "
            f"{'positive' if n_pos else 'negative'}; the metric is undefined."
        )


def delong_covariance(y_true: ArrayLike, scores: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """AUCs of several score columns on the same rows and their DeLong covariance matrix.

    ``scores`` is ``(n,)`` or ``(n, m)``; returns ``aucs (m,)`` and ``cov (m, m)``
    (DeLong, DeLong & Clarke-Pearson 1988, computed with the fast algorithm of Sun &
    Xu 2014 in O(m n log n)).

    >>> aucs, cov = delong_covariance([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    >>> round(float(aucs[0]), 4), bool(cov[0, 0] > 0)
    (0.8889, True)
    """
    y = as_binary("y_true", y_true).astype(np.float64)
    s = np.asarray(scores, dtype=np.float64)
    s = s[:, None] if s.ndim == 1 else s
    check_lengths(y_true=y, scores=s)
    _check_two_classes(y)
    comps = [auc_components(y, s[:, j]) for j in range(s.shape[1])]
    v10 = np.vstack([c.v10 for c in comps])
    v01 = np.vstack([c.v01 for c in comps])
    m, n = v10.shape[1], v01.shape[1]
    s10 = np.atleast_2d(np.cov(v10)) if m > 1 else np.zeros((s.shape[1], s.shape[1]))
    s01 = np.atleast_2d(np.cov(v01)) if n > 1 else np.zeros((s.shape[1], s.shape[1]))
    return np.array([c.auc for c in comps]), s10 / m + s01 / n


def _grouped_terms(comp: AUCComponents, w: FloatArray) -> Any:
    """Sparse ``(n, 2G)`` terms: column ``g`` sums positive weight, ``G + g`` negative."""
    n = comp.positive.size
    cols = comp.group + np.where(comp.positive == 1.0, 0, comp.n_groups)
    return sparse.csr_array((w, cols, np.arange(n + 1)), shape=(n, 2 * comp.n_groups))


def _auc_from_sums(s: FloatArray) -> FloatArray:
    g = s.shape[-1] // 2
    pos, neg = s[..., :g], s[..., g:]
    below = np.cumsum(neg, axis=-1) - 0.5 * neg
    out: FloatArray = (pos * below).sum(axis=-1) / (pos.sum(axis=-1) * neg.sum(axis=-1))
    return out


def _ap_from_sums(s: FloatArray) -> FloatArray:
    g = s.shape[-1] // 2
    pos, neg = s[..., g - 1 :: -1], s[..., : g - 1 : -1]  # descending score
    tp, fp = np.cumsum(pos, axis=-1), np.cumsum(neg, axis=-1)
    prec = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    out: FloatArray = (pos * prec).sum(axis=-1) / pos.sum(axis=-1)
    return out


def _binary_auc(y: FloatArray, s: FloatArray, w: FloatArray | None, **kw: Any) -> MetricResult:
    _check_two_classes(y)
    comp = auc_components(y, s, w)
    method = resolve_ci(kw["ci"], None if w is not None else "delong", metric="roc_auc")
    if method == "delong":
        m, n = comp.v10.size, comp.v01.size
        var = (np.var(comp.v10, ddof=1) if m > 1 else 0.0) / m
        var += (np.var(comp.v01, ddof=1) if n > 1 else 0.0) / n
        lo, hi = normal_interval(
            comp.auc, float(np.sqrt(var)), confidence=kw["confidence"], lower=0.0, upper=1.0
        )
        return MetricResult("roc_auc", comp.auc, lo, hi, kw["confidence"], "delong", y.size)
    ww = np.ones_like(s) if w is None else w
    wp, wn = float(ww @ y), float(ww @ (1.0 - y))
    jack = np.empty_like(s)
    is_pos = y == 1.0
    jack[is_pos] = (comp.auc * wp - ww[is_pos] * comp.v10) / (wp - ww[is_pos])
    jack[~is_pos] = (comp.auc * wn - ww[~is_pos] * comp.v01) / (wn - ww[~is_pos])
    return bootstrap_result(
        "roc_auc", _grouped_terms(comp, ww), _auc_from_sums, n=y.size, method=method,
        jackknife=jack, confidence=kw["confidence"], n_resamples=kw["n_resamples"],
        random_state=kw["random_state"],
    )  # fmt: skip


def _ovr_columns(
    y_true: ArrayLike, y_score: ArrayLike, labels: ArrayLike | None
) -> tuple[FloatArray, FloatArray]:
    yt = as_1d("y_true", y_true)
    lab, codes, _ = encode_labels(yt, None, labels)
    prob = as_proba_matrix("y_score", y_score, len(lab))
    check_lengths(y_true=yt, y_score=prob)
    onehot = np.zeros_like(prob)
    onehot[np.arange(codes.size), codes] = 1.0
    return onehot, prob


def ovr_influence(onehot: FloatArray, comps: list[AUCComponents], coef: FloatArray) -> FloatArray:
    """Each row's DeLong contribution to ``sum_j coef[j] * AUC_j`` (one-vs-rest, unweighted).

    The per-class AUCs share rows; summing a row's contributions over classes accounts
    for that correlation (the multiclass interval and the paired comparison use it).
    """
    psi = np.zeros(onehot.shape[0])
    for j, c in enumerate(comps):
        pos = onehot[:, j] == 1.0
        m, n = pos.sum(), (~pos).sum()
        psi[pos] += coef[j] * (c.v10 - c.auc) / m
        psi[~pos] += coef[j] * (c.v01 - c.auc) / n
    return psi


def ovr_terms(comps: list[AUCComponents], w: FloatArray) -> tuple[Any, FloatArray]:
    """Sparse grouped terms of every class side by side, and the column edges per class."""
    terms = sparse.hstack([_grouped_terms(c, w) for c in comps], format="csr")
    return terms, np.cumsum([0] + [2 * c.n_groups for c in comps])


def _multiclass_auc(
    onehot: FloatArray, prob: FloatArray, w: FloatArray | None, average: str, **kw: Any
) -> MetricResult:
    k = prob.shape[1]
    for j in range(k):
        _check_two_classes(onehot[:, j], f"One-vs-rest ROC AUC for class index {j}")
    comps = [auc_components(onehot[:, j], prob[:, j], w) for j in range(k)]
    aucs = np.array([c.auc for c in comps])
    ww = np.ones(prob.shape[0]) if w is None else w
    prev = ww @ onehot
    coef = np.full(k, 1.0 / k) if average == "macro" else prev / prev.sum()
    value = float(coef @ aucs)
    name = f"roc_auc_ovr_{average}"
    method = resolve_ci(kw["ci"], None if w is not None else "delong", metric=name)
    if method == "delong":
        psi = ovr_influence(onehot, comps, coef)
        se = float(np.sqrt(np.sum(psi**2) * psi.size / (psi.size - 1)))
        lo, hi = normal_interval(value, se, confidence=kw["confidence"], lower=0.0, upper=1.0)
        return MetricResult(name, value, lo, hi, kw["confidence"], "delong", psi.size)
    terms, edges = ovr_terms(comps, ww)
    weighted = average == "weighted"

    def stat(s: FloatArray) -> FloatArray:
        per = [_auc_from_sums(s[..., edges[j] : edges[j + 1]]) for j in range(k)]
        if not weighted:
            return np.mean(per, axis=0)  # type: ignore[no-any-return]
        sup = [s[..., edges[j] : edges[j] + comps[j].n_groups].sum(axis=-1) for j in range(k)]
        return np.sum([a * b for a, b in zip(per, sup, strict=True)], axis=0) / np.sum(sup, axis=0)  # type: ignore[no-any-return]

    if method == "bca":
        raise ParameterError(
            "ci='bca' is not available for multiclass ROC AUC; use 'auto' or 'percentile'."
        )
    return bootstrap_result(
        name, terms, stat, n=prob.shape[0], method=method, confidence=kw["confidence"],
        n_resamples=kw["n_resamples"], random_state=kw["random_state"],
    )  # fmt: skip


@validate_params({**resampling(CI_METHODS), "average": [Options("macro", "weighted")]})
def roc_auc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    average: MultiAverage = "macro",
    labels: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Area under the ROC curve with a DeLong interval (bootstrap when weighted).

    Binary: ``y_score`` is 1-d. Multiclass: ``y_score`` is ``(n, K)`` probabilities and
    the one-vs-rest AUCs are averaged (``"macro"`` or prevalence-``"weighted"``); the
    DeLong interval then combines the per-class structural components of the same rows
    (class prevalences treated as fixed). Raises :class:`InsufficientDataError` when a
    class is missing.

    >>> r = roc_auc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    >>> round(r.value, 4), r.method
    (0.8889, 'delong')
    """
    confidence = check_common(confidence, n_resamples)
    kw: dict[str, Any] = {"ci": ci, "confidence": confidence, "n_resamples": n_resamples}
    kw["random_state"] = random_state
    arr = np.asarray(y_score)
    if arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1):
        y = as_binary("y_true", y_true).astype(np.float64)
        s = as_float("y_score", arr)
        n = check_lengths(y_true=y, y_score=s)
        return _binary_auc(y, s, as_weights(sample_weight, n), **kw)
    onehot, prob = _ovr_columns(y_true, arr, labels)
    return _multiclass_auc(onehot, prob, as_weights(sample_weight, prob.shape[0]), average, **kw)


@validate_params(resampling(("auto", "analytic", "percentile")))
def average_precision(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: Literal["auto", "analytic", "percentile"] = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Average precision (area under the precision-recall curve, step-wise), binary.

    Same definition as scikit-learn's ``average_precision_score``. ``ci="auto"`` (or
    ``"analytic"``) gives a delta-method interval from the empirical influence function of
    AP (O(n log n); see docs/metrics.md); ``"percentile"`` a row bootstrap, O(n_resamples * n).

    >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], random_state=0).value, 4)
    0.8333
    """
    confidence = check_common(confidence, n_resamples)
    y = as_binary("y_true", y_true).astype(np.float64)
    s = as_float("y_score", y_score)
    n = check_lengths(y_true=y, y_score=s)
    w = as_weights(sample_weight, n)
    if not (y == 1).any():
        raise InsufficientDataError("Average precision needs at least one positive in y_true.")
    ww = np.ones(n) if w is None else w
    if ci in ("auto", "analytic"):
        value, se = _ap_delta(y, s, ww)
        lo, hi = normal_interval(value, se, confidence=confidence, lower=0.0, upper=1.0)
        return MetricResult("average_precision", value, lo, hi, confidence, "delta", n)
    comp = auc_components(y, s, w)
    return bootstrap_result(
        "average_precision", _grouped_terms(comp, ww), _ap_from_sums, n=n, method="percentile",
        confidence=confidence, n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip


def _ap_delta(y: FloatArray, s: FloatArray, w: FloatArray) -> tuple[float, float]:
    """AP and its delta-method standard error from the empirical influence function.

    With ``b(t) = P(S >= t)``, ``q(t) = P(Y=1 | S >= t)`` and ``pi = P(Y=1)``,
    ``AP = E[Y q(S)] / pi`` and the influence of a row ``(s0, y0)`` is
    ``(y0 q(s0) - AP y0 + sum_{pos j: s_j <= s0} (y0 - q_j) / (n b_j)) / pi``.
    """
    uniq, inv = np.unique(s, return_inverse=True)
    big_w = w.sum()
    pw = np.bincount(inv, weights=w * y, minlength=uniq.size)
    aw = np.bincount(inv, weights=w, minlength=uniq.size)
    n_ge = np.cumsum(aw[::-1])[::-1]
    tp_ge = np.cumsum(pw[::-1])[::-1]
    q = tp_ge / n_ge
    b = n_ge / big_w
    wp = pw.sum()
    ap = float(np.dot(pw, q) / wp)
    pi = wp / big_w
    c1 = np.cumsum(pw / b) / big_w
    c2 = np.cumsum(pw * q / b) / big_w
    g = inv
    infl = (y * q[g] + y * c1[g] - c2[g] - ap * y) / pi
    psi = w * infl / big_w
    n = y.size
    se = float(np.sqrt(np.sum(psi**2) * n / (n - 1))) if n > 1 else float("nan")
    return ap, se
