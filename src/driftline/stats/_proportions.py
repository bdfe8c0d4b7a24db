"""Comparing two proportions (e.g. the missing rate of a column): a test and an effect size.

The test is Pearson's chi-squared on the 2 x 2 table (the pooled two-proportion z-test
squared), exact Fisher when a cell expects fewer than 5 counts (Cochran's rule). The
effect size is Cohen's h, ``2 asin(sqrt(p_cur)) - 2 asin(sqrt(p_ref))``: the arcsine
transform stabilizes the variance, so the same h means a comparably detectable change at
1 % and at 50 % (0 -> 1 % is h = 0.20, 40 -> 50 % is h = 0.20; 0.2 is Cohen's "small").
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _sps

from driftline.exceptions import DataError
from driftline.stats._result import TestResult

__all__ = ["cohens_h", "two_proportions_test"]


def _counts(k: float, n: float, name: str) -> tuple[int, int]:
    if not (float(k).is_integer() and float(n).is_integer() and 0 <= k <= n and n > 0):
        raise DataError(
            f"'{name}' must be a count between 0 and its total n > 0; got {k!r} of {n!r}."
        )
    return int(k), int(n)


def two_proportions_test(k_ref: int, n_ref: int, k_cur: int, n_cur: int) -> TestResult:
    """Two-sided test that ``k_ref / n_ref`` and ``k_cur / n_cur`` estimate one proportion.

    Pearson's chi-squared on the 2 x 2 table (= ``scipy.stats.chi2_contingency(table,
    correction=False)``), or Fisher's exact test (``scipy.stats.fisher_exact``) when an
    expected count is below 5; ``method`` says which. When both proportions are 0 (or
    both 1) there is nothing to test: statistic 0, p-value 1.

    >>> r = two_proportions_test(0, 1000, 50, 1000)
    >>> r.method, r.p_value < 1e-10
    ('chi2_2x2', True)
    >>> two_proportions_test(1, 40, 2, 40).method
    'fisher_exact'
    """
    a, n1 = _counts(k_ref, n_ref, "k_ref")
    c, n2 = _counts(k_cur, n_cur, "k_cur")
    table = np.array([[a, n1 - a], [c, n2 - c]], dtype=np.float64)
    col = table.sum(axis=0)
    if (col == 0).any():
        return TestResult(0.0, 1.0, "chi2_2x2", n_ref=n1, n_cur=n2, dof=1)
    expected = np.outer(table.sum(axis=1), col) / table.sum()
    stat = float(((table - expected) ** 2 / expected).sum())
    if expected.min() < 5.0:
        p = float(_sps.fisher_exact(table.astype(np.int64)).pvalue)
        return TestResult(stat, min(p, 1.0), "fisher_exact", n_ref=n1, n_cur=n2, dof=1)
    p = float(_sps.chi2.sf(stat, 1))
    return TestResult(stat, p, "chi2_2x2", n_ref=n1, n_cur=n2, dof=1)


def cohens_h(p_ref: float, p_cur: float) -> float:
    """Cohen's h between two proportions, ``2 asin(sqrt(p_cur)) - 2 asin(sqrt(p_ref))``.

    >>> round(cohens_h(0.0, 0.01), 3), round(cohens_h(0.0, 0.5), 3)
    (0.2, 1.571)
    """
    for name, p in (("p_ref", p_ref), ("p_cur", p_cur)):
        if not (0.0 <= float(p) <= 1.0):
            raise DataError(f"'{name}' must be a proportion in [0, 1]; got {p!r}.")
    return 2.0 * math.asin(math.sqrt(float(p_cur))) - 2.0 * math.asin(math.sqrt(float(p_ref)))
