"""Drift a person sees must be drift the detector reports (issue 13, items 5-8 and 10).

Each test builds data that shows one problem found on real tables; the first assertion of
each uses only what the report offered before the fix, so it fails on the unfixed code.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats as sps

from driftline import stats
from driftline.drift import DriftDetector

N = 5_000


def test_a_constant_reference_that_moves_drifts() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"year": np.full(N, 2015), "x": rng.normal(size=N)})
    cur = pd.DataFrame({"year": rng.integers(2016, 2019, N), "x": rng.normal(size=N)})
    report = DriftDetector().fit(ref).compare(cur)
    col = report.columns["year"]
    assert col.drifted  # the KS statistic is 1; the effect was W1 / max(|mean|, 1) ~ 0.001
    assert col.statistic == 1.0
    # scale: the sd of both samples pooled (the reference sd is 0): W1 ~2 / sd ~1.1
    pooled = np.concatenate((ref["year"], cur["year"])).std(ddof=1)
    w1 = sps.wasserstein_distance(ref["year"], cur["year"])
    assert col.effect_size == pytest.approx(w1 / pooled, rel=1e-9)
    assert col.explanation == "constant 2015 -> 2016 to 2018"
    assert not report.columns["x"].drifted


def test_two_different_constants_drift_and_one_constant_does_not() -> None:
    ref = pd.DataFrame({"a": np.full(100, 3.0), "b": np.full(100, 7.0)})
    cur = pd.DataFrame({"a": np.full(100, 4.0), "b": np.full(100, 7.0)})
    report = DriftDetector().fit(ref).compare(cur)
    assert report.columns["a"].drifted
    pooled = np.concatenate((ref["a"], cur["a"])).std(ddof=1)  # ~ 1/2 of the distance
    assert report.columns["a"].effect_size == pytest.approx(1.0 / pooled, rel=1e-9)
    assert report.columns["a"].explanation == "constant 3 -> 4"
    assert not report.columns["b"].drifted
    assert report.columns["b"].effect_size == 0.0


def _shares(n: int, shares: dict[str, float]) -> np.ndarray:
    counts = {k: round(v * n) for k, v in shares.items()}
    return np.repeat(list(counts), list(counts.values()))


def test_a_category_falling_from_10_to_1_percent_drifts() -> None:
    before = {"<20K": 0.30, "20-40K": 0.35, "40-60K": 0.25, "60K+ €": 0.10}
    after = {"<20K": 0.33, "20-40K": 0.38, "40-60K": 0.28, "60K+ €": 0.01}
    ref = pd.DataFrame({"income": _shares(20_000, before)})
    cur = pd.DataFrame({"income": _shares(20_000, after)})
    col = DriftDetector().fit(ref).compare(cur).columns["income"]
    assert col.drifted  # total variation 0.09 < 0.1 decided "no drift" before
    assert col.effect_name == "total_variation"
    assert col.effect_size < 0.1
    psi = {e.name: e for e in col.effects}["category_psi"]
    assert psi.large
    assert psi.value == pytest.approx(stats.psi([2000, 6000, 7000, 5000], [200, 6600, 7600, 5600]))
    assert col.explanation == "'60K+ €' share 10% -> 1%"
    assert "category_psi" in col.verdict_line()


def test_rare_categories_do_not_make_category_psi_noisy() -> None:
    # 1,000 Zipf categories, no drift: the category PSI stays far below its threshold
    rng = np.random.default_rng(3)
    p = 1.0 / np.arange(1, 1001) ** 1.1
    p /= p.sum()
    names = np.array([f"c{i:04d}" for i in range(1000)])
    ref = pd.DataFrame({"c": names[rng.choice(1000, 10_000, p=p)]})
    cur = pd.DataFrame({"c": names[rng.choice(1000, 10_000, p=p)]})
    col = DriftDetector().fit(ref).compare(cur).columns["c"]
    assert {e.name: e.value for e in col.effects}["category_psi"] < 0.02


def test_a_column_whose_kind_changed_is_a_finding() -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"code": rng.integers(0, 9, 500), "x": rng.normal(size=500)})
    cur = pd.DataFrame({"code": rng.choice(["A1", "B2", "C3"], 500), "x": rng.normal(size=500)})
    report = DriftDetector().fit(ref).compare(cur)
    assert report.drifted is True
    col = report.columns["code"]
    assert col.drifted
    assert col.reasons == ("kind changed",)
    assert (col.reference_kind, col.kind) == ("numeric", "categorical")
    assert col.statistic is None
    assert report.drifted_columns[0] == "code"
    assert "kind changed: numeric -> categorical" in report.summary()
    json.dumps(report.to_dict(), allow_nan=False)


def test_a_change_in_missing_rate_drifts() -> None:
    rng = np.random.default_rng(2)
    bmi = rng.normal(27, 4, 2_000)
    ref = pd.DataFrame({"bmi": bmi})
    cur = pd.DataFrame({"bmi": np.where(rng.random(2_000) < 0.5, np.nan, rng.normal(27, 4, 2_000))})
    report = DriftDetector().fit(ref).compare(cur)
    col = report.columns["bmi"]
    assert col.drifted  # only missing_rate_current showed it before
    assert col.reasons == ("missing values",)
    assert col.missing is not None
    assert col.missing.rate_current == pytest.approx(0.5, abs=0.03)
    expected = sps.chi2_contingency(
        [[0, 2_000], [int(cur["bmi"].isna().sum()), int(cur["bmi"].notna().sum())]],
        correction=False,
    )
    assert col.missing.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert col.missing.effect_size == pytest.approx(
        abs(stats.cohens_h(0.0, col.missing.rate_current))
    )
    assert f"missing 0% -> {col.missing.rate_current:.0%}" in report.summary()


def test_a_small_significant_change_in_missing_rate_is_not_drift() -> None:
    rng = np.random.default_rng(4)
    n = 400_000
    values = rng.normal(size=n)
    ref = {"x": np.where(rng.random(n) < 0.010, np.nan, values)}
    cur = {"x": np.where(rng.random(n) < 0.013, np.nan, rng.normal(size=n))}
    col = DriftDetector().fit(ref).compare(cur).columns["x"]
    assert col.missing is not None
    assert col.missing.p_value < 1e-10  # significant at 400k rows ...
    assert col.missing.effect_size < 0.2  # ... but h ~ 0.03 is not a practical change
    assert not col.drifted


def test_below_min_rows_the_verdict_says_not_enough_data() -> None:
    ref = {"x": np.arange(10.0), "c": np.array(list("ab") * 5)}
    cur = {"x": np.arange(10.0) + 100, "c": np.array(list("cd") * 5)}
    report = DriftDetector().fit(ref).compare(cur)
    assert report.drifted is None  # was False: "all clear" on data that cannot tell
    assert report.status == "not_enough_data"
    assert report.summary().startswith("Not enough data: no column has 30 values on each side")
    assert report.to_dict()["drifted"] is None


def test_ties_get_an_exact_conditional_ks_p_value() -> None:
    rng = np.random.default_rng(5)
    ref = {"n": rng.poisson(2.0, 800).astype(float)}
    cur = {"n": rng.poisson(2.25, 800).astype(float)}
    col = DriftDetector().fit(ref).compare(cur).columns["n"]
    scipy_p = sps.ks_2samp(ref["n"], cur["n"]).pvalue
    expected = stats.ks_2samp(ref["n"], cur["n"], ties="conditional")
    assert col.test == "ks_exact_ties"
    assert col.p_value == expected.p_value
    assert col.p_value < scipy_p / 2  # the continuous p-value is conservative with ties


def test_datetime_columns_say_dates_and_keep_their_kind() -> None:
    rng = np.random.default_rng(6)
    start, end = pd.Timestamp("2024-01-01").value, pd.Timestamp("2024-03-31").value
    later = pd.Timestamp("2024-06-01").value, pd.Timestamp("2024-08-31").value
    ref = pd.DataFrame({"signup": pd.to_datetime(rng.integers(start, end, 3_000))})
    cur = pd.DataFrame({"signup": pd.to_datetime(rng.integers(*later, 3_000))})
    col = DriftDetector().fit(ref).compare(cur).columns["signup"]
    assert col.kind == "datetime"
    assert col.explanation == "Jan–Mar 2024 -> Jun–Aug 2024"
    assert col.chart["axis"] == "datetime"
    assert col.to_dict()["kind"] == "datetime"


def test_datetime_explanations_use_the_grain_the_ranges_need() -> None:
    rng = np.random.default_rng(7)
    day = 86_400 * 10**9
    base = pd.Timestamp("2024-01-03").value
    ref = pd.DataFrame({"t": pd.to_datetime(base + rng.integers(0, 7 * day, 2_000))})
    cur = pd.DataFrame({"t": pd.to_datetime(base + 7 * day + rng.integers(0, 7 * day, 2_000))})
    col = DriftDetector().fit(ref).compare(cur).columns["t"]
    assert col.explanation == "3–9 Jan 2024 -> 10–16 Jan 2024"


def test_an_entirely_empty_current_column_is_reported_not_refused() -> None:
    rng = np.random.default_rng(8)
    ref = pa.table({"x": rng.normal(size=300), "s": pa.array(["a", "b", "c"] * 100)})
    cur = pa.table({"x": rng.normal(size=300), "s": pa.nulls(300, pa.string())})
    report = DriftDetector().fit(ref).compare(cur)
    col = report.columns["s"]
    assert col.drifted
    assert col.reasons == ("missing values",)
    assert col.missing_rate_current == 1.0
