"""Calibration: ECE (equal-mass or uniform bins), MCE, reliability curve, Brier decomposition.

Bins are assigned once on the full sample; bootstrap intervals resample rows with the
bins held fixed (they condition on the binning). Multiclass probabilities are evaluated
top-label: confidence ``max_k p_k`` against whether the arg-max class is correct.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from driftline._params import Interval, Options, check, validate_params
from driftline.exceptions import DataError
from driftline.metrics._bootstrap import resampled_sums
from driftline.metrics._core import bootstrap_result, check_common
from driftline.metrics._intervals import percentile_interval, wilson_interval
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import (
    CONFIDENCE,
    FloatArray,
    IntArray,
    RandomState,
    as_1d,
    as_binary,
    as_float,
    as_proba_matrix,
    as_rng,
    as_weights,
    check_confidence,
    check_int,
    check_lengths,
    encode_labels,
    resampling,
)

__all__ = [
    "BinStrategy",
    "BrierDecomposition",
    "ReliabilityCurve",
    "assign_bins",
    "brier_decomposition",
    "expected_calibration_error",
    "maximum_calibration_error",
    "reliability_curve",
    "top_label_ece",
]

BinStrategy = Literal["quantile", "uniform"]
_STRATEGIES: tuple[BinStrategy, ...] = ("quantile", "uniform")
_CALIBRATION_CI = ("auto", "percentile", "bca")


def assign_bins(prob: FloatArray, n_bins: int, strategy: BinStrategy) -> IntArray:
    """Bin index of each probability.

    ``"quantile"``: equal-mass bins by rank (bin sizes differ by at most one row; tied
    probabilities may straddle a boundary). ``"uniform"``: ``[0, 1/B], (1/B, 2/B], ...``
    exactly as scikit-learn's ``calibration_curve``.

    >>> assign_bins(np.array([0.05, 0.5, 0.95, 0.2]), 2, "quantile").tolist()
    [0, 1, 1, 0]
    >>> assign_bins(np.array([0.05, 0.5, 0.95, 0.2]), 2, "uniform").tolist()
    [0, 0, 1, 0]
    """
    check(None, "strategy", strategy, Options(*_STRATEGIES))
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        return np.searchsorted(edges[1:-1], prob).astype(np.int64)
    rank = np.empty(prob.size, dtype=np.int64)
    rank[np.argsort(prob, kind="stable")] = np.arange(prob.size)
    return (rank * n_bins // prob.size).astype(np.int64)


def _inputs(
    y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Outcome (0/1), predicted probability of that outcome, and weights."""
    arr = np.asarray(y_prob)
    if arr.ndim == 2 and arr.shape[1] > 1:
        yt = as_1d("y_true", y_true)
        lab, codes, _ = encode_labels(yt, None, None)
        prob = as_proba_matrix("y_prob", arr)
        if len(lab) != prob.shape[1]:
            raise DataError(
                f"y_true holds {len(lab)} classes but 'y_prob' has {prob.shape[1]} columns, so "
                "the columns cannot be matched to sorted classes. For top-label calibration "
                "pass y_true=(predicted class == true class) and y_prob=y_prob.max(axis=1)."
            )
        check_lengths(y_true=yt, y_prob=prob)
        p = prob.max(axis=1)
        y = (prob.argmax(axis=1) == codes).astype(np.float64)
    else:
        y = as_binary("y_true", y_true).astype(np.float64)
        p = as_float("y_prob", arr, probability=True)
        check_lengths(y_true=y, y_prob=p)
    w = as_weights(sample_weight, y.size)
    return y, p, np.ones_like(p) if w is None else w


def _bin_terms(y: FloatArray, p: FloatArray, w: FloatArray, bins: IntArray, b: int) -> Any:
    """Sparse ``(n, 3B)`` terms: per bin [w, w*y, w*p]."""
    n = y.size
    cols = np.column_stack([bins, b + bins, 2 * b + bins]).ravel()
    data = np.column_stack([w, w * y, w * p]).ravel()
    return sparse.csr_array((data, cols, np.arange(0, 3 * n + 1, 3)), shape=(n, 3 * b))


