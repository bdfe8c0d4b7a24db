"""Paired comparison of two models scored on the same rows (candidate vs champion).

Which paired method a metric uses is read from its registry entry (``comparison``,
``confusion``, ``row_loss``): a metric added to the registry with one of these is
comparable without a change here.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse, special

from driftline._params import Options, validate_params
from driftline.exceptions import ParameterError
from driftline.metrics._bootstrap import bootstrap_sums
from driftline.metrics._classification import encode_classification
from driftline.metrics._confusion import Average, metric_from_confusion
from driftline.metrics._core import CI_METHODS, check_common, influence_se, resolve_ci
from driftline.metrics._intervals import normal_interval
from driftline.metrics._ranking import (
    _ap_from_sums,
    _auc_from_sums,
    _check_two_classes,
    _grouped_terms,
    auc_components,
    delong_covariance,
    ovr_influence,
    ovr_terms,
)
from driftline.metrics._registry import MetricSpec, get_metric, metric_names
from driftline.metrics._result import MetricComparison
from driftline.metrics._validation import (
    FloatArray,
    IntArray,
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

__all__ = ["compare_metric"]


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


def _comparable(metric: str) -> MetricSpec:
    spec = get_metric(metric)
    if spec.comparison is None:
        raise ParameterError(
            f"compare_metric has no paired method for {metric!r}; comparable metrics: "
            f"{', '.join(metric_names(comparable=True))}."
        )
    return spec


@validate_params(
    {**resampling(CI_METHODS), "average": [Options("binary", "micro", "macro", "weighted")]}
)
def compare_metric(
    y_true: ArrayLike,
    score_a: ArrayLike,
    score_b: ArrayLike,
    *,
    metric: str = "roc_auc",
    threshold: float = 0.5,
    average: Average = "binary",
    labels: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: Literal["auto", "analytic", "percentile", "bca"] = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricComparison:
    """Difference ``metric(a) - metric(b)`` on the same rows, with a paired interval.

    ``metric`` is any registered metric with a paired method (see
    :data:`~driftline.metrics.METRICS`). ROC AUC uses the paired DeLong test (correlated
    AUCs; for multiclass one-vs-rest AUC, each row's DeLong contributions summed over
    classes); the mean losses (log loss, Brier, MAE, RMSE, MAPE) a delta-method interval
    on the paired per-row differences; the confusion-matrix metrics (accuracy,
    precision, recall, F1, specificity and their macro/weighted averages) and average
    precision a paired bootstrap (both models see the same resampled rows; for
    unweighted confusion metrics the joint cell counts are drawn from a multinomial).

    Scores: 1-d scores of class 1 (binary; thresholded at ``threshold`` for the confusion
    metrics), predicted labels (with ``average`` other than ``"binary"`` or a
    ``*_macro``/``*_weighted`` metric), or ``(n, K)`` probability matrices (multiclass,
    columns in the order of ``labels``, default sorted classes; the confusion metrics use
    the arg-max class). For a loss, a negative difference means ``a`` is better.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> a = y + rng.normal(0, 0.8, 500)
    >>> b = y + rng.normal(0, 1.5, 500)
    >>> c = compare_metric(y, a, b, metric="roc_auc")
    >>> c.method, bool(c.difference > 0 and c.ci_low > 0)
    ('delong', True)
    """
    confidence = check_common(confidence, n_resamples)
    spec = _comparable(metric)
    analytic = None
    if sample_weight is None and spec.comparison == "delong":
        analytic = "delong"
    elif spec.comparison == "loss":
        analytic = "delta"
    method = resolve_ci(ci, analytic, metric=metric)
    opts: dict[str, Any] = {
        "sample_weight": sample_weight, "confidence": confidence, "method": method,
        "n_resamples": n_resamples, "random_state": random_state,
    }  # fmt: skip
    matrix = np.asarray(score_a).ndim == 2 and np.asarray(score_a).shape[1] > 1
    if matrix:
        return _compare_matrices(spec, y_true, score_a, score_b, labels, **opts)
    if spec.confusion is not None:
        base, avg = spec.confusion
        labelled = avg in ("macro", "weighted") or average != "binary"
        if labelled and avg not in ("macro", "weighted"):
            avg = average
        return _compare_confusion(y_true, score_a, score_b, base, avg if labelled else "binary",
                                  threshold if not labelled else None, labels, **opts)  # fmt: skip
    y = as_float("y_true", y_true)
    sa, sb = as_float("score_a", score_a), as_float("score_b", score_b)
    n = check_lengths(y_true=y, score_a=sa, score_b=sb)
    w = as_weights(sample_weight, n)
    ww = np.ones(n) if w is None else w
    if spec.comparison == "loss":
        if "regression" not in spec.tasks:
            y = as_binary("y_true", y).astype(np.float64)
        if spec.probabilities:
            sa = as_float("score_a", sa, probability=True)
            sb = as_float("score_b", sb, probability=True)
        return _compare_losses(spec, y, sa, sb, ww, **opts)
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
    fn = _auc_from_sums if spec.comparison == "delong" else _ap_from_sums
    return _boot(metric, terms, 2 * ca.n_groups, fn, n, **opts)


def _boot(
    name: str, terms: Any, split: int, fn: Any, n: int, *, method: str, confidence: float,
    n_resamples: int, random_state: RandomState, counts: Any = None, fn_b: Any = None,
    **_: Any,
) -> MetricComparison:  # fmt: skip
    """Paired bootstrap of ``fn(sums of a) - fn_b(sums of b)`` (``fn_b`` defaults to
    ``fn``); the columns of ``terms`` hold a's terms, then b's, from ``split`` on."""
    fb = fn if fn_b is None else fn_b

    def stat(s: FloatArray) -> FloatArray:
        out: FloatArray = fn(s[..., :split]) - fb(s[..., split:])
        return out

    if method not in ("percentile", "bca") or (method == "bca" and sparse.issparse(terms)):
        method = "percentile"  # no analytic interval here; no vectorized paired jackknife
    boot = bootstrap_sums(terms, stat, counts=counts, n_resamples=n_resamples,
                          method=method, confidence=confidence, random_state=random_state)  # type: ignore[arg-type]  # fmt: skip
    total = np.asarray(terms.sum(axis=0) if counts is None else counts @ terms).ravel()
    va, vb = float(fn(total[:split])), float(fb(total[split:]))
    return MetricComparison(name, va, vb, boot.value, boot.ci_low, boot.ci_high,
                            _p_value_boot(boot.replicates), confidence, boot.method, n)  # fmt: skip


def _compare_losses(
    spec: MetricSpec, y: Any, sa: FloatArray, sb: FloatArray, ww: FloatArray, **opts: Any
) -> MetricComparison:
    """Delta method on paired per-row loss differences (or a paired bootstrap)."""
    assert spec.row_loss is not None
    la, lb = spec.row_loss(y, sa), spec.row_loss(y, sb)
    sw = ww.sum()
    ma, mb = float(ww @ la / sw), float(ww @ lb / sw)
    root = spec.root
    va, vb = (np.sqrt(ma), np.sqrt(mb)) if root else (ma, mb)
    n, confidence = la.size, opts["confidence"]
    if opts["method"] == "delta":
        ia, ib = ww * (la - ma) / sw, ww * (lb - mb) / sw
        if root:
            ia = ia / (2 * va) if va > 0 else 0 * ia
            ib = ib / (2 * vb) if vb > 0 else 0 * ib
        se = influence_se(ia - ib)
        diff = float(va - vb)
        lo, hi = normal_interval(diff, se, confidence=confidence)
        return MetricComparison(spec.name, float(va), float(vb), diff, lo, hi,
                                _p_value_normal(diff, se), confidence, "delta", n)  # fmt: skip

    def fn(s: FloatArray) -> FloatArray:
        m = s[..., 0] / s[..., 1]
        out: FloatArray = np.sqrt(m) if root else m
        return out

    terms = np.column_stack([ww * la, ww, ww * lb, ww])
    return _boot(spec.name, terms, 2, fn, n, **opts)


def _compare_confusion(
    y_true: ArrayLike, score_a: ArrayLike, score_b: ArrayLike, metric: Any, average: Average,
    threshold: float | None, labels: ArrayLike | None, **opts: Any,
) -> MetricComparison:  # fmt: skip
    """Paired bootstrap of a confusion-matrix metric: thresholded scores or labels."""
    if threshold is not None:
        y = as_binary("y_true", y_true)
        pa = (as_float("score_a", score_a) >= threshold).astype(np.int64)
        pb = (as_float("score_b", score_b) >= threshold).astype(np.int64)
        check_lengths(y_true=y, score_a=pa, score_b=pb)
        t, k, pos = y.astype(np.int64), 2, 1
    else:
        both = np.concatenate([as_1d("score_a", score_a), as_1d("score_b", score_b)])
        yt = as_1d("y_true", y_true)
        t_all, p_all, k, pos, _ = encode_classification(
            np.concatenate([yt, yt]), both, average=average, labels=labels, pos_label=1
        )
        n0 = yt.size
        t, pa, pb = t_all[:n0], p_all[:n0], p_all[n0:]
        check_lengths(y_true=t, score_a=pa, score_b=pb)
    name = metric if average == "binary" or metric == "accuracy" else f"{metric}_{average}"
    return _confusion_boot(name, metric, average, pos, t, pa, pb, k, **opts)


def _confusion_boot(
    name: str, metric: Any, average: Average, pos: int, t: IntArray, pa: IntArray,
    pb: IntArray, k: int, *, sample_weight: ArrayLike | None, **opts: Any,
) -> MetricComparison:  # fmt: skip
    n = t.size
    w = as_weights(sample_weight, n)
    kk = k * k
    cell_a, cell_b = t * k + pa, t * k + pb
    if w is None:
        joint = np.bincount(cell_a * kk + cell_b, minlength=kk * kk)
        ga, gb = np.divmod(np.arange(kk * kk), kk)
        keep = joint > 0  # only observed joint cells: K^4 grows fast with K
        terms: Any = np.hstack([np.eye(kk)[ga[keep]], np.eye(kk)[gb[keep]]])
        counts: Any = joint[keep]
    else:
        rows = np.arange(n + 1) * 2
        terms = sparse.csr_array(
            (np.repeat(w, 2), np.column_stack([cell_a, kk + cell_b]).ravel(), rows),
            shape=(n, 2 * kk),
        )
        counts = None

    def one(s: FloatArray) -> FloatArray:
        return metric_from_confusion(
            s.reshape(*s.shape[:-1], k, k), metric, average=average, pos_index=pos,
            zero_division=np.nan,
        )  # fmt: skip

    return _boot(name, terms, kk, one, n, counts=counts, **opts)


def _compare_matrices(
    spec: MetricSpec, y_true: ArrayLike, score_a: ArrayLike, score_b: ArrayLike,
    labels: ArrayLike | None, **opts: Any,
) -> MetricComparison:  # fmt: skip
    """Multiclass: ``(n, K)`` probability matrices in the order of ``labels``."""
    yt = as_1d("y_true", y_true)
    lab, codes, _ = encode_labels(yt, None, labels)
    pa = as_proba_matrix("score_a", score_a, len(lab))
    pb = as_proba_matrix("score_b", score_b, len(lab))
    n = check_lengths(y_true=yt, score_a=pa, score_b=pb)
    if spec.confusion is not None:
        base, avg = spec.confusion
        if avg == "binary":
            raise ParameterError(
                f"{spec.name!r} is a binary metric; for (n, K) probabilities use "
                f"'{base}_macro' or '{base}_weighted'."
            )
        ia, ib = pa.argmax(axis=1).astype(np.int64), pb.argmax(axis=1).astype(np.int64)
        return _confusion_boot(spec.name, base, avg, 1, codes, ia, ib, len(lab), **opts)
    if spec.comparison == "loss":
        ww = np.ones(n) if opts["sample_weight"] is None else as_weights(opts["sample_weight"], n)
        return _compare_losses(spec, codes, pa, pb, ww, **opts)  # type: ignore[arg-type]
    if spec.comparison != "delong" or "multiclass" not in spec.tasks:
        raise ParameterError(f"{spec.name!r} does not compare (n, K) probability matrices.")
    return _compare_ovr_auc(spec.name, codes, pa, pb, **opts)


def _compare_ovr_auc(
    name: str, codes: IntArray, pa: FloatArray, pb: FloatArray, *, method: str,
    sample_weight: ArrayLike | None, confidence: float, **opts: Any,
) -> MetricComparison:  # fmt: skip
    """Macro one-vs-rest ROC AUC: paired DeLong (per-row contributions) or bootstrap."""
    n, k = pa.shape
    onehot = np.zeros_like(pa)
    onehot[np.arange(n), codes] = 1.0
    for j in range(k):
        _check_two_classes(onehot[:, j], f"One-vs-rest ROC AUC for class index {j}")
    w = as_weights(sample_weight, n)
    comps_a = [auc_components(onehot[:, j], pa[:, j], w) for j in range(k)]
    comps_b = [auc_components(onehot[:, j], pb[:, j], w) for j in range(k)]
    va = float(np.mean([c.auc for c in comps_a]))
    vb = float(np.mean([c.auc for c in comps_b]))
    coef = np.full(k, 1.0 / k)
    if method == "delong":
        psi = ovr_influence(onehot, comps_a, coef) - ovr_influence(onehot, comps_b, coef)
        se = float(np.sqrt(np.sum(psi**2) * n / (n - 1)))
        diff = va - vb
        lo, hi = normal_interval(diff, se, confidence=confidence, lower=-1.0, upper=1.0)
        return MetricComparison(name, va, vb, diff, lo, hi, _p_value_normal(diff, se),
                                confidence, "delong", n)  # fmt: skip
    ww = np.ones(n) if w is None else w
    ta, edges = ovr_terms(comps_a, ww)
    tb, _ = ovr_terms(comps_b, ww)
    split = int(edges[-1])
    edges_b = np.cumsum([0] + [2 * c.n_groups for c in comps_b])

    def macro(e: Any) -> Any:
        def fn(s: FloatArray) -> FloatArray:
            per = [_auc_from_sums(s[..., e[j] : e[j + 1]]) for j in range(k)]
            out: FloatArray = np.mean(per, axis=0)
            return out

        return fn

    terms = sparse.hstack([ta, tb], format="csr")
    return _boot(name, terms, split, macro(edges), n, fn_b=macro(edges_b), method=method,
                 confidence=confidence, sample_weight=sample_weight, **opts)  # fmt: skip
