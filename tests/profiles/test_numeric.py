"""Numeric profiles against numpy / scipy, with stated tolerances."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.profiles import NumericProfile, profile
from driftline.profiles._quantiles import QuantileSketch


def _num(values: np.ndarray, **kwargs: object) -> NumericProfile:
    col = profile({"x": values}, **kwargs)["x"]  # type: ignore[arg-type]
    assert isinstance(col, NumericProfile)
    return col


def test_moments_and_counts_match_numpy() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, 5_000)
    x[:7] = 0.0
    col = _num(x)
    assert col.count == 5_000
    assert col.n_zero == 7
    assert col.n_negative == int(np.sum(x < 0))
    assert col.min == x.min()
    assert col.max == x.max()
    # Tolerance: a few ulps of accumulated rounding over 5k values.
    np.testing.assert_allclose(col.mean, np.mean(x), rtol=1e-12)
    np.testing.assert_allclose(col.variance, np.var(x, ddof=1), rtol=1e-10)


def test_nan_inf_and_nulls_are_counted_apart() -> None:
    x = np.array([1.0, np.nan, np.inf, -np.inf, 2.0, np.nan, 0.0, -3.0])
    col = _num(x)
    assert (col.count, col.n_nan, col.n_posinf, col.n_neginf) == (4, 2, 1, 1)
    assert (col.n_null, col.n_missing, col.n_zero, col.n_negative) == (0, 2, 1, 1)
    assert col.min == -3.0
    assert col.max == 2.0
    np.testing.assert_allclose(col.mean, 0.0, atol=1e-15)


def test_pandas_nan_is_null() -> None:
    pd = pytest.importorskip("pandas")
    col = profile(pd.DataFrame({"x": [1.0, None, 3.0]}))["x"]
    assert isinstance(col, NumericProfile)
    assert (col.n_null, col.n_nan, col.count) == (1, 0, 2)


def test_merged_variance_is_stable_under_large_offset() -> None:
    # Chan's parallel formula: naive sum-of-squares would lose every digit here.
    rng = np.random.default_rng(2)
    x = 1e9 + rng.normal(0.0, 1e-3, 10_000)
    parts = np.array_split(x, 7)
    merged = _num(parts[0])
    for part in parts[1:]:
        merged = merged + _num(part)
    np.testing.assert_allclose(merged.variance, np.var(x, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(merged.mean, np.mean(x), rtol=1e-15)


def test_exact_quantiles_below_k_match_numpy_inverted_cdf() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=500)
    col = _num(x)
    qs = np.linspace(0.0, 1.0, 21)
    assert col.rank_error == 0.0
    np.testing.assert_array_equal(col.quantiles(qs), np.quantile(x, qs, method="inverted_cdf"))
    xs = np.quantile(x, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(col.cdf(xs), [(x <= v).mean() for v in xs], rtol=0, atol=1e-12)


@pytest.mark.parametrize("dist", ["normal", "lognormal", "bimodal"])
def test_rank_error_within_bound_including_tails(dist: str) -> None:
    rng = np.random.default_rng(4)
    n = 200_000
    if dist == "normal":
        x = rng.normal(size=n)
    elif dist == "lognormal":
        x = rng.lognormal(sigma=2.0, size=n)
    else:
        x = np.where(rng.random(n) < 0.4, rng.normal(-3, 1, n), rng.normal(3, 0.5, n))
    col = _num(x, batch_size=50_000)
    eps = col.rank_error
    assert 0.0 < eps < 0.003
    qs = np.array([0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999])
    sorted_x = np.sort(x)
    est = col.quantiles(qs)
    true_rank = np.searchsorted(sorted_x, est, side="right") / n
    assert np.max(np.abs(true_rank - qs)) <= eps
    probes = np.quantile(x, qs)
    assert np.max(np.abs(col.cdf(probes) - qs)) <= eps + 1.0 / n


def test_histogram_matches_numpy_within_bound() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=100_000)
    col = _num(x)
    edges = np.array([-np.inf, -2, -1, -0.5, 0, 0.5, 1, 2, np.inf])
    exact, _ = np.histogram(x, bins=edges)
    est = col.histogram(edges)
    assert est.sum() == pytest.approx(len(x))
    assert np.max(np.abs(est - exact)) <= 2 * col.rank_error * len(x)
    small = _num(x[:300])
    np.testing.assert_allclose(
        small.histogram([-1.0, 0.0, 1.0]), np.histogram(x[:300], bins=[-1.0, 0.0, 1.0])[0]
    )


def test_histogram_rejects_bad_edges() -> None:
    col = _num(np.arange(10.0))
    with pytest.raises(ValueError, match="increasing"):
        col.histogram([3.0, 1.0])


def test_empty_and_all_missing_columns() -> None:
    col = _num(np.array([np.nan, np.nan]))
    assert col.count == 0
    assert col.n_nan == 2
    assert np.isnan(col.mean)
    assert np.isnan(col.quantiles([0.5])[0])
    empty = QuantileSketch.empty()
    assert empty.histogram([0.0, 1.0]).tolist() == [0.0]


def test_integer_column_is_numeric() -> None:
    col = _num(np.arange(-5, 5))
    assert col.kind == "numeric"
    assert col.count == 10
    assert col.n_negative == 5
    assert col.n_zero == 1


def test_sketch_never_exceeds_its_capacities() -> None:
    rng = np.random.default_rng(6)
    k = 64
    acc = QuantileSketch.empty(k)
    for size in (10, 5_000, 300, 70_000, 1, 20_000, 999):
        acc = acc.merge(QuantileSketch.from_values(rng.normal(size=size), k))
        depth = len(acc.sizes)
        caps = [max(8, int(k * (2 / 3) ** (depth - 1 - h))) for h in range(depth)]
        assert all(s <= c for s, c in zip(acc.sizes, caps, strict=True))
        assert sum(acc.sizes) <= 3 * k + 8 * depth
