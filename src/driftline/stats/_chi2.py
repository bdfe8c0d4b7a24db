"""Chi-squared and G tests of homogeneity for two count vectors, with sparse-category pooling.

Pooling rule (``min_expected``, default 5, Cochran's rule of thumb): the expected count of
category j in row i is ``row_total_i * column_total_j / N``. A category is *sparse* when its
smaller expected count (the one in the smaller row) is below ``min_expected``.

1. Categories empty on both sides are dropped (they carry no information).
2. All sparse categories are pooled into one "other" bucket.
3. If "other" is itself still sparse, it is merged into the non-sparse category with the
   smallest total, so no cell of the final table has an expected count below the minimum.

With one column left there is nothing to test: statistic 0, p-value 1, ``dof = 0``. No
continuity correction is applied (this matches ``chi2_contingency(..., correction=False)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as _sps

from driftline._params import validate_params
from driftline.stats._result import TestResult
from driftline.stats._validation import POSITIVE, check_count_pair

__all__ = ["PooledCounts", "chi2_homogeneity", "g_test_homogeneity", "pool_sparse_categories"]


@dataclass(frozen=True)
class PooledCounts:
    """Two count vectors after sparse-category pooling.

    ``group[j]`` is the column of the pooled table that original category ``j`` went to
    (-1 if it was empty on both sides); ``other`` is the pooled column of sparse categories,
    or ``None`` if none were pooled.

    >>> p = pool_sparse_categories([90, 10, 1], [80, 20, 1])
    >>> p.group.tolist(), p.n_pooled
    ([0, 1, 1], 2)
    """

    ref: NDArray[np.float64]
    cur: NDArray[np.float64]
    group: NDArray[np.intp]
    other: int | None

    @property
    def n_pooled(self) -> int:
        """How many original (non-empty) categories went into a merged column."""
        counts = np.bincount(self.group[self.group >= 0], minlength=self.ref.size)
        return int(counts[counts > 1].sum())

    def to_dict(self) -> dict[str, object]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {
            "ref": self.ref.tolist(),
            "cur": self.cur.tolist(),
            "group": self.group.tolist(),
            "other": self.other,
        }


@validate_params({"min_expected": [POSITIVE]})
def pool_sparse_categories(
    ref_counts: ArrayLike, cur_counts: ArrayLike, *, min_expected: float = 5.0
) -> PooledCounts:
    """Pool categories whose expected count is below ``min_expected`` (see module docs).

    >>> p = pool_sparse_categories([500, 400, 20, 4, 3], [450, 500, 25, 4, 2])
    >>> p.ref.tolist(), p.cur.tolist(), p.group.tolist(), p.other
    ([500.0, 400.0, 20.0, 7.0], [450.0, 500.0, 25.0, 6.0], [0, 1, 2, 3, 3], 3)
    """
    ref, cur = check_count_pair("ref_counts", ref_counts, "cur_counts", cur_counts)
    min_e = float(min_expected)
    col = ref + cur
    n = float(col.sum())
    smaller_row = min(float(ref.sum()), float(cur.sum()))
    present = col > 0
    sparse = present & (col * smaller_row / n < min_e)
    dense = present & ~sparse
    group = np.full(ref.size, -1, dtype=np.intp)
    group[dense] = np.arange(int(dense.sum()))
    other: int | None = None
    n_dense = int(dense.sum())
    if sparse.any():
        other_total = float(col[sparse].sum())
        if other_total * smaller_row / n >= min_e or n_dense == 0:
            other = n_dense
            group[sparse] = other
        else:  # still sparse: merge into the smallest dense category
            dense_idx = np.flatnonzero(dense)
            target = int(group[dense_idx[np.argmin(col[dense_idx])]])
            group[sparse] = target
            other = target
    n_cols = int(group.max()) + 1
    keep = group >= 0
    pooled_ref = np.bincount(group[keep], weights=ref[keep], minlength=n_cols)
    pooled_cur = np.bincount(group[keep], weights=cur[keep], minlength=n_cols)
    return PooledCounts(
        ref=np.asarray(pooled_ref, dtype=np.float64),
        cur=np.asarray(pooled_cur, dtype=np.float64),
        group=group,
        other=other,
    )


def _homogeneity(
    ref_counts: ArrayLike, cur_counts: ArrayLike, *, min_expected: float | None, g_test: bool
) -> TestResult:
    if min_expected is None:
        ref, cur = check_count_pair("ref_counts", ref_counts, "cur_counts", cur_counts)
        keep = (ref + cur) > 0
        ref, cur = ref[keep], cur[keep]
    else:
        pooled = pool_sparse_categories(ref_counts, cur_counts, min_expected=min_expected)
        ref, cur = pooled.ref, pooled.cur
    n_ref, n_cur = float(ref.sum()), float(cur.sum())
    name = "g_test" if g_test else "chi2"
    dof = ref.size - 1
    if dof == 0:
        return TestResult(0.0, 1.0, name, n_ref=n_ref, n_cur=n_cur, dof=0)
    observed = np.vstack((ref, cur))
    col = ref + cur
    expected = np.vstack((col * (n_ref / (n_ref + n_cur)), col * (n_cur / (n_ref + n_cur))))
    if g_test:
        pos = observed > 0
        stat = 2.0 * float(np.sum(observed[pos] * np.log(observed[pos] / expected[pos])))
    else:
        stat = float(np.sum((observed - expected) ** 2 / expected))
    stat = max(stat, 0.0)
    p = float(_sps.chi2.sf(stat, dof))
    return TestResult(stat, p, name, n_ref=n_ref, n_cur=n_cur, dof=dof)


@validate_params({"min_expected": [POSITIVE, None]})
def chi2_homogeneity(
    ref_counts: ArrayLike, cur_counts: ArrayLike, *, min_expected: float | None = 5.0
) -> TestResult:
    """Pearson chi-squared test that two count vectors share one category distribution.

    Sparse categories are pooled first (``min_expected``; ``None`` turns pooling off and
    only drops categories empty on both sides). ``dof`` is the number of pooled columns - 1.

    >>> r = chi2_homogeneity([120, 80, 50], [100, 100, 50])
    >>> round(r.statistic, 6), r.dof
    (4.040404, 2)
    """
    return _homogeneity(ref_counts, cur_counts, min_expected=min_expected, g_test=False)


@validate_params({"min_expected": [POSITIVE, None]})
def g_test_homogeneity(
    ref_counts: ArrayLike, cur_counts: ArrayLike, *, min_expected: float | None = 5.0
) -> TestResult:
    """Likelihood-ratio (G) test of homogeneity; same pooling as :func:`chi2_homogeneity`.

    >>> r = g_test_homogeneity([120, 80, 50], [100, 100, 50])
    >>> round(r.statistic, 6)
    4.047512
    """
    return _homogeneity(ref_counts, cur_counts, min_expected=min_expected, g_test=True)
