"""Large raw numeric columns go through fine buckets (no sort); results must stay exact.

KS statistic and p-value equal scipy's (and the sorted kernels'); the Wasserstein effect
size lies within ``effect_size_error_bound`` of scipy's, and is recomputed exactly when
that bound could change the verdict. Odd columns (ties, NaN, infinities, data far outside
the reference) fall back to sorting and give the same answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from driftline import stats
from driftline.drift._detector import DriftDetector
from driftline.drift._sides import BUCKETED_MIN_N, NumericSide
from driftline.profiles import profile

N = 120_000
assert N >= BUCKETED_MIN_N


def _frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame(
        {
            "normal": rng.normal(size=N),
            "lognormal": rng.lognormal(size=N),
            "same": rng.uniform(size=N),
            "float32": rng.normal(size=N).astype(np.float32),
        }
    )
    cur = pd.DataFrame(
        {
            "normal": rng.normal(0.15, size=N),
            "lognormal": rng.lognormal(0.0, 1.3, size=N),
            "same": rng.uniform(size=N),
            "float32": rng.normal(size=N).astype(np.float32),
        }
    )
    return ref, cur


def _assert_matches_scipy(
    report_col: object, ref: np.ndarray, cur: np.ndarray, max_bound: float = 1e-4
) -> None:
    col = report_col
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    ks = sps.ks_2samp(ref, cur, method="asymp")
    assert col.statistic == pytest.approx(ks.statistic, abs=1e-12)  # type: ignore[attr-defined]
    sorted_ks = stats.ks_2samp(ref, cur, ties="conditional")  # sorting: identical results
    assert col.statistic == sorted_ks.statistic  # type: ignore[attr-defined]
    assert col.p_value == sorted_ks.p_value  # type: ignore[attr-defined]
    w1 = sps.wasserstein_distance(ref, cur) / ref.std(ddof=1)
    bound = col.effect_size_error_bound  # type: ignore[attr-defined]
    assert abs(col.effect_size - w1) <= bound + 1e-9 * w1  # type: ignore[attr-defined]
    assert bound < max_bound  # the documented size: far below the 0.1 sd threshold
    assert col.statistic_error_bound == 0.0  # type: ignore[attr-defined]


def test_bucketed_columns_match_scipy() -> None:
    ref, cur = _frames()
    detector = DriftDetector().fit(ref)
    assert all(
        isinstance(s, NumericSide) and s.buckets is not None for s in detector.reference_.values()
    )
    report = detector.compare(cur)
    for name in ref.columns:
        _assert_matches_scipy(
            report.columns[name],
            ref[name].to_numpy(np.float64),
            cur[name].to_numpy(np.float64),
        )
    assert sorted(report.drifted_columns) == ["lognormal", "normal"]
    again = detector.compare(cur).to_dict()  # the fitted reference is reused unchanged
    assert again == report.to_dict()


def test_wasserstein_is_exact_when_the_verdict_depends_on_it() -> None:
    ref, cur = _frames()
    approx = DriftDetector(columns=["normal"]).fit(ref).compare(cur).columns["normal"]
    exact = sps.wasserstein_distance(ref["normal"], cur["normal"]) / ref["normal"].std()
    # a threshold inside the error bound: the effect must be the exact one
    detector = DriftDetector(columns=["normal"], thresholds={"wasserstein_sd": exact})
    col = detector.fit(ref).compare(cur).columns["normal"]
    assert col.effect_size_error_bound == 0.0
    assert col.effect_size == pytest.approx(exact, rel=1e-9)
    assert approx.effect_size == pytest.approx(exact, abs=approx.effect_size_error_bound + 1e-12)


def test_odd_columns_fall_back_and_stay_exact() -> None:
    rng = np.random.default_rng(3)
    gappy = rng.normal(size=N)
    gappy[::7] = np.nan
    gappy[::11] = np.inf
    ref = pd.DataFrame(
        {
            "ties": rng.integers(0, 4, N).astype(float),
            "gappy": gappy,
            "far": rng.normal(size=N),
            "ints": rng.integers(0, 1000, N),
        }
    )
    gappy_cur = rng.normal(0.05, size=N)
    gappy_cur[::5] = -np.inf
    cur = pd.DataFrame(
        {
            "ties": rng.integers(0, 4, N).astype(float),
            "gappy": gappy_cur,
            "far": rng.normal(100.0, size=N),
            "ints": rng.integers(0, 1000, N),
        }
    )
    report = DriftDetector().fit(ref).compare(cur)
    for name in ref.columns:
        col = report.columns[name]
        r, c = ref[name].to_numpy(np.float64), cur[name].to_numpy(np.float64)
        _assert_matches_scipy(col, r, c, max_bound=1e-3)  # ties widen crossing buckets
    assert report.columns["gappy"].n_reference == int(np.isfinite(gappy).sum())
    assert report.columns["far"].drifted
    assert report.columns["far"].explanation.startswith("mean +")
    assert report.columns["ties"].chart["type"] == "bars"


def test_profiles_against_a_bucketed_reference() -> None:
    ref, cur = _frames(1)
    exact = DriftDetector().fit(ref).compare(cur)
    mixed = DriftDetector().fit(ref).compare(profile(cur))
    for name in ref.columns:
        a, e = mixed.columns[name], exact.columns[name]
        assert abs(a.statistic - e.statistic) <= a.statistic_error_bound
        assert a.effect_size == pytest.approx(e.effect_size, abs=0.02)
    assert sorted(mixed.drifted_columns) == sorted(exact.drifted_columns)


def test_charts_and_explanations_of_bucketed_columns() -> None:
    ref, cur = _frames(2)
    report = DriftDetector().fit(ref).compare(cur)
    chart = report.columns["normal"].chart
    assert chart["type"] == "histogram"
    assert np.all(np.diff(chart["edges"]) > 0)
    for side, data in (("reference", ref), ("current", cur)):
        shares = np.array(chart[side])
        x = data["normal"].to_numpy()
        inside = np.mean((x >= chart["edges"][0]) & (x < chart["edges"][-1]))
        assert shares.sum() == pytest.approx(inside, abs=1e-5)
    same = report.columns["same"].explanation
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    quoted = same.split()[0]
    q = qs[[f"p{round(v * 100)}" for v in qs].index(quoted)]
    expected_ref = np.sort(ref["same"].to_numpy())[int(np.ceil(q * N)) - 1]
    assert same.split()[1] == f"{expected_ref:.4g}"


def test_pandas_columns_with_odd_labels_and_types() -> None:
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({0: rng.normal(size=N), "c": rng.choice(["a", "b"], N), "i": np.arange(N)})
    cur = pd.DataFrame({0: rng.normal(size=N), "c": rng.choice(["a", "b"], N), "i": np.arange(N)})
    report = DriftDetector().fit(ref).compare(cur)
    assert list(report.columns) == ["0", "c", "i"]
    assert report.n_reference == N
    only = DriftDetector(columns=["0"]).fit(ref).compare(cur)
    assert list(only.columns) == ["0"]
    assert only.n_current == N
