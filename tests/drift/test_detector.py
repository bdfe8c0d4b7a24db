from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from driftline.drift._detector import DriftDetector
from driftline.exceptions import NotFittedError, ParameterError, SchemaMismatchError
from driftline.profiles import profile
from driftline.testing import DRIFTED_COLUMNS, make_monitoring_data

FEATURES = [f"num_{i:02d}" for i in range(20)] + [f"cat_{j:02d}" for j in range(5)]


@pytest.fixture(scope="module")
def data_10k() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_monitoring_data(10_000)


@pytest.mark.parametrize("n", [10_000, 100_000, 1_000_000])
def test_exactly_the_injected_columns_drift(n: int) -> None:
    ref, cur = make_monitoring_data(n)
    report = DriftDetector(columns=FEATURES).fit(ref).compare(cur)
    assert sorted(report.drifted_columns) == sorted(DRIFTED_COLUMNS)
    assert report.drifted


@pytest.mark.parametrize(("n", "seed"), [(1_000_000, 1), (10_000, 2), (10_000, 3)])
def test_nothing_drifts_between_samples_of_one_distribution(n: int, seed: int) -> None:
    ref, cur = make_monitoring_data(n, seed=seed, drift=False)
    report = DriftDetector(columns=FEATURES).fit(ref).compare(cur)
    assert report.drifted_columns == []
    assert not report.drifted


def test_explanations_say_what_changed(data_10k: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, cur = data_10k
    report = DriftDetector(columns=FEATURES).fit(ref).compare(cur)
    assert report.columns["num_00"].explanation.startswith("mean +0.")
    assert report.columns["num_10"].explanation == "sd x1.50"
    assert "share" in report.columns["cat_02"].explanation
    lines = report.summary().splitlines()
    assert lines[0].startswith("Drift: 5 of 25 columns drifted")
    assert len(lines) == 6


def test_statistics_match_scipy(data_10k: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, cur = data_10k
    report = DriftDetector(columns=["num_00", "cat_00"]).fit(ref).compare(cur)
    ks = sps.ks_2samp(ref["num_00"], cur["num_00"], method="exact")
    col = report.columns["num_00"]
    assert col.statistic == pytest.approx(ks.statistic, abs=1e-12)
    assert col.p_value == pytest.approx(ks.pvalue, rel=1e-6, abs=1e-300)
    table = pd.crosstab(
        np.r_[np.zeros(len(ref)), np.ones(len(cur))], np.r_[ref["cat_00"], cur["cat_00"]]
    )
    chi2 = sps.chi2_contingency(table.to_numpy(), correction=False)
    assert report.columns["cat_00"].statistic == pytest.approx(chi2.statistic, rel=1e-10)
    assert report.columns["cat_00"].p_value == pytest.approx(chi2.pvalue, rel=1e-8)
    assert col.effect_size == pytest.approx(
        sps.wasserstein_distance(ref["num_00"], cur["num_00"]) / ref["num_00"].std(), rel=1e-9
    )


def test_p_values_are_adjusted_with_benjamini_hochberg(
    data_10k: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ref, cur = data_10k
    report = DriftDetector(columns=FEATURES).fit(ref).compare(cur)
    names = list(report.columns)
    raw = np.array([report.columns[n].p_value for n in names])
    expected = sps.false_discovery_control(raw, method="bh")
    got = np.array([report.columns[n].p_value_adjusted for n in names])
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_profiles_give_the_same_verdicts_within_the_error_bound() -> None:
    ref, cur = make_monitoring_data(100_000)
    exact = DriftDetector(columns=FEATURES).fit(ref).compare(cur)
    ref_p, cur_p = profile(ref[FEATURES]), profile(cur[FEATURES])
    for fitted, current in ((ref_p, cur_p), (ref[FEATURES], cur_p), (ref_p, cur[FEATURES])):
        approx = DriftDetector().fit(fitted).compare(current)
        assert sorted(approx.drifted_columns) == sorted(DRIFTED_COLUMNS)
        for name in FEATURES[:20]:
            a, e = approx.columns[name], exact.columns[name]
            assert abs(a.statistic - e.statistic) <= a.statistic_error_bound
            assert a.statistic_error_bound > 0
            assert a.effect_size == pytest.approx(e.effect_size, abs=0.02)


def test_identical_data_has_zero_effect(data_10k: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, _ = data_10k
    report = DriftDetector(columns=FEATURES).fit(ref).compare(ref)
    assert not report.drifted
    for col in report.columns.values():
        assert col.effect_size == 0.0
        assert col.statistic == 0.0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["ks", "wasserstein", "psi", "jensen_shannon"]))
def test_row_order_does_not_matter(seed: int, method: str) -> None:
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(list("abcd"), 300)})
    cur = pd.DataFrame({"x": rng.normal(0.2, size=200), "c": rng.choice(list("abcde"), 200)})
    detector = DriftDetector(method={"x": method}).fit(ref)  # type: ignore[dict-item]
    a = detector.compare(cur).to_dict()
    b = detector.compare(cur.sample(frac=1.0, random_state=seed)).to_dict()
    c = DriftDetector(method={"x": method}).fit(ref.iloc[::-1]).compare(cur).to_dict()  # type: ignore[dict-item]
    for other in (b, c):
        for name in ("x", "c"):
            for key in ("statistic", "p_value", "effect_size", "drifted"):
                assert a["columns"][name][key] == pytest.approx(other["columns"][name][key])


