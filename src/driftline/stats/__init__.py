"""Pure statistical functions over arrays, counts or sketches.

Two-sample tests, distances, effect sizes and multiple-testing corrections.
No I/O and no state: classes elsewhere wrap these functions.

>>> import numpy as np
>>> from driftline import stats
>>> rng = np.random.default_rng(0)
>>> ref, cur = rng.normal(size=2_000), rng.normal(0.3, size=2_000)
>>> stats.ks_2samp(ref, cur).p_value < 1e-6
True
>>> stats.describe_mean_shift(stats.standardized_mean_difference(ref, cur))
'mean +0.33 sd'
"""

from __future__ import annotations

from driftline.stats._anderson import AD_P_VALUE_BOUNDS, anderson_ksamp
from driftline.stats._binning import bin_counts, reference_bin_edges
from driftline.stats._chi2 import (
    PooledCounts,
    chi2_homogeneity,
    g_test_homogeneity,
    pool_sparse_categories,
)
from driftline.stats._cvm import cramervonmises_2samp
from driftline.stats._distances import (
    PSI_EPSILON,
    hellinger_distance,
    jensen_shannon_distance,
    jensen_shannon_divergence,
    psi,
    total_variation_distance,
)
from driftline.stats._effects import (
    cramers_v,
    describe_mean_shift,
    describe_sd_ratio,
    describe_share_change,
    sd_ratio,
    sd_ratio_from_moments,
    share_differences,
    smd_from_moments,
    standardized_mean_difference,
)
from driftline.stats._ks import (
    ks_2samp,
    ks_from_cdfs,
    ks_from_sorted,
    ks_from_weighted,
    ks_pvalue,
    ks_pvalue_interval,
    ks_statistic_error_bound,
)
from driftline.stats._multitest import (
    adjust_p_values,
    benjamini_hochberg,
    bonferroni,
    holm,
    reject,
)
from driftline.stats._result import TestResult
from driftline.stats._wasserstein import (
    normalized_wasserstein,
    reference_scale,
    wasserstein_distance,
    wasserstein_from_quantiles,
    wasserstein_from_sorted,
)

__all__ = [
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
]
