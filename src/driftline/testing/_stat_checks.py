"""Conformance checks for statistics: run them on any distance or two-sample test.

Each check calls the statistic on inputs you give and raises ``AssertionError`` with a
message naming the property that failed; it returns ``None`` when all properties hold.
Properties: identical inputs give zero distance, symmetry (where the statistic is
symmetric), bounds, and invariance under row order (samples) or bin order (counts).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline.stats import TestResult

__all__ = ["check_count_distance", "check_sample_distance", "check_two_sample_test"]

CountDistance = Callable[[ArrayLike, ArrayLike], float]
SampleDistance = Callable[[ArrayLike, ArrayLike], float]
TwoSampleTest = Callable[[ArrayLike, ArrayLike], TestResult]


def _fail(name: str, prop: str, detail: str) -> NoReturn:
    raise AssertionError(f"{name}: {prop} does not hold: {detail}")


def _close(a: float, b: float, tol: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _name(fn: Callable[..., object]) -> str:
    return getattr(fn, "__name__", repr(fn))


def check_count_distance(
    distance: CountDistance,
    ref_counts: ArrayLike,
    cur_counts: ArrayLike,
    *,
    upper: float | None = 1.0,
    symmetric: bool = True,
    tol: float = 1e-9,
    seed: int = 0,
) -> None:
    """Check a distance over count vectors (e.g. ``psi``, ``jensen_shannon_divergence``).

    Zero on identical inputs (and on the same distribution at another scale), within
    ``[0, upper]`` (``upper=None``: only ``>= 0``), symmetric if ``symmetric``, unchanged
    when the bins are reordered the same way on both sides.

    >>> from driftline.stats import hellinger_distance
    >>> check_count_distance(hellinger_distance, [5, 3, 0, 2], [1, 4, 4, 1])
    """
    name = _name(distance)
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    for label, vec in (("ref_counts", r), ("cur_counts", c)):
        for other in (vec, vec * 3.0):
            d0 = float(distance(vec, other))
            if not _close(d0, 0.0, tol):
                _fail(name, "zero on identical inputs", f"got {d0!r} for {label}")
    d = float(distance(r, c))
    if math.isnan(d) or d < -tol or (upper is not None and d > upper + tol):
        _fail(name, "bounds", f"{d!r} is outside [0, {upper}]")
    if symmetric:
        d_swapped = float(distance(c, r))
        if not _close(d, d_swapped, tol):
            _fail(name, "symmetry", f"d(ref, cur)={d!r} but d(cur, ref)={d_swapped!r}")
    perm = np.random.default_rng(seed).permutation(r.size)
    d_perm = float(distance(r[perm], c[perm]))
    if not _close(d, d_perm, tol):
        _fail(name, "invariance under bin order", f"{d!r} became {d_perm!r}")


def _shuffled(x: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    return np.asarray(x[rng.permutation(x.size)], dtype=np.float64)


def check_sample_distance(
    distance: SampleDistance,
    ref: ArrayLike,
    cur: ArrayLike,
    *,
    upper: float | None = None,
    symmetric: bool = True,
    tol: float = 1e-9,
    seed: int = 0,
) -> None:
    """Check a distance between two samples (e.g. ``wasserstein_distance``).

    Zero on identical samples, ``>= 0`` (and ``<= upper`` if given), symmetric if
    ``symmetric``, unchanged when the rows of either sample are shuffled.

    >>> import numpy as np
    >>> from driftline.stats import wasserstein_distance
    >>> rng = np.random.default_rng(0)
    >>> check_sample_distance(wasserstein_distance, rng.normal(size=50), rng.normal(size=70))
    """
    name = _name(distance)
    a = np.asarray(ref, dtype=np.float64)
    b = np.asarray(cur, dtype=np.float64)
    rng = np.random.default_rng(seed)
    for label, x in (("ref", a), ("cur", b)):
        d0 = float(distance(x, _shuffled(x, rng)))
        if not _close(d0, 0.0, tol):
            _fail(name, "zero on identical inputs", f"got {d0!r} for {label}")
    d = float(distance(a, b))
    if math.isnan(d) or d < -tol or (upper is not None and d > upper + tol):
        _fail(name, "bounds", f"{d!r} is outside [0, {upper}]")
    if symmetric:
        d_swapped = float(distance(b, a))
        if not _close(d, d_swapped, tol):
            _fail(name, "symmetry", f"d(ref, cur)={d!r} but d(cur, ref)={d_swapped!r}")
    d_perm = float(distance(_shuffled(a, rng), _shuffled(b, rng)))
    if not _close(d, d_perm, tol):
        _fail(name, "invariance under row order", f"{d!r} became {d_perm!r}")


def check_two_sample_test(
    test: TwoSampleTest,
    ref: ArrayLike,
    cur: ArrayLike,
    *,
    symmetric: bool = True,
    zero_on_identical: bool = False,
    tol: float = 1e-9,
    seed: int = 0,
) -> None:
    """Check a two-sample test returning :class:`~driftline.stats.TestResult`.

    The statistic is finite, the p-value lies in ``[0, 1]`` and inside the result's
    ``p_value_bounds``; shuffling the rows of either sample changes nothing; swapping the
    samples changes nothing if ``symmetric``; comparing a sample with itself gives
    statistic 0 and p-value 1 if ``zero_on_identical`` (true for KS, not for CvM or
    Anderson–Darling, whose statistics are centred differently).

    >>> import numpy as np
    >>> from driftline.stats import ks_2samp
    >>> rng = np.random.default_rng(0)
    >>> check_two_sample_test(ks_2samp, rng.normal(size=40), rng.normal(size=60),
    ...                       zero_on_identical=True)
    """
    name = _name(test)
    a = np.asarray(ref, dtype=np.float64)
    b = np.asarray(cur, dtype=np.float64)
    rng = np.random.default_rng(seed)
    res: object = test(a, b)
    if not isinstance(res, TestResult):
        _fail(name, "result type", f"expected TestResult, got {type(res).__name__}")
    if not math.isfinite(res.statistic):
        _fail(name, "finite statistic", f"got {res.statistic!r}")
    lo, hi = res.p_value_bounds
    if not (0.0 <= lo <= res.p_value <= hi <= 1.0):
        _fail(name, "p-value bounds", f"{res.p_value!r} is outside [{lo}, {hi}]")
    shuffled = test(_shuffled(a, rng), _shuffled(b, rng))
    for field in ("statistic", "p_value"):
        x, y = getattr(res, field), getattr(shuffled, field)
        if not _close(x, y, tol):
            _fail(name, f"invariance of {field} under row order", f"{x!r} became {y!r}")
    if symmetric:
        swapped = test(b, a)
        for field in ("statistic", "p_value"):
            x, y = getattr(res, field), getattr(swapped, field)
            if not _close(x, y, tol):
                _fail(name, f"symmetry of {field}", f"{x!r} with (ref, cur), {y!r} swapped")
    if zero_on_identical:
        same = test(a, _shuffled(a, rng))
        if not (_close(same.statistic, 0.0, tol) and _close(same.p_value, 1.0, tol)):
            _fail(
                name,
                "zero on identical inputs",
                f"statistic {same.statistic!r}, p-value {same.p_value!r}",
            )
