"""ROC AUC / DeLong / average precision against scikit-learn and a slow O(m n) DeLong."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from driftline.exceptions import InsufficientDataError, ParameterError
from driftline.metrics import average_precision, roc_auc
from driftline.metrics._ranking import auc_components, delong_covariance


def slow_delong(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong et al. (1988) by the pairwise kernel, O(m n)."""
    pos, neg = scores[y == 1], scores[y == 0]
    m, n = len(pos), len(neg)
    psi = (pos[:, None, :] > neg[None, :, :]) + 0.5 * (pos[:, None, :] == neg[None, :, :])
    aucs = psi.mean(axis=(0, 1))
    v10 = psi.mean(axis=1)  # (m, k)
    v01 = psi.mean(axis=0)  # (n, k)
    return aucs, np.cov(v10.T, ddof=1).reshape(len(aucs), -1) / m + np.cov(v01.T, ddof=1).reshape(
        len(aucs), -1
    ) / n


def _data(seed: int, n: int = 300, ties: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = rng.normal(size=n) + y
    return y, (np.round(s, 1) if ties else s)


@pytest.mark.parametrize("ties", [True, False])
def test_auc_and_delong_match_references(ties: bool) -> None:
    y, s = _data(0, ties=ties)
    s2 = np.round(s + np.random.default_rng(9).normal(0, 1, s.size), 1)
    r = roc_auc(y, s)
    assert abs(r.value - skm.roc_auc_score(y, s)) < 1e-12
    aucs, cov = delong_covariance(y, np.column_stack([s, s2]))
    ref_aucs, ref_cov = slow_delong(y, np.column_stack([s, s2]))
    np.testing.assert_allclose(aucs, ref_aucs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cov, ref_cov, rtol=1e-10, atol=1e-14)
    half = (r.ci_high - r.ci_low) / 2
    assert abs(half - 1.959963984540054 * np.sqrt(ref_cov[0, 0])) < 1e-10
    assert r.method == "delong"


def test_weighted_and_bootstrap_auc() -> None:
    y, s = _data(1)
    w = np.random.default_rng(2).random(y.size)
    r = roc_auc(y, s, sample_weight=w, n_resamples=300, random_state=0)
    assert abs(r.value - skm.roc_auc_score(y, s, sample_weight=w)) < 1e-12
    assert r.method == "bootstrap-percentile"
    b = roc_auc(y, s, ci="bca", n_resamples=2000, random_state=0)
    d = roc_auc(y, s)
    assert abs(b.ci_low - d.ci_low) < 0.02
    assert abs(b.ci_high - d.ci_high) < 0.02
    with pytest.raises(ParameterError, match="No analytic"):
        roc_auc(y, s, sample_weight=w, ci="analytic")


def test_leave_one_out_jackknife_formula() -> None:
    y, s = _data(3, n=60)
    c = auc_components(y, s)
    loo = np.array([skm.roc_auc_score(np.delete(y, i), np.delete(s, i)) for i in range(y.size)])
    pos = y == 1
    m, n = pos.sum(), (~pos).sum()
    np.testing.assert_allclose(loo[pos], (c.auc * m - c.v10) / (m - 1), atol=1e-12)
    np.testing.assert_allclose(loo[~pos], (c.auc * n - c.v01) / (n - 1), atol=1e-12)


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_multiclass_ovr_matches_sklearn(average: str) -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 600)
    p = rng.dirichlet([1, 1, 1], 600)
    p[np.arange(600), y] += 0.4
    p /= p.sum(1, keepdims=True)
    r = roc_auc(y, p, average=average)  # type: ignore[arg-type]
    ref = skm.roc_auc_score(y, p, multi_class="ovr", average=average)
    assert abs(r.value - ref) < 1e-12
    b = roc_auc(y, p, average=average, ci="percentile", n_resamples=1000, random_state=0)  # type: ignore[arg-type]
    assert abs(b.value - ref) < 1e-12
    # DeLong-combination and bootstrap widths agree to Monte Carlo error
    assert abs((r.ci_high - r.ci_low) / (b.ci_high - b.ci_low) - 1) < 0.15


def test_average_precision_matches_sklearn_and_bootstrap() -> None:
    y, s = _data(5, n=2000)
    w = np.random.default_rng(6).random(y.size)
    a = average_precision(y, s)
    assert abs(a.value - skm.average_precision_score(y, s)) < 1e-12
    aw = average_precision(y, s, sample_weight=w)
    assert abs(aw.value - skm.average_precision_score(y, s, sample_weight=w)) < 1e-12
    b = average_precision(y, s, ci="percentile", n_resamples=2000, random_state=0)
    assert abs(b.value - a.value) < 1e-12
    assert abs((a.ci_high - a.ci_low) / (b.ci_high - b.ci_low) - 1) < 0.1
    assert a.method == "delta"


def test_single_class_and_bad_scores() -> None:
    with pytest.raises(InsufficientDataError, match="both classes"):
        roc_auc([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(InsufficientDataError, match="positive"):
        average_precision([0, 0], [0.2, 0.3])
    with pytest.raises(InsufficientDataError, match="class index 2"):
        roc_auc([0, 1, 0, 1], [[0.5, 0.3, 0.2]] * 4, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="NaN"):
        roc_auc([0, 1], [0.1, float("nan")])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(6, 80))
def test_auc_properties(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    s = np.round(rng.normal(size=n), 1)
    r = roc_auc(y, s)
    flipped = roc_auc(y, -s)
    assert abs(r.value + flipped.value - 1) < 1e-12
    assert (
        abs((r.ci_high - r.ci_low) - (flipped.ci_high - flipped.ci_low)) < 1e-9
        or r.ci_low == 0
        or r.ci_high == 1
        or flipped.ci_low == 0
        or flipped.ci_high == 1
    )
    perm = rng.permutation(n)
    p = roc_auc(y[perm], s[perm])
    assert abs(p.value - r.value) < 1e-12
    assert abs(p.ci_low - r.ci_low) < 1e-12
    assert 0.0 <= r.ci_low <= r.value <= r.ci_high <= 1.0
