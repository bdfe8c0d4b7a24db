"""Categorical (and boolean) drift methods.

The test-based methods judge two effect sizes, each with its own threshold:

- ``total_variation``: the share of rows that would have to change category (0.1);
- ``category_psi``: the population stability index over the categories holding at least
  1 % of the rows on either side (the others pooled into one bin), threshold 0.2. PSI
  weighs each category's *relative* change by its share, so a category falling from
  10 % to 1 % counts (PSI 0.22) although only 9 % of rows moved (total variation 0.09 or
  less), while a rare category's wild ratio does not (0.1 % -> 0.01 %: PSI 0.002).
  Pooling the sub-1 % categories keeps its sampling noise small (about ``k / n_eff``
  for ``k`` kept categories) on columns with hundreds of categories.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from driftline import stats
from driftline.drift._methods import Measured, register_method
from driftline.drift._sides import CategoricalSide, Side, aligned_counts

__all__ = ["CATEGORY_PSI_MIN_SHARE", "category_psi"]

#: Categories below this share on both sides are pooled before the category PSI.
CATEGORY_PSI_MIN_SHARE: Final = 0.01


def category_psi(ref: NDArray[np.float64], cur: NDArray[np.float64]) -> float:
    """PSI over the categories with at least 1 % of either side's rows (rest pooled)."""
    p = ref / max(float(ref.sum()), 1.0)
    q = cur / max(float(cur.sum()), 1.0)
    kept = (p >= CATEGORY_PSI_MIN_SHARE) | (q >= CATEGORY_PSI_MIN_SHARE)
    if kept.all():
        return stats.psi(ref, cur)
    return stats.psi(np.append(ref[kept], ref[~kept].sum()), np.append(cur[kept], cur[~kept].sum()))


def _counts(ref: Side, cur: Side) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    assert isinstance(ref, CategoricalSide)
    assert isinstance(cur, CategoricalSide)
    _, r, c = aligned_counts(ref, cur)
    return r, c


def _judged(
    test: stats.TestResult | None, r: NDArray[np.float64], c: NDArray[np.float64]
) -> Measured:
    tv = stats.total_variation_distance(r, c)
    return Measured(
        statistic=tv if test is None else test.statistic,
        p_value=None if test is None else test.p_value,
        effect_size=tv,
        effect_name="total_variation",
        test=None if test is None else test.method,
        more_effects=(("category_psi", category_psi(r, c)),),
    )


@register_method("chi2", kinds=("categorical",), effect="total_variation", test=True)
def _chi2(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Chi-squared test of homogeneity (sparse categories pooled); effects: TV, category PSI."""
    r, c = _counts(ref, cur)
    return _judged(stats.chi2_homogeneity(r, c), r, c)


@register_method("g_test", kinds=("categorical",), effect="total_variation", test=True)
def _g_test(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Likelihood-ratio G test of homogeneity (same pooling); effects: TV, category PSI."""
    r, c = _counts(ref, cur)
    return _judged(stats.g_test_homogeneity(r, c), r, c)


@register_method("total_variation", kinds=("categorical",), effect="total_variation", test=False)
def _total_variation(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Total-variation distance and category PSI alone (no test)."""
    r, c = _counts(ref, cur)
    return _judged(None, r, c)
