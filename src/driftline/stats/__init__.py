"""Pure statistical functions over arrays, counts or sketches.

Two-sample tests, distances, effect sizes and multiple-testing corrections.
No I/O and no state: classes elsewhere wrap these functions.

>>> import numpy as np
>>> from driftline import stats
>>> rng = np.random.default_rng(0)
>>> ref, cur = rng.normal(size=2_000), rng.normal(0.3, size=2_000)
>>> stats.ks_2samp(ref, cur).p_value < 1e-6
True
>>> round(stats.standardized_mean_difference(ref, cur), 2)
0.33
"""

from __future__ import annotations

from driftline.stats._anderson import anderson_ksamp
from driftline.stats._binning import bin_counts, reference_bin_edges
from driftline.stats._chi2 import chi2_homogeneity, g_test_homogeneity
from driftline.stats._cvm import cramervonmises_2samp
from driftline.stats._distances import (
    hellinger_distance,
    jensen_shannon_distance,
    psi,
    total_variation_distance,
)
from driftline.stats._effects import cramers_v, sd_ratio, standardized_mean_difference
from driftline.stats._ks import (
    ks_2samp,
    ks_from_cdfs,
    ks_from_sorted,
    ks_from_statistic,
    ks_from_weighted,
    ks_pvalue,
    ks_pvalue_interval,
)
from driftline.stats._multitest import adjust_p_values, benjamini_hochberg
from driftline.stats._proportions import cohens_h, two_proportions_test
from driftline.stats._result import TestResult
from driftline.stats._wasserstein import (
    normalized_wasserstein,
    wasserstein_distance,
    wasserstein_from_quantiles,
    wasserstein_from_sorted,
)

__all__ = [
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
]
