"""The public surface of driftline.stats is exactly what __all__ says, and documented."""

from __future__ import annotations

import inspect

import driftline.stats as stats
import driftline.testing._stat_checks as checks

EXPECTED = {
    "AD_P_VALUE_BOUNDS",
    "PSI_EPSILON",
    "PooledCounts",
    "TestResult",
    "adjust_p_values",
    "anderson_ksamp",
    "benjamini_hochberg",
    "bin_counts",
    "bonferroni",
    "chi2_homogeneity",
    "cramers_v",
    "cramervonmises_2samp",
    "describe_mean_shift",
    "describe_sd_ratio",
    "describe_share_change",
    "g_test_homogeneity",
    "hellinger_distance",
    "holm",
    "jensen_shannon_distance",
    "jensen_shannon_divergence",
    "ks_2samp",
    "ks_from_cdfs",
    "ks_from_sorted",
    "ks_from_weighted",
    "ks_pvalue",
    "ks_pvalue_interval",
    "ks_statistic_error_bound",
    "normalized_wasserstein",
    "pool_sparse_categories",
    "psi",
    "reference_bin_edges",
    "reference_scale",
    "reject",
    "sd_ratio",
    "sd_ratio_from_moments",
    "share_differences",
    "smd_from_moments",
    "standardized_mean_difference",
    "total_variation_distance",
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