def test_report_serializes_and_renders(
    tmp_path: Path, data_10k: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    ref, cur = data_10k
    report = DriftDetector(columns=FEATURES).fit(ref).compare(cur)
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert payload["drifted_columns"] == report.drifted_columns
    assert payload["columns"]["num_00"]["threshold_direction"] == ">="
    html = report.to_html(tmp_path / "drift.html").read_text()
    # one large chart per drifted column, and small panels for all 25 columns, 3 per row
    assert html.count("<svg") == len(DRIFTED_COLUMNS) + 9
    assert "num_10" in html
    assert "Distributions of every column" in html


def test_distance_methods_have_no_p_value(data_10k: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, cur = data_10k
    methods = {"num_00": "psi", "num_01": "wasserstein", "cat_02": "jensen_shannon"}
    report = DriftDetector(method=methods, columns=["num_00", "num_01", "cat_02"]).fit(ref)  # type: ignore[arg-type]
    result = report.compare(cur)
    assert result.columns["num_00"].p_value is None
    assert result.columns["num_00"].effect_name == "psi"
    assert result.columns["num_01"].effect_name == "wasserstein_sd"
    assert result.columns["cat_02"].drifted
    assert result.columns["cat_02"].statistic == result.columns["cat_02"].effect_size


def test_new_category_is_named() -> None:
    ref = pd.DataFrame({"channel": ["web"] * 500 + ["branch"] * 500})
    cur = pd.DataFrame({"channel": ["web"] * 400 + ["branch"] * 400 + ["partner_api"] * 200})
    col = DriftDetector().fit(ref).compare(cur).columns["channel"]
    assert col.drifted
    assert col.explanation.startswith("new category 'partner_api' (20% of rows)")


def test_skips_text_and_small_columns() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(
        {
            "x": rng.normal(size=100),
            "note": ["a long free text " * 4] * 100,
            "y": rng.normal(size=100),
        }
    )
    cur = ref.copy()
    cur.loc[10:, "y"] = np.nan
    cur.loc[:, "z"] = np.nan
    ref["z"] = np.where(np.arange(100) < 80, np.nan, 1.0)  # 20 values, 80 % missing, both sides
    cur["z"] = ref["z"]
    report = DriftDetector().fit(ref).compare(cur)
    assert "note" in report.skipped
    # too few values to compare distributions; the missing rate still is compared
    y = report.columns["y"]
    assert not y.compared
    assert "too few values" in (y.note or "")
    assert y.reasons == ("missing values",)
    assert not report.columns["z"].drifted
    assert not report.columns["z"].compared
    assert report.columns["x"].compared


def test_errors_are_clear() -> None:
    with pytest.raises(NotFittedError, match="Call 'fit' first"):
        DriftDetector().compare({"x": np.zeros(3)})
    with pytest.raises(ParameterError, match="alpha"):
        DriftDetector(alpha=1.5)
    with pytest.raises(ParameterError, match="correction"):
        DriftDetector(correction="fdr")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="Unknown threshold"):
        DriftDetector(thresholds={"ks": 0.1})
    with pytest.raises(ParameterError, match="Unknown drift method"):
        DriftDetector(method={"x": "magic"})  # type: ignore[dict-item]
    detector = DriftDetector(method={"c": "ks"}).fit({"c": np.array(["a", "b"] * 50)})
    with pytest.raises(ParameterError, match="does not apply"):
        detector.compare({"c": np.array(["a", "b"] * 50)})
    fitted = DriftDetector().fit({"x": np.zeros(50), "z": np.ones(50)})
    with pytest.raises(SchemaMismatchError, match="lacks column"):
        fitted.compare({"x": np.zeros(50)})
