from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats as sps

from driftline.drift._detector import DriftDetector
from driftline.drift._multivariate import (
    DomainClassifierDetector,
    PCAReconstructionDetector,
    _auc_pvalue,
)
from driftline.exceptions import InsufficientDataError, NotFittedError, ParameterError
from driftline.profiles import profile


def _correlated(rng: np.random.Generator, n: int, sign: float) -> dict[str, np.ndarray]:
    """Three standard-normal columns; ``b`` follows ``a`` with the given sign."""
    a = rng.normal(size=n)
    return {
        "a": a,
        "b": sign * 0.9 * a + np.sqrt(1 - 0.81) * rng.normal(size=n),
        "c": rng.normal(size=n),
        "k": rng.choice(np.array(["x", "y", "z"]), n),
    }


def test_a_correlation_flip_is_invisible_per_column_but_found_jointly() -> None:
    rng = np.random.default_rng(1)
    ref, cur = _correlated(rng, 4_000, 1.0), _correlated(rng, 4_000, -1.0)
    report = DriftDetector(multivariate=["domain_classifier", "pca"]).fit(ref).compare(cur)
    assert report.drifted_columns == []
    assert report.multivariate["pca"].drifted
    assert report.multivariate["domain_classifier"].drifted
    assert {name for name, _ in report.multivariate["pca"].top_features[:2]} == {"a", "b"}
    assert report.drifted
    assert "multivariate pca: drift" in report.summary()
    json.dumps(report.to_dict(), allow_nan=False)


def test_no_multivariate_drift_between_samples_of_one_distribution() -> None:
    rng = np.random.default_rng(2)
    ref, cur = _correlated(rng, 3_000, 1.0), _correlated(rng, 3_000, 1.0)
    assert not DomainClassifierDetector().fit(ref).compare(cur).drifted
    assert not PCAReconstructionDetector().fit(ref).compare(cur).drifted


def test_unseen_categories_are_encoded_not_dropped() -> None:
    rng = np.random.default_rng(3)
    ref = _correlated(rng, 2_000, 1.0)
    cur = _correlated(rng, 2_000, 1.0)
    cur["k"] = np.where(rng.random(2_000) < 0.5, "new", cur["k"])
    result = DomainClassifierDetector().fit(ref).compare(cur)
    assert result.drifted
    assert result.top_features[0][0] == "k"


def test_auc_p_value_matches_mann_whitney_normal_approximation() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=300), rng.normal(0.2, size=200)
    mw = sps.mannwhitneyu(y, x, alternative="greater", method="asymptotic", use_continuity=False)
    auc = mw.statistic / (len(x) * len(y))
    assert _auc_pvalue(auc, len(x), len(y)) == pytest.approx(mw.pvalue, rel=1e-9)


def test_bounded_samples() -> None:
    rng = np.random.default_rng(5)
    ref, cur = _correlated(rng, 30_000, 1.0), _correlated(rng, 30_000, 1.0)
    result = PCAReconstructionDetector(max_rows=2_000).fit(ref).compare(cur)
    assert result.n_current == 2_000
    assert result.n_reference == 1_000  # half of the sample is the null


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        DomainClassifierDetector().compare({"a": np.zeros(100)})
    with pytest.raises(InsufficientDataError, match="at least 50"):
        PCAReconstructionDetector().fit({"a": np.zeros(10)})
    with pytest.raises(ParameterError, match="variance"):
        PCAReconstructionDetector(variance=1.5)
    with pytest.raises(ParameterError, match="multivariate"):
        DriftDetector(multivariate=["magic"])  # type: ignore[list-item]
    data = {"a": np.arange(100.0)}
    with pytest.raises(ParameterError, match="raw reference rows"):
        DriftDetector(multivariate=["pca"]).fit(profile(data))


def test_more_than_255_categories_are_supported() -> None:
    rng = np.random.default_rng(6)
    names = np.array([f"c{i:04d}" for i in range(1_000)], dtype=object)
    ref = {"x": rng.normal(size=3_000), "k": names[rng.integers(0, 1_000, 3_000)]}
    cur = {"x": rng.normal(size=3_000), "k": names[rng.integers(0, 1_000, 3_000)]}
    cur["k"][:5] = None  # missing values get their own code
    ref["k"][:5] = None
    result = DomainClassifierDetector().fit(ref).compare(cur)
    assert not result.drifted
