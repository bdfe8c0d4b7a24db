"""Effect sizes: standardized mean difference, sd ratio, Cramér's V, share differences.

A p-value says whether a change is detectable; an effect size says whether it matters.
Mean shifts are expressed in units of the *reference* sd by default (Glass's delta), so
the unit does not move when the current window's spread changes.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import Options, validate_params
from driftline.stats._chi2 import chi2_homogeneity
from driftline.stats._validation import (
    as_float,
    as_sample,
    check_count_pair,
    check_nonnegative,
    check_positive,
)

__all__ = [
    "cramers_v",
    "sd_ratio",
    "sd_ratio_from_moments",
    "share_differences",
    "smd_from_moments",
    "standardized_mean_difference",
]

SMDKind = Literal["glass", "cohen"]
_KINDS: tuple[SMDKind, ...] = ("glass", "cohen")


def _ratio(num: float, den: float) -> float:
    if den > 0:
        return num / den
    return 0.0 if num == 0 else math.copysign(math.inf, num)


@validate_params({"kind": [Options(*_KINDS)]})
def smd_from_moments(
    mean_ref: float,
    sd_ref: float,
    n_ref: float,
    mean_cur: float,
    sd_cur: float,
    n_cur: float,
    *,
    kind: SMDKind = "glass",
) -> float:
    """Standardized mean difference ``(mean_cur - mean_ref) / s`` from summary statistics.

    ``kind="glass"`` (Glass's delta) uses ``s = sd_ref``; ``kind="cohen"`` (Cohen's d) the
    pooled sd ``sqrt(((n_ref-1) sd_ref² + (n_cur-1) sd_cur²) / (n_ref + n_cur - 2))``.
    With ``s = 0`` the result is 0 for equal means and ``±inf`` otherwise.

    >>> smd_from_moments(10.0, 2.0, 100, 10.6, 2.0, 100)
    0.3
    """
    m1, m2 = (
        as_float("smd_from_moments", "mean_ref", mean_ref),
        as_float("smd_from_moments", "mean_cur", mean_cur),
    )
    s1, s2 = (
        check_nonnegative("smd_from_moments", "sd_ref", sd_ref),
        check_nonnegative("smd_from_moments", "sd_cur", sd_cur),
    )
    n1, n2 = (
        check_positive("smd_from_moments", "n_ref", n_ref),
        check_positive("smd_from_moments", "n_cur", n_cur),
    )
    if kind == "glass":
        scale = s1
    else:
        dof = n1 + n2 - 2.0
        scale = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / dof) if dof > 0 else 0.0
    return _ratio(m2 - m1, scale)


@validate_params({"kind": [Options(*_KINDS)]})
def standardized_mean_difference(
    ref: ArrayLike, cur: ArrayLike, *, kind: SMDKind = "glass"
) -> float:
    """Standardized mean difference of two samples (sd with ``ddof=1``); see
    :func:`smd_from_moments`.

    >>> round(standardized_mean_difference([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]), 12)
    1.0
    """
    a = as_sample("ref", ref, min_size=2)
    b = as_sample("cur", cur, min_size=2)
    return smd_from_moments(
        float(a.mean()),
        float(a.std(ddof=1)),
        a.size,
        float(b.mean()),
        float(b.std(ddof=1)),
        b.size,
        kind=kind,
    )


def sd_ratio_from_moments(sd_ref: float, sd_cur: float) -> float:
    """``sd_cur / sd_ref`` (1 means no change in spread; ``inf`` if only the reference is constant).

    >>> sd_ratio_from_moments(2.0, 3.0)
    1.5
    """
    s1 = check_nonnegative("sd_ratio_from_moments", "sd_ref", sd_ref)
    s2 = check_nonnegative("sd_ratio_from_moments", "sd_cur", sd_cur)
    if s1 == 0 and s2 == 0:
        return 1.0
    return _ratio(s2, s1)


def sd_ratio(ref: ArrayLike, cur: ArrayLike) -> float:
    """Ratio of sample standard deviations ``sd(cur) / sd(ref)`` (``ddof=1``).

    >>> sd_ratio([0.0, 2.0], [0.0, 3.0])
    1.5
    """
    a = as_sample("ref", ref, min_size=2)
    b = as_sample("cur", cur, min_size=2)
    return sd_ratio_from_moments(float(a.std(ddof=1)), float(b.std(ddof=1)))


def cramers_v(ref_counts: ArrayLike, cur_counts: ArrayLike) -> float:
    """Cramér's V of the 2 x k table (reference, current) x category, in [0, 1].

    ``sqrt(chi2 / N)`` for a two-row table, with the unpooled, uncorrected chi-squared
    (categories empty on both sides are ignored). 0 when only one category is present.

    >>> round(cramers_v([100, 0], [0, 100]), 12)
    1.0
    """
    ref, cur = check_count_pair("ref_counts", ref_counts, "cur_counts", cur_counts)
    chi2 = chi2_homogeneity(ref, cur, min_expected=None).statistic
    return float(min(math.sqrt(chi2 / float(ref.sum() + cur.sum())), 1.0))


def share_differences(ref_counts: ArrayLike, cur_counts: ArrayLike) -> NDArray[np.float64]:
    """Per-category difference in shares, ``share_cur - share_ref`` (sums to 0).

    >>> share_differences([50, 50], [25, 75]).tolist()
    [-0.25, 0.25]
    """
    ref, cur = check_count_pair("ref_counts", ref_counts, "cur_counts", cur_counts)
    return np.asarray(cur / cur.sum() - ref / ref.sum(), dtype=np.float64)
