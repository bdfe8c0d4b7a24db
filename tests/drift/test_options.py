"""Column selection with did-you-mean, schema overrides, and every method against scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from driftline import profile, stats
from driftline.drift import DriftDetector, drift_methods
from driftline.exceptions import DataError, ParameterError, SchemaMismatchError

RNG = np.random.default_rng(11)
REF = pd.DataFrame(
    {
        "age": RNG.normal(40, 10, 3_000),
        "income": RNG.lognormal(10, 0.5, 3_000),
        "plan": RNG.choice(["basic", "plus", "pro"], 3_000, p=[0.5, 0.3, 0.2]),
    }
)
CUR = pd.DataFrame(
    {
        "age": RNG.normal(43, 10, 3_000),
        "income": RNG.lognormal(10, 0.5, 3_000),
        "plan": RNG.choice(["basic", "plus", "pro"], 3_000, p=[0.3, 0.4, 0.3]),
    }
)


def test_unknown_columns_are_refused_with_a_did_you_mean() -> None:
    with pytest.raises(SchemaMismatchError, match=r"\['agee'\].*did you mean 'age'\?"):
        DriftDetector(columns=["agee"]).fit(REF)


def test_unknown_excludes_warn_with_a_did_you_mean() -> None:
    with pytest.warns(UserWarning, match=r"exclude=.*\['Income'\].*did you mean 'income'\?"):
        detector = DriftDetector(exclude=["Income"]).fit(REF)
    assert set(detector.reference_) == {"age", "income", "plan"}


def test_a_renamed_current_column_gets_a_did_you_mean() -> None:
    detector = DriftDetector().fit(REF)
    with pytest.raises(SchemaMismatchError, match=r"lacks column\(s\) \['age'\] .*'Age'"):
        detector.compare(CUR.rename(columns={"age": "Age"}))


def test_schema_overrides_the_inferred_kind() -> None:
    ref = pd.DataFrame({"zone": RNG.integers(1, 6, 2_000), "flag": RNG.integers(0, 2, 2_000)})
    cur = pd.DataFrame({"zone": RNG.integers(1, 6, 2_000), "flag": RNG.integers(0, 2, 2_000)})
    detector = DriftDetector(
        schema={"zone": "categorical", "flag": "boolean"}, method={"zone": "chi2"}
    )
    report = detector.fit(ref).compare(cur)
    assert report.columns["zone"].kind == "categorical"
    assert report.columns["zone"].method == "chi2"
    assert report.columns["flag"].kind == "boolean"
    assert report.columns["zone"].chart["categories"][0] in {"1", "2", "3", "4", "5"}


def test_schema_refuses_values_it_cannot_read() -> None:
    ref = pd.DataFrame({"price": ["1.5", "2.0", "oops"] * 20})
    with pytest.raises(DataError, match=r"'price' is declared numeric .*'oops'"):
        DriftDetector(schema={"price": "numeric"}).fit(ref)
    with pytest.raises(ParameterError, match="Unknown column kind"):
        DriftDetector(schema={"price": "money"})  # type: ignore[dict-item]


def test_schema_cannot_retype_a_profile() -> None:
    with pytest.raises(ParameterError, match="cannot be re-typed"):
        DriftDetector(schema={"age": "categorical"}).fit(profile(REF))


@pytest.mark.filterwarnings("ignore::UserWarning")  # scipy's AD p-value floor and API notices
@pytest.mark.parametrize(
    ("method", "reference"),
    [
        ("cvm", lambda a, b: sps.cramervonmises_2samp(a, b)),
        ("anderson", lambda a, b: sps.anderson_ksamp([a, b])),
    ],
)
def test_new_numeric_tests_match_scipy(method: str, reference: object) -> None:
    col = DriftDetector(method={"age": method}).fit(REF).compare(CUR).columns["age"]
    expected = reference(REF["age"].to_numpy(), CUR["age"].to_numpy())  # type: ignore[operator]
    assert col.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert col.p_value == pytest.approx(expected.pvalue, rel=1e-6)
    assert col.effect_name == "wasserstein_sd"
    assert col.drifted


def test_g_test_and_hellinger_match_their_references() -> None:
    methods = {"plan": "g_test", "age": "hellinger"}
    report = DriftDetector(method=methods).fit(REF).compare(CUR)  # type: ignore[arg-type]
    table = pd.crosstab(
        np.r_[np.zeros(3_000), np.ones(3_000)], np.r_[REF["plan"], CUR["plan"]]
    ).to_numpy()
    g = sps.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    assert report.columns["plan"].statistic == pytest.approx(g.statistic, rel=1e-10)
    assert report.columns["plan"].test == "g_test"
    edges = np.quantile(REF["age"], np.arange(1, 10) / 10, method="inverted_cdf")
    r = np.bincount(np.searchsorted(edges, REF["age"], side="left"), minlength=10)
    c = np.bincount(np.searchsorted(edges, CUR["age"], side="left"), minlength=10)
    assert report.columns["age"].statistic == pytest.approx(
        stats.hellinger_distance(r, c), rel=1e-9
    )
    assert report.columns["age"].p_value is None


def test_raw_only_methods_refuse_profiles_clearly() -> None:
    detector = DriftDetector(method={"age": "cvm"}).fit(profile(REF))
    with pytest.raises(ParameterError, match="'cvm' needs raw values"):
        detector.compare(profile(CUR))


def test_methods_are_described_by_the_registry() -> None:
    methods = drift_methods()
    assert methods["ks"].test
    assert methods["ks"].effect == "wasserstein_sd"
    assert methods["chi2"].kinds == frozenset({"categorical"})
    assert methods["psi"].kinds == frozenset({"numeric", "categorical"})
    assert methods["anderson"].needs_raw
    assert all(m.description for m in methods.values())
    with pytest.raises(TypeError):
        methods["nope"] = methods["ks"]  # type: ignore[index]


def test_new_thresholds_can_be_set() -> None:
    detector = DriftDetector(thresholds={"category_psi": 5.0, "missing_cohens_h": 0.5})
    assert detector.thresholds["category_psi"] == 5.0
    assert detector.thresholds["missing_cohens_h"] == 0.5


def test_the_docs_table_lists_every_registered_method() -> None:
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "drift.md").read_text()
    section = text.split("## Methods", 1)[1].split("\n## ", 1)[0]
    documented = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    assert documented == set(drift_methods())
