"""Interval helpers against scipy, and the count-based bootstrap against a row bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from driftline.exceptions import DataError
from driftline.metrics._bootstrap import (
    bootstrap_confusion_matrices,
    bootstrap_sums,
    resample_count_blocks,
)
from driftline.metrics._confusion import metric_from_confusion
from driftline.metrics._intervals import bca_interval, percentile_interval, wilson_interval


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (517, 1000), (1, 3)])
@pytest.mark.parametrize("conf", [0.8, 0.95, 0.99])
def test_wilson_matches_scipy(k: int, n: int, conf: float) -> None:
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    lo, hi = wilson_interval(k, n, confidence=conf)
    assert abs(float(lo) - ref.low) < 1e-12
    assert abs(float(hi) - ref.high) < 1e-12


@given(st.integers(1, 10_000), st.floats(0.0, 1.0))
def test_wilson_contains_the_estimate(n: int, frac: float) -> None:
    k = round(frac * n)
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_bca_close_to_scipy_for_a_skewed_mean() -> None:
    rng = np.random.default_rng(0)
    x = rng.lognormal(size=150)
    ref = stats.bootstrap((x,), np.mean, n_resamples=20_000, method="BCa", random_state=1)
    terms = np.column_stack([x, np.ones_like(x)])
    ours = bootstrap_sums(terms, lambda s: s[..., 0] / s[..., 1], n_resamples=20_000,
                          method="bca", random_state=1)  # fmt: skip
    lo, hi = ref.confidence_interval
    # Monte Carlo error of 20k resamples: a few 0.1% of the width.
    assert abs(ours.ci_low - lo) < 0.02 * (hi - lo)
    assert abs(ours.ci_high - hi) < 0.02 * (hi - lo)
    pct = bootstrap_sums(terms, lambda s: s[..., 0] / s[..., 1], n_resamples=20_000, random_state=1)
    assert ours.ci_high > pct.ci_high  # right skew moves BCa up


def test_multinomial_count_bootstrap_equals_row_bootstrap_in_distribution() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    p = np.where(rng.random(400) < 0.75, y, 1 - y)
    cm = np.bincount(y * 2 + p, minlength=4).reshape(2, 2)
    reps_counts = metric_from_confusion(
        bootstrap_confusion_matrices(cm, n_resamples=20_000, random_state=1), "f1"
    )
    idx = rng.integers(0, 400, size=(20_000, 400))
    yy, pp = y[idx], p[idx]
    tp = ((yy == 1) & (pp == 1)).sum(1)
    fp = ((yy == 0) & (pp == 1)).sum(1)
    fn = ((yy == 1) & (pp == 0)).sum(1)
    reps_rows = 2 * tp / (2 * tp + fp + fn)
    # same distribution: compare mean, sd and quantiles to Monte Carlo precision
    assert abs(reps_counts.mean() - reps_rows.mean()) < 1e-3
    assert abs(reps_counts.std() - reps_rows.std()) < 1e-3
    q = [0.025, 0.5, 0.975]
    np.testing.assert_allclose(np.quantile(reps_counts, q), np.quantile(reps_rows, q), atol=3e-3)


def test_grouped_and_expanded_rows_give_the_same_bca_jackknife() -> None:
    cm = np.array([[40, 7], [9, 44]])
    stat = lambda s: metric_from_confusion(s.reshape(*s.shape[:-1], 2, 2), "f1")  # noqa: E731
    grouped = bootstrap_sums(np.eye(4), stat, counts=cm.ravel(), method="bca",
                             n_resamples=3000, random_state=0)  # fmt: skip
    rows = np.repeat(np.eye(4), cm.ravel(), axis=0)
    expanded = bootstrap_sums(rows, stat, method="bca", n_resamples=3000, random_state=0)
    assert grouped.value == expanded.value
    # different resampling streams: equal up to Monte Carlo error
    assert abs(grouped.ci_low - expanded.ci_low) < 0.02
    assert abs(grouped.ci_high - expanded.ci_high) < 0.02


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 300), st.integers(1, 40), st.integers(0, 2**31))
def test_resample_blocks_draw_n_rows_each(n: int, b: int, seed: int) -> None:
    blocks = list(resample_count_blocks(n, b, np.random.default_rng(seed), block_elements=500))
    w = np.vstack(blocks)
    assert w.shape == (b, n)
    assert (w.sum(axis=1) == n).all()
    assert (w >= 0).all()


def test_intervals_edge_cases() -> None:
    assert np.isnan(wilson_interval(0, 0)[0])
    assert np.isnan(percentile_interval([np.nan, np.nan])[0])
    assert np.isnan(bca_interval([np.nan], 0.5, [0.5])[0])
    with pytest.raises(DataError):
        bootstrap_confusion_matrices([[0, 0], [0, 0]])
