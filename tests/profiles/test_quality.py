"""Data-quality findings from profiles."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.exceptions import ParameterError
from driftline.profiles import QualityThresholds, check_quality, profile
from driftline.testing import make_monitoring_data


def _kinds(report: object) -> set[tuple[str, str]]:
    return {(f.column, f.kind) for f in report.findings}  # type: ignore[attr-defined]


def test_clean_monitoring_data_has_no_errors() -> None:
    ref, cur = make_monitoring_data(20_000, drift=False)
    report = check_quality(profile(cur), profile(ref))
    assert report.passed
    assert not [f for f in report.findings if f.kind in ("missing", "type_violation")]


def test_each_kind_of_finding() -> None:
    rng = np.random.default_rng(0)
    n = 1_000
    ref = profile(
        {
            "num": rng.normal(size=n),
            "miss": rng.normal(size=n),
            "cat": rng.choice(np.array(["a", "b", "c"]), size=n),
            "const": np.ones(n),
            "gone": np.zeros(n),
        }
    )
    miss = rng.normal(size=n)
    miss[:600] = np.nan
    cat = rng.choice(np.array(["a", "b", "c", "NEW"]), size=n)
    cur = profile(
        {
            "num": rng.normal(size=n) * 3,
            "miss": miss,
            "cat": cat,
            "const": np.ones(n),
            "dirty": np.array(["1", "2", "x"] * 333 + ["4"], dtype=object),
            "added": np.zeros(n),
        },
        schema={"dirty": "numeric"},
    )
    report = check_quality(cur, ref)
    found = _kinds(report)
    assert {
        ("num", "out_of_range"),
        ("miss", "missing"),
        ("cat", "new_category"),
        ("const", "constant"),
        ("dirty", "type_violation"),
        ("gone", "missing_column"),
        ("added", "new_column"),
    } <= found
    assert not report.passed
    severities = [f.severity for f in report.findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    miss_finding = report.by_column("miss")[0]
    assert miss_finding.severity == "error"
    assert miss_finding.value == pytest.approx(0.6)
    new = report.by_column("cat")[0]
    assert "'NEW'" in new.message
    assert new.value == pytest.approx(np.mean(cat == "NEW"))
    lines = report.summary()
    assert lines[0].startswith("Data quality: 1,000 rows x 6 columns against a reference")
    assert len(lines) == 1 + len(report.findings)
    assert report.to_dict()["findings"][0]["severity"] == "error"


def test_out_of_range_share_is_estimated_from_the_sketch() -> None:
    ref = profile({"x": np.arange(100_000.0)})
    cur = profile({"x": np.arange(10_000.0, 110_000.0)})
    (finding,) = check_quality(cur, ref).findings
    assert finding.kind == "out_of_range"
    assert finding.value == pytest.approx(0.1, abs=2 * cur["x"].rank_error + 1e-5)  # type: ignore[attr-defined]


def test_near_constant_and_cardinality() -> None:
    x = np.zeros(10_000)
    x[:50] = 1.0
    c = np.array(["a"] * 9_950 + ["b"] * 50)
    p = profile({"x": x, "c": c})
    assert {("x", "near_constant"), ("c", "near_constant")} <= _kinds(check_quality(p))
    many = profile({"c": np.char.add("v", np.arange(500).astype(str))})
    few = profile({"c": np.array(["v1", "v2"] * 250)})
    assert ("c", "cardinality") in _kinds(check_quality(many, few))


def test_kind_change_and_parameter_validation() -> None:
    a = profile({"x": np.arange(5.0)})
    b = profile({"x": np.array(["p", "q", "r", "s", "t"])})
    assert ("x", "kind_changed") in _kinds(check_quality(b, a))
    with pytest.raises(ParameterError, match="'current'"):
        check_quality("nope")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'missing_warning'"):
        QualityThresholds(missing_warning=2.0)


def test_datetime_range_is_reported_in_iso_8601() -> None:
    pd = pytest.importorskip("pandas")
    ref = profile({"t": pd.date_range("2025-01-01", periods=1_000, freq="min").to_numpy()})
    cur = profile({"t": pd.date_range("2025-01-02", periods=1_000, freq="min").to_numpy()})
    (finding,) = check_quality(cur, ref).findings
    assert finding.kind == "out_of_range"
    assert finding.severity == "error"
    assert "2025-01-02T00:00:00+00:00" in finding.message
