"""Two-sample Kolmogorov–Smirnov test from raw samples, sorted samples, CDFs or weighted points.

The statistic is ``D = sup_x |F_ref(x) - F_cur(x)|``. It costs one sort of each side
(skipped when the caller passes sorted arrays, e.g. a reference sorted once at fit time)
plus an exact, vectorized search whose cost is a small fraction of a sort
(:mod:`driftline.stats._ks_statistic`). p-values: :mod:`driftline.stats._ks_pvalue`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import Options, validate_params
from driftline.exceptions import DataError
from driftline.stats._ks_pvalue import (
    ks_asymp_pvalue,
    ks_exact_pvalue,
    resolve_ks_method,
)
from driftline.stats._ks_statistic import last_of_runs, sup_diff_sorted
from driftline.stats._ks_ties import (
    EXACT_SWITCH,
    MC_MAX_BLOCKS,
    MC_SWITCH,
    ks_ties_exact_pvalue,
    ks_ties_mc_pvalue,
    tie_blocks,
)
from driftline.stats._result import TestResult
from driftline.stats._validation import (
    as_counts,
    as_probability_grid,
    as_sample,
    check_nonnegative,
    check_positive,
)

__all__ = [
    "ks_2samp",
    "ks_from_cdfs",
    "ks_from_sorted",
    "ks_from_statistic",
    "ks_from_weighted",
    "ks_pvalue",
    "ks_pvalue_interval",
    "ks_statistic_error_bound",
]

KSMethod = Literal["auto", "exact", "asymp"]
Ties = Literal["ignore", "conditional"]
_METHODS: tuple[KSMethod, ...] = ("auto", "exact", "asymp")
_TIES: tuple[Ties, ...] = ("ignore", "conditional")


def _pvalue(
    d: float,
    n_ref: float,
    n_cur: float,
    method: KSMethod,
    blocks: NDArray[np.int64] | None = None,
) -> tuple[float, str]:
    resolved = resolve_ks_method(method, n_ref, n_cur)
    if resolved == "exact":
        p, _ = ks_exact_pvalue(d, int(n_ref), int(n_cur))
        if blocks is None or p <= EXACT_SWITCH:
            return p, "ks_exact"
        return ks_ties_exact_pvalue(d, int(n_ref), int(n_cur), blocks), "ks_exact_ties"
    p = ks_asymp_pvalue(d, n_ref, n_cur)
    integral = float(n_ref).is_integer() and float(n_cur).is_integer()
    if blocks is None or not integral or p <= MC_SWITCH or blocks.size > MC_MAX_BLOCKS:
        return p, "ks_asymp"
    return ks_ties_mc_pvalue(d, int(n_ref), int(n_cur), blocks), "ks_permutation_ties"


def _as_blocks(tie_counts: ArrayLike, n_ref: float, n_cur: float) -> NDArray[np.int64] | None:
    counts = as_counts("tie_counts", tie_counts)
    if (
        counts.size == 0
        or bool((counts <= 0).any())
        or not bool((counts == np.round(counts)).all())
    ):
        raise DataError(
            "'tie_counts' must be positive whole numbers (sizes of runs of equal values)."
        )
    if float(counts.sum()) != float(n_ref) + float(n_cur):
        raise DataError(
            f"'tie_counts' must sum to n_ref + n_cur = {n_ref + n_cur:g}; they sum to "
            f"{counts.sum():g}."
        )
    blocks = counts.astype(np.int64)
    return None if blocks.size == blocks.sum() else blocks  # no ties: the classical p-value


@validate_params({"method": [Options(*_METHODS)]})
def ks_pvalue(
    statistic: float,
    n_ref: float,
    n_cur: float,
    *,
    method: KSMethod = "auto",
    tie_counts: ArrayLike | None = None,
) -> float:
    """Two-sided p-value of a KS statistic for (effective) sample sizes ``n_ref``, ``n_cur``.

    ``"exact"`` counts lattice paths (integer sizes only; non-integer sizes fall back to
    ``"asymp"``), ``"asymp"`` uses ``kstwo`` at ``n_eff = n_ref n_cur / (n_ref + n_cur)``
    like scipy, ``"auto"`` is exact when both sizes are integers <= 10,000.

    ``tie_counts`` (the sizes of the runs of equal values in the pooled sorted sample, in
    value order) makes the p-value conditional on the ties (the permutation distribution,
    as R's ``psmirnov(..., obs=)``): exact lattice paths checked only where the pooled
    value changes, or above the exact sizes a seeded Monte Carlo estimate of it. Without
    ties it changes nothing. See ``docs/stats.md``.

    >>> f"{ks_pvalue(0.1, 1000, 1000):.3g}"
    '8.97e-05'
    >>> f"{ks_pvalue(0.2, 20, 20):.3g}", f"{ks_pvalue(0.2, 20, 20, tie_counts=[10, 20, 10]):.3g}"
    ('0.832', '0.458')
    """
    d = check_nonnegative("ks_pvalue", "statistic", statistic)
    if d > 1:
        raise DataError(f"A KS statistic lies in [0, 1]; got {statistic!r}.")
    n1 = check_positive("ks_pvalue", "n_ref", n_ref)
    n2 = check_positive("ks_pvalue", "n_cur", n_cur)
    blocks = None if tie_counts is None else _as_blocks(tie_counts, n1, n2)
    return _pvalue(d, n1, n2, method, blocks)[0]


@validate_params({"method": [Options(*_METHODS)]})
def ks_from_statistic(
    statistic: float,
    n_ref: float,
    n_cur: float,
    *,
    method: KSMethod = "auto",
    tie_counts: ArrayLike | None = None,
) -> TestResult:
    """The KS test result for a statistic computed elsewhere (buckets, SQL, a sketch).

    Same p-value as :func:`ks_pvalue`; ``method`` of the result says how it was computed
    (``"ks_exact"``, ``"ks_asymp"``, ``"ks_exact_ties"``, ``"ks_permutation_ties"``).

    >>> ks_from_statistic(0.2, 20, 20, tie_counts=[10, 20, 10]).method
    'ks_exact_ties'
    """
    d = check_nonnegative("ks_from_statistic", "statistic", statistic)
    if d > 1:
        raise DataError(f"A KS statistic lies in [0, 1]; got {statistic!r}.")
    n1 = check_positive("ks_from_statistic", "n_ref", n_ref)
    n2 = check_positive("ks_from_statistic", "n_cur", n_cur)
    blocks = None if tie_counts is None else _as_blocks(tie_counts, n1, n2)
    p, name = _pvalue(d, n1, n2, method, blocks)
    return TestResult(statistic=d, p_value=p, method=name, n_ref=n1, n_cur=n2)


def _sorted_test(
    a: NDArray[np.float64], b: NDArray[np.float64], method: KSMethod, ties: Ties
) -> TestResult:
    d = sup_diff_sorted(a, b)
    blocks = None
    if ties == "conditional":
        found = tie_blocks(a, b)
        blocks = found if found.size < a.size + b.size else None
    p, name = _pvalue(d, a.size, b.size, method, blocks)
    return TestResult(statistic=d, p_value=p, method=name, n_ref=a.size, n_cur=b.size)


@validate_params({"method": [Options(*_METHODS)], "ties": [Options(*_TIES)]})
def ks_from_sorted(
    ref_sorted: ArrayLike,
    cur_sorted: ArrayLike,
    *,
    method: KSMethod = "auto",
    ties: Ties = "ignore",
    validate: bool = True,
) -> TestResult:
    """KS test on samples that are already sorted ascending (no sort is done).

    Use it to sort a reference once and compare many current windows against it.
    Unsorted input gives a wrong answer, so a cheap O(n) check raises on it;
    ``validate=False`` skips that check and the finiteness check, for callers that
    built the arrays themselves (float64, finite, sorted, non-empty). ``ties`` as in
    :func:`ks_2samp`.

    >>> import numpy as np
    >>> ks_from_sorted(np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.5])).statistic
    0.3333333333333333
    """
    if validate:
        a = as_sample("ref_sorted", ref_sorted)
        b = as_sample("cur_sorted", cur_sorted)
        for name, arr in (("ref_sorted", a), ("cur_sorted", b)):
            if arr.size > 1 and bool((arr[1:] < arr[:-1]).any()):
                raise DataError(f"{name!r} must be sorted ascending; use ks_2samp for raw data.")
    else:
        a = np.asarray(ref_sorted, dtype=np.float64)
        b = np.asarray(cur_sorted, dtype=np.float64)
    return _sorted_test(a, b, method, ties)


@validate_params({"method": [Options(*_METHODS)], "ties": [Options(*_TIES)]})
def ks_2samp(
    ref: ArrayLike, cur: ArrayLike, *, method: KSMethod = "auto", ties: Ties = "ignore"
) -> TestResult:
    """Two-sided two-sample Kolmogorov–Smirnov test (matches ``scipy.stats.ks_2samp``).

    ``method`` chooses the p-value: ``"exact"`` (lattice-path count), ``"asymp"``
    (``kstwo`` at the effective size) or ``"auto"`` (exact when both sizes <= 10,000, as in
    scipy). Values must be finite; drop missing values first.

    ``ties="ignore"`` (scipy's behaviour) uses the null distribution of continuous data,
    which is conservative when values repeat. ``ties="conditional"`` uses the exact
    distribution given the pooled values (permutation distribution; lattice paths for
    exact sizes, ``method`` ``"ks_exact_ties"``; a seeded Monte Carlo estimate above them,
    ``"ks_permutation_ties"``): same statistic, a smaller and still valid p-value on
    discrete data, the same p-value without ties.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> r = ks_2samp(rng.normal(size=500), rng.normal(0.5, size=500))
    >>> r.method, r.p_value < 1e-6
    ('ks_exact', True)
    >>> ref, cur = rng.poisson(2.0, 300), rng.poisson(2.3, 300)
    >>> ks_2samp(ref, cur).p_value > ks_2samp(ref, cur, ties="conditional").p_value
    True
    """
    a = np.sort(as_sample("ref", ref))
    b = np.sort(as_sample("cur", cur))
    return _sorted_test(a, b, method, ties)


@validate_params({"method": [Options(*_METHODS)]})
def ks_from_cdfs(
    cdf_ref: ArrayLike,
    cdf_cur: ArrayLike,
    n_ref: float,
    n_cur: float,
    *,
    method: KSMethod = "auto",
) -> TestResult:
    """KS test from two CDFs evaluated on one common sorted grid (e.g. from quantile sketches).

    ``D`` is ``max |cdf_ref - cdf_cur|`` over the grid. It equals the sup over all x when
    the grid holds every point where either CDF jumps (e.g. the union of both sketches'
    items); a coarser grid can only under-estimate ``D``. ``n_ref``/``n_cur`` are the
    (effective) sample sizes behind each CDF and set the p-value.

    >>> r = ks_from_cdfs([0.1, 0.5, 1.0], [0.0, 0.3, 1.0], 1000, 1000)
    >>> r.statistic
    0.2
    """
    f1 = as_probability_grid("cdf_ref", cdf_ref)
    f2 = as_probability_grid("cdf_cur", cdf_cur)
    if f1.shape != f2.shape:
        raise DataError(
            f"'cdf_ref' and 'cdf_cur' must be evaluated on the same grid; got {f1.size} and "
            f"{f2.size} points."
        )
    n1 = check_positive("ks_from_cdfs", "n_ref", n_ref)
    n2 = check_positive("ks_from_cdfs", "n_cur", n_cur)
    d = float(min(np.max(np.abs(f1 - f2)), 1.0))
    p, name = _pvalue(d, n1, n2, method)
    return TestResult(statistic=d, p_value=p, method=name, n_ref=n1, n_cur=n2)


def _weighted_ecdf(
    name: str, values: ArrayLike, weights: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    v = as_sample(f"values_{name}", values)
    w = as_counts(f"weights_{name}", weights)
    if v.shape != w.shape:
        raise DataError(
            f"'values_{name}' and 'weights_{name}' must have the same length; got {v.size} "
            f"and {w.size}."
        )
    order = np.argsort(v, kind="stable")
    v = v[order]
    cw = np.cumsum(w[order])
    total = float(cw[-1])
    last = last_of_runs(v)
    # distinct values and the CDF just after each, with a leading 0 for "below all"
    cdf = np.concatenate(([0.0], cw[last] / total))
    return v[last], cdf, total


@validate_params({"method": [Options(*_METHODS)]})
def ks_from_weighted(
    values_ref: ArrayLike,
    weights_ref: ArrayLike,
    values_cur: ArrayLike,
    weights_cur: ArrayLike,
    *,
    n_ref: float | None = None,
    n_cur: float | None = None,
    method: KSMethod = "auto",
) -> TestResult:
    """KS test between two weighted samples (e.g. sketch items with their weights).

    The CDFs are the weighted ECDFs; ``D`` is their exact sup difference. The p-value uses
    ``n_ref``/``n_cur`` if given (pass the number of rows a sketch summarizes), otherwise
    the total weight of each side, which is right when weights are counts of rows.

    >>> r = ks_from_weighted([1.0, 2.0], [3, 1], [1.0, 2.0], [1, 3])
    >>> r.statistic, r.n_ref
    (0.5, 4.0)
    """
    x1, f1, w1 = _weighted_ecdf("ref", values_ref, weights_ref)
    x2, f2, w2 = _weighted_ecdf("cur", values_cur, weights_cur)
    # at each side's jump points: own CDF directly, the other's by search
    diff1 = f1[1:] - f2[np.searchsorted(x2, x1, side="right")]
    diff2 = f1[np.searchsorted(x1, x2, side="right")] - f2[1:]
    d = float(min(max(np.abs(diff1).max(), np.abs(diff2).max()), 1.0))
    n1 = check_positive("ks_from_weighted", "n_ref", w1 if n_ref is None else n_ref)
    n2 = check_positive("ks_from_weighted", "n_cur", w2 if n_cur is None else n_cur)
    p, name = _pvalue(d, n1, n2, method)
    return TestResult(statistic=d, p_value=p, method=name, n_ref=n1, n_cur=n2)


def ks_statistic_error_bound(eps_ref: float, eps_cur: float) -> float:
    """Worst-case ``|D_sketch - D|`` when each side's CDF has rank error at most ``eps``.

    If ``sup_x |F̂_ref - F_ref| <= eps_ref`` and ``sup_x |F̂_cur - F_cur| <= eps_cur``
    (normalized rank errors of the two quantile sketches), the triangle inequality for the
    sup norm gives ``|D_sketch - D| <= eps_ref + eps_cur`` (capped at 1), where
    ``D_sketch`` is the sup over all x, i.e. over the union of both sketches' items.

    >>> ks_statistic_error_bound(0.01, 0.005)
    0.015
    """
    e1 = check_nonnegative("ks_statistic_error_bound", "eps_ref", eps_ref)
    e2 = check_nonnegative("ks_statistic_error_bound", "eps_cur", eps_cur)
    return min(e1 + e2, 1.0)


@validate_params({"method": [Options(*_METHODS)]})
def ks_pvalue_interval(
    statistic: float,
    eps_ref: float,
    eps_cur: float,
    n_ref: float,
    n_cur: float,
    *,
    method: KSMethod = "auto",
) -> tuple[float, float]:
    """The range of p-values consistent with a sketch-based ``statistic`` and its error bound.

    Returns ``(p(D + e), p(D - e))`` with ``e = eps_ref + eps_cur``: the exact-data
    p-value lies in this interval whenever the rank-error guarantees hold.

    >>> lo, hi = ks_pvalue_interval(0.05, 0.005, 0.005, 10_000, 10_000, method="asymp")
    >>> lo < ks_pvalue(0.05, 10_000, 10_000, method="asymp") < hi
    True
    """
    e = ks_statistic_error_bound(eps_ref, eps_cur)
    d = check_nonnegative("ks_pvalue_interval", "statistic", statistic)
    low = ks_pvalue(min(d + e, 1.0), n_ref, n_cur, method=method)
    high = ks_pvalue(max(d - e, 0.0), n_ref, n_cur, method=method)
    return low, high
