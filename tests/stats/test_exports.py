"""The public surface of driftline.stats is exactly what __all__ says, and documented."""

from __future__ import annotations

import inspect

import driftline.stats as stats
import driftline.testing._stat_checks as checks

EXPECTED = {
    "TestResult",
    "adjust_p_values",
    "anderson_ksamp",
    "benjamini_hochberg",
    "bin_counts",
    "chi2_homogeneity",
    "cohens_h",
    "cramers_v",
    "cramervonmises_2samp",
    "g_test_homogeneity",
    "hellinger_distance",
    "jensen_shannon_distance",
    "ks_2samp",
    "ks_from_cdfs",
    "ks_from_sorted",
    "ks_from_statistic",
    "ks_from_weighted",
    "ks_pvalue",
    "ks_pvalue_interval",
    "normalized_wasserstein",
    "psi",
    "reference_bin_edges",
    "sd_ratio",
    "standardized_mean_difference",
    "total_variation_distance",
    "two_proportions_test",
    "wasserstein_distance",
    "wasserstein_from_quantiles",
    "wasserstein_from_sorted",
}


def test_all_is_exactly_the_public_set() -> None:
    assert set(stats.__all__) == EXPECTED
    assert len(stats.__all__) == len(EXPECTED)
    public = {n for n in vars(stats) if not n.startswith("_") and n != "annotations"}
    assert public == EXPECTED


def test_every_public_callable_has_a_docstring_with_an_example() -> None:
    for name in stats.__all__:
        obj = getattr(stats, name)
        if callable(obj):
            doc = inspect.getdoc(obj) or ""
            assert doc, name
            assert ">>>" in doc, f"{name} has no runnable example"


def test_checks_module_exports() -> None:
    assert set(checks.__all__) == {
        "check_count_distance",
        "check_sample_distance",
        "check_two_sample_test",
    }


def test_options_are_keyword_only() -> None:
    sig = inspect.signature(stats.ks_2samp)
    assert sig.parameters["method"].kind is inspect.Parameter.KEYWORD_ONLY
    sig = inspect.signature(stats.psi)
    assert sig.parameters["epsilon"].kind is inspect.Parameter.KEYWORD_ONLY
