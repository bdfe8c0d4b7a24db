"""Vectorized bootstrap over sufficient statistics.

Most metrics are functions of a few sums over rows (a confusion matrix is a sum of
one-hot rows; MAE is ``sum |e| / sum 1``). Resampling rows then only changes the sums,
so a bootstrap replicate is ``stat(counts @ terms)``. When rows fall into few distinct
groups (confusion-matrix cells) the resampled group counts are drawn from a multinomial,
which is exact for iid row resampling and costs O(n_resamples) whatever the row count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from driftline._params import Options, check
from driftline.exceptions import DataError
from driftline.metrics._intervals import bca_interval, percentile_interval
from driftline.metrics._validation import (
    FloatArray,
    IntArray,
    RandomState,
    as_rng,
    check_confidence,
    check_int,
)

__all__ = [
    "BootstrapResult",
    "bootstrap_confusion_matrices",
    "bootstrap_sums",
    "resample_count_blocks",
]

StatFn = Callable[[FloatArray], FloatArray]
BootstrapMethod = Literal["percentile", "bca"]
_BLOCK_ELEMENTS = 1 << 21


@dataclass(frozen=True)
class BootstrapResult:
    """Point value, interval and the bootstrap replicates of a statistic."""

    value: float
    ci_low: float
    ci_high: float
    replicates: FloatArray
    method: str


def resample_count_blocks(
    n: int, n_resamples: int, rng: np.random.Generator, *, block_elements: int = _BLOCK_ELEMENTS
) -> Iterator[FloatArray]:
    """Yield ``(b, n)`` matrices of bootstrap counts (how often each row is drawn).

    Rows of all blocks together number ``n_resamples``; memory stays near
    ``block_elements`` floats whatever ``n``.

    >>> blocks = list(resample_count_blocks(5, 3, np.random.default_rng(0)))
    >>> [b.sum(axis=1).tolist() for b in blocks]
    [[5.0, 5.0, 5.0]]
    """
    per = max(1, block_elements // max(n, 1))
    done = 0
    while done < n_resamples:
        b = min(per, n_resamples - done)
        idx = rng.integers(0, n, size=(b, n))
        idx += (np.arange(b) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        done += b


def resampled_sums(
    terms: Any, counts: IntArray | None, n_resamples: int, rng: np.random.Generator
) -> FloatArray:
    if counts is not None:
        total = int(counts.sum())
        draws = rng.multinomial(total, counts / total, size=n_resamples).astype(np.float64)
        return np.asarray(draws @ terms, dtype=np.float64)
    return np.concatenate(
        [
            np.asarray(w @ terms, dtype=np.float64)
            for w in resample_count_blocks(terms.shape[0], n_resamples, rng)
        ],
        axis=0,
    )


def bootstrap_sums(
    terms: ArrayLike | sparse.sparray,
    stat: StatFn,
    *,
    counts: ArrayLike | None = None,
    jackknife: ArrayLike | None = None,
    n_resamples: int = 1000,
    method: BootstrapMethod = "percentile",
    confidence: float = 0.95,
    random_state: RandomState = None,
) -> BootstrapResult:
    """Bootstrap a statistic that is a function of column sums of per-row ``terms``.

    ``terms`` is ``(m, k)``; ``stat`` maps sums of shape ``(..., k)`` to values of shape
    ``(...)``. With ``counts`` (length ``m``) row ``j`` stands for ``counts[j]`` identical
    rows and the resample is a multinomial over the ``m`` groups (exact, O(n_resamples)).
    ``method="bca"`` uses the exact leave-one-out jackknife ``stat(total - terms[j])``
    unless leave-one-out values are given as ``jackknife`` (one per row of ``terms``).

    >>> y = np.array([1.0, 2.0, 4.0, 8.0])
    >>> terms = np.column_stack([y, np.ones_like(y)])
    >>> r = bootstrap_sums(terms, lambda s: s[..., 0] / s[..., 1], random_state=0)
    >>> r.value, bool(r.ci_low < 3.75 < r.ci_high)
    (3.75, True)
    """
    check(None, "method", method, Options("percentile", "bca"))
    check_int("n_resamples", n_resamples, minimum=2)
    confidence = check_confidence(confidence)
    if sparse.issparse(terms):
        t: Any = sparse.csr_array(terms, dtype=np.float64)
    else:
        t = np.asarray(terms, dtype=np.float64)
        if t.ndim == 1:
            t = t[:, None]
    c = None if counts is None else np.asarray(counts, dtype=np.int64)
    total = np.asarray(t.sum(axis=0)).ravel() if c is None else np.asarray(c @ t).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(stat(total))
        reps = np.asarray(stat(resampled_sums(t, c, n_resamples, as_rng(random_state))))
        if method == "percentile":
            lo, hi = percentile_interval(reps, confidence=confidence)
        else:
            if jackknife is not None:
                jack = np.asarray(jackknife, dtype=np.float64)
            elif sparse.issparse(t):  # leave-one-out sums in row blocks: bounded memory
                step = max(1, _BLOCK_ELEMENTS // max(t.shape[1], 1))
                jack = np.concatenate(
                    [
                        np.asarray(stat(total[None, :] - t[i : i + step].toarray()))
                        for i in range(0, t.shape[0], step)
                    ]
                )
            else:
                jack = np.asarray(stat(total[None, :] - t))
            lo, hi = bca_interval(reps, value, jack, jackknife_counts=c, confidence=confidence)
    return BootstrapResult(value, lo, hi, reps, f"bootstrap-{method}")


def bootstrap_confusion_matrices(
    cm: ArrayLike, *, n_resamples: int = 1000, random_state: RandomState = None
) -> FloatArray:
    """Bootstrap replicates ``(n_resamples, K, K)`` of a confusion matrix of counts.

    Resampling the rows with replacement is the same as drawing the cell counts from a
    multinomial with the observed cell frequencies, which is what this does.

    >>> reps = bootstrap_confusion_matrices([[50, 5], [10, 35]], n_resamples=4, random_state=0)
    >>> reps.shape, reps.sum(axis=(1, 2)).tolist()
    ((4, 2, 2), [100.0, 100.0, 100.0, 100.0])
    """
    c = np.asarray(cm, dtype=np.int64)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or (c < 0).any() or c.sum() == 0:
        raise DataError(
            f"'cm' must be a square matrix of non-negative counts with a positive total. "
            f"Got shape {c.shape} and total {int(c.sum())}."
        )
    check_int("n_resamples", n_resamples, minimum=1)
    flat = c.ravel()
    draws = as_rng(random_state).multinomial(int(flat.sum()), flat / flat.sum(), size=n_resamples)
    return draws.reshape(n_resamples, *c.shape).astype(np.float64)