def _split(s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    b = s.shape[-1] // 3
    return s[..., :b], s[..., b : 2 * b], s[..., 2 * b :]


def _ece(s: FloatArray) -> FloatArray:
    sw, sy, sp = _split(s)
    out: FloatArray = np.abs(sy - sp).sum(axis=-1) / sw.sum(axis=-1)
    return out


def _mce(s: FloatArray) -> FloatArray:
    sw, sy, sp = _split(s)
    gap = np.divide(np.abs(sy - sp), sw, out=np.zeros_like(sw), where=sw > 0)
    out: FloatArray = gap.max(axis=-1)
    return out


CLT_MIN_BIN = 2000


def _bin_sums(cols: FloatArray, bins: IntArray, n_bins: int) -> FloatArray:
    """Per-bin column sums laid out by column: ``[col0 bins..., col1 bins..., ...]``."""
    return np.concatenate(
        [np.bincount(bins, weights=cols[:, j], minlength=n_bins) for j in range(cols.shape[1])]
    )


def _binned_replicates(
    cols: FloatArray, bins: IntArray, n_bins: int, n_resamples: int, rng: np.random.Generator
) -> FloatArray | None:
    """Bootstrap replicates of the per-bin sums in O(n_resamples * bins), or None.

    Resampled bin counts are drawn exactly (multinomial); given its count ``m``, a bin's
    resampled sum of ``m`` rows is drawn from the normal with the bin's mean and
    covariance times ``m`` (central limit theorem). Used only when every bin has at least
    ``CLT_MIN_BIN`` rows, where the normal approximation of a sum is very accurate.
    """
    n, k = cols.shape
    counts = np.bincount(bins, minlength=n_bins)
    if counts.min() < CLT_MIN_BIN:
        return None
    order = np.argsort(bins, kind="stable")
    groups = np.split(cols[order], np.cumsum(counts)[:-1])
    mean = np.array([g.mean(axis=0) for g in groups])
    root = np.empty((n_bins, k, k))
    for j, g in enumerate(groups):
        lam, vec = np.linalg.eigh(np.atleast_2d(np.cov(g, rowvar=False, bias=True)))
        root[j] = vec * np.sqrt(np.clip(lam, 0.0, None))
    m = rng.multinomial(n, counts / n, size=n_resamples).astype(np.float64)
    z = rng.standard_normal((n_resamples, n_bins, k))
    s = m[..., None] * mean + np.sqrt(m)[..., None] * np.einsum("bjk,jlk->bjl", z, root)
    out: FloatArray = s.transpose(0, 2, 1).reshape(n_resamples, k * n_bins)
    return out


def _calibration_metric(
    name: str, stat: Any, y_true: ArrayLike, y_prob: ArrayLike, **kw: Any
) -> MetricResult:
    confidence = check_common(kw["confidence"], kw["n_resamples"])
    n_bins = check_int("n_bins", kw["n_bins"], minimum=1)
    check(None, "ci", kw["ci"], Options(*_CALIBRATION_CI))
    y, p, w = _inputs(y_true, y_prob, kw["sample_weight"])
    bins = assign_bins(p, n_bins, kw["strategy"])
    if kw["ci"] != "bca":
        cols = np.column_stack([w, w * y, w * p])
        reps = _binned_replicates(cols, bins, n_bins, kw["n_resamples"], as_rng(kw["random_state"]))
        if reps is not None:
            value = float(stat(_bin_sums(cols, bins, n_bins)))
            lo, hi = percentile_interval(stat(reps), confidence=confidence)
            return MetricResult(name, value, lo, hi, confidence, "bootstrap-binned", y.size)
    return bootstrap_result(
        name, _bin_terms(y, p, w, bins, n_bins), stat, n=y.size,
        method="bca" if kw["ci"] == "bca" else "percentile", confidence=confidence,
        n_resamples=kw["n_resamples"], random_state=kw["random_state"],
    )  # fmt: skip


@validate_params(
    {
        **resampling(_CALIBRATION_CI),
        "n_bins": [Interval("int", 1, None)],
        "strategy": [Options(*_STRATEGIES)],
    }
)
def expected_calibration_error(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    n_bins: int = 15,
    strategy: BinStrategy = "quantile",
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: Literal["auto", "percentile", "bca"] = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """ECE: bin-mass-weighted mean of ``|observed rate - mean probability|``.

    Adaptive (equal-mass) bins by default. The plug-in ECE is biased upward on small
    samples (a perfectly calibrated model has ECE > 0), so its interval rarely reaches 0.

    >>> y = [0, 0, 1, 1]
    >>> expected_calibration_error(y, [0.2, 0.2, 0.8, 0.8], n_bins=2, random_state=0).value
    0.2
    """
    return _calibration_metric(
        f"ece_{strategy}", _ece, y_true, y_prob, n_bins=n_bins, strategy=strategy,
        sample_weight=sample_weight, confidence=confidence, ci=ci,
        n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip


@validate_params(
    {
        **resampling(_CALIBRATION_CI),
        "n_bins": [Interval("int", 1, None)],
        "strategy": [Options(*_STRATEGIES)],
    }
)
def top_label_ece(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    n_bins: int = 15,
    strategy: BinStrategy = "quantile",
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: Literal["auto", "percentile", "bca"] = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Top-label ECE of an ``(n, K)`` probability matrix (columns in the order of
    ``labels``, default sorted classes): the ECE of (arg-max is correct, max probability),
    named ``ece_top_label``. Classes absent from ``y_true`` may have a column.

    >>> p = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2]])
    >>> round(top_label_ece([0, 1, 0, 0], p, labels=[0, 1, 2], n_bins=2).value, 4)
    0.125
    """
    yt = as_1d("y_true", y_true)
    arr = np.asarray(y_prob)
    lab, codes, _ = encode_labels(yt, None, labels)
    if labels is None and len(lab) != (arr.shape[1] if arr.ndim == 2 else 0):
        raise DataError(
            f"'y_prob' has shape {arr.shape} but y_true holds {len(lab)} classes; pass "
            "'labels' with one label per column."
        )
    prob = as_proba_matrix("y_prob", arr, len(lab))
    check_lengths(y_true=yt, y_prob=prob)
    correct = (prob.argmax(axis=1) == codes).astype(np.int64)
    res = expected_calibration_error(
        correct, prob.max(axis=1), n_bins=n_bins, strategy=strategy,
        sample_weight=sample_weight, confidence=confidence, ci=ci, n_resamples=n_resamples,
        random_state=random_state,
    )  # fmt: skip
    return replace(res, name="ece_top_label")


@validate_params(
    {
        **resampling(_CALIBRATION_CI),
        "n_bins": [Interval("int", 1, None)],
        "strategy": [Options(*_STRATEGIES)],
    }
)
def maximum_calibration_error(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    n_bins: int = 15,
    strategy: BinStrategy = "quantile",
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: Literal["auto", "percentile", "bca"] = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """MCE: the largest ``|observed rate - mean probability|`` over non-empty bins.

    >>> r = maximum_calibration_error([0, 1, 1, 1], [0.2, 0.4, 0.8, 0.8], n_bins=2,
    ...                               random_state=0)
    >>> round(r.value, 4)
    0.2
    """
    return _calibration_metric(
        f"mce_{strategy}", _mce, y_true, y_prob, n_bins=n_bins, strategy=strategy,
        sample_weight=sample_weight, confidence=confidence, ci=ci,
        n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip


@dataclass(frozen=True)
class ReliabilityCurve:
    """Per-bin data for a reliability diagram (empty bins are dropped).

    ``observed_low``/``observed_high`` are Wilson intervals of each bin's observed rate
    (on the bin's row count).
    """

    bin_index: IntArray
    mean_predicted: FloatArray
    observed_rate: FloatArray
    observed_low: FloatArray
    observed_high: FloatArray
    weight: FloatArray
    count: IntArray
    strategy: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation with lists."""
        return {
            "bin_index": self.bin_index.tolist(),
            "mean_predicted": self.mean_predicted.tolist(),
            "observed_rate": self.observed_rate.tolist(),
            "observed_low": self.observed_low.tolist(),
            "observed_high": self.observed_high.tolist(),
            "weight": self.weight.tolist(),
            "count": self.count.tolist(),
            "strategy": self.strategy,
            "confidence": self.confidence,
        }


@validate_params(
    {
        "confidence": [CONFIDENCE],
        "n_bins": [Interval("int", 1, None)],
        "strategy": [Options(*_STRATEGIES)],
    }
)
def reliability_curve(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: BinStrategy = "quantile",
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
) -> ReliabilityCurve:
    """Observed rate vs mean predicted probability per bin, with Wilson intervals.

    With ``strategy="uniform"`` the two arrays equal scikit-learn's ``calibration_curve``.

    >>> c = reliability_curve([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.9], n_bins=2)
    >>> c.mean_predicted.tolist(), c.observed_rate.tolist()
    ([0.2, 0.75], [0.0, 1.0])
    """
    confidence = check_confidence(confidence)
    n_bins = check_int("n_bins", n_bins, minimum=1)
    y, p, w = _inputs(y_true, y_prob, sample_weight)
    bins = assign_bins(p, n_bins, strategy)
    sw = np.bincount(bins, weights=w, minlength=n_bins)
    sy = np.bincount(bins, weights=w * y, minlength=n_bins)
    sp = np.bincount(bins, weights=w * p, minlength=n_bins)
    cnt = np.bincount(bins, minlength=n_bins)
    keep = cnt > 0
    rate = sy[keep] / sw[keep]
    lo, hi = wilson_interval(rate * cnt[keep], cnt[keep], confidence=confidence)
    return ReliabilityCurve(
        np.flatnonzero(keep), sp[keep] / sw[keep], rate, lo, hi,
        sw[keep].astype(np.float64), cnt[keep].astype(np.int64),
        strategy, confidence,
    )  # fmt: skip


@dataclass(frozen=True)
class BrierDecomposition:
    """Murphy (1973) decomposition on binned forecasts.

    ``brier ≈ reliability - resolution + uncertainty``; ``within_bin`` is the exact
    remainder ``brier - (reliability - resolution + uncertainty)``, which is zero when
    forecasts are constant within each bin and small otherwise.
    """

    brier: MetricResult
    reliability: MetricResult
    resolution: MetricResult
    uncertainty: MetricResult
    within_bin: float
    n_bins: int
    strategy: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "brier": self.brier.to_dict(),
            "reliability": self.reliability.to_dict(),
            "resolution": self.resolution.to_dict(),
            "uncertainty": self.uncertainty.to_dict(),
            "within_bin": self.within_bin,
            "n_bins": self.n_bins,
            "strategy": self.strategy,
        }


def _rel(s: FloatArray) -> FloatArray:
    sw, sy, sp = _split(s)
    num = np.divide((sp - sy) ** 2, sw, out=np.zeros_like(sw), where=sw > 0)
    out: FloatArray = num.sum(axis=-1) / sw.sum(axis=-1)
    return out


def _res(s: FloatArray) -> FloatArray:
    sw, sy, _ = _split(s)
    obar = sy.sum(axis=-1, keepdims=True) / sw.sum(axis=-1, keepdims=True)
    rate = np.divide(sy, sw, out=np.zeros_like(sw), where=sw > 0)
    out: FloatArray = (sw * (rate - obar) ** 2).sum(axis=-1) / sw.sum(axis=-1)
    return out


def _unc(s: FloatArray) -> FloatArray:
    sw, sy, _ = _split(s)
    o = sy.sum(axis=-1) / sw.sum(axis=-1)
    out: FloatArray = o * (1.0 - o)
    return out


@validate_params(
    {**resampling(), "n_bins": [Interval("int", 1, None)], "strategy": [Options(*_STRATEGIES)]}
)
def brier_decomposition(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: BinStrategy = "quantile",
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> BrierDecomposition:
    """Reliability, resolution and uncertainty of the Brier score (binary), bootstrap CIs.

    The three components share one set of bootstrap resamples.

    >>> d = brier_decomposition([0, 0, 1, 1], [0.2, 0.2, 0.8, 0.8], n_bins=2, random_state=0)
    >>> round(d.reliability.value, 4), round(d.resolution.value, 4), d.uncertainty.value
    (0.04, 0.25, 0.25)
    """
    confidence = check_common(confidence, n_resamples)
    n_bins = check_int("n_bins", n_bins, minimum=1)
    y, p, w = _inputs(y_true, y_prob, sample_weight)
    bins = assign_bins(p, n_bins, strategy)
    cols = np.column_stack([w, w * y, w * p, w * (p - y) ** 2])
    rng = as_rng(random_state)
    total = _bin_sums(cols, bins, n_bins)
    reps = _binned_replicates(cols, bins, n_bins, n_resamples, rng)
    method = "bootstrap-binned"
    if reps is None:
        method = "bootstrap-percentile"
        n = y.size
        idx = np.arange(n + 1) * 4
        flat = (np.arange(4)[None, :] * n_bins + bins[:, None]).ravel()
        terms = sparse.csr_array((cols.ravel(), flat, idx), shape=(n, 4 * n_bins))
        reps = resampled_sums(terms, None, n_resamples, rng)

    def brier_stat(s: FloatArray) -> FloatArray:
        out: FloatArray = s[..., 3 * n_bins :].sum(axis=-1) / s[..., :n_bins].sum(axis=-1)
        return out

    res = {}
    for name, fn in (
        ("brier", brier_stat),
        ("brier_reliability", _rel),
        ("brier_resolution", _res),
        ("brier_uncertainty", _unc),
    ):
        cut = 4 * n_bins if name == "brier" else 3 * n_bins
        value = float(fn(total[..., :cut]))
        lo, hi = percentile_interval(fn(reps[..., :cut]), confidence=confidence)
        res[name] = MetricResult(name, value, lo, hi, confidence, method, y.size)
    rel, rs, unc = res["brier_reliability"], res["brier_resolution"], res["brier_uncertainty"]
    within = res["brier"].value - (rel.value - rs.value + unc.value)
    return BrierDecomposition(res["brier"], rel, rs, unc, float(within), n_bins, strategy)
