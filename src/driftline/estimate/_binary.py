"""Expected binary metrics, and their sampling sd, under labels drawn from probabilities.

Given calibrated probabilities ``p`` and fixed predictions, the labels are
independent ``Y_i ~ Bernoulli(p_i)``. Every metric is a ratio ``N(Y) / D(Y)`` of
two functions of the labels. The estimate is the ratio of expectations
``E[N] / E[D]`` (exact for accuracy and precision, whose denominators are fixed),
and the sd comes from the delta method: linearize ``N / D`` around the
expectations, ``Var ≈ Σ_i p_i (1 - p_i) c_i²`` with ``c_i = (∂N/∂Y_i - R ∂D/∂Y_i) / E[D]``.

ROC AUC uses the Mann–Whitney form ``U = Σ_i Y_i r_i - n1 (n1 + 1) / 2`` with
mid-ranks ``r_i`` of the scores and ``n1 = Σ Y_i``; ``E[U]`` equals
``Σ_{i≠j} p_i (1 - p_j) [s_i > s_j]`` (ties count 1/2) and
``E[n1 n0] = Σ_{i≠j} p_i (1 - p_j)``, so the estimate is the ratio of those
expectations, computed in O(n log n) (one sort for the ranks).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "binary_confusion",
    "binary_expected",
    "binary_realized",
    "chunk_orders",
    "dot",
    "midranks",
    "safe_div",
    "sorted_midranks",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def dot(a: FloatArray, b: FloatArray) -> float:
    """Inner product of two vectors without BLAS (whose threads spin on a busy machine)."""
    return float(np.einsum("i,i->", a, b))


def safe_div(a: float, b: float, *, empty: float = float("nan")) -> float:
    """``a / b``, or ``empty`` when ``b`` is zero."""
    return a / b if b != 0 else empty


def sorted_midranks(s: FloatArray) -> FloatArray:
    """Mid-ranks of an already sorted array (ties share their mean rank).

    >>> sorted_midranks(np.array([0.1, 0.2, 0.3, 0.3])).tolist()
    [1.0, 2.0, 3.5, 3.5]
    """
    n = s.size
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    return np.repeat((starts + ends + 1) / 2.0, ends - starts)


def midranks(score: FloatArray, order: npt.NDArray[np.intp] | None = None) -> FloatArray:
    """Ranks 1..n of ``score``, ties sharing their mean rank (``scipy.stats.rankdata``).

    ``order`` (optional) is ``argsort(score)``, when already known.

    >>> midranks(np.array([0.3, 0.1, 0.3, 0.2])).tolist()
    [3.5, 1.0, 3.5, 2.0]
    """
    if order is None:
        order = np.argsort(score)
    ranks = np.empty(score.size, dtype=np.float64)
    ranks[order] = sorted_midranks(score[order])
    return ranks


def expected_auc(
    p: FloatArray, score: FloatArray, ranks: FloatArray | None = None
) -> tuple[float, float]:
    """Expected ROC AUC of ``score`` under ``Y ~ Bernoulli(p)`` and its delta-method sd.

    >>> p = np.array([0.1, 0.4, 0.35, 0.8])
    >>> round(expected_auc(p, p)[0], 6)
    0.84019
    """
    n = p.size
    r = midranks(score) if ranks is None else ranks
    v = p * (1.0 - p)
    m = float(p.sum())
    vs = float(v.sum())
    e_u = dot(p, r) - (m * m + vs + m) / 2.0
    e_d = n * m - m * m - vs
    if e_d <= 0.0:
        return float("nan"), float("nan")
    auc = e_u / e_d
    c = ((r - m - 0.5) - auc * (n - 2.0 * m)) / e_d
    return auc, float(np.sqrt(dot(v, c * c)))


def binary_confusion(p: FloatArray, pred: BoolArray) -> dict[str, tuple[float, float]]:
    """Expected TP, FP, FN, TN and their sds."""
    v = p * (1.0 - p)
    n = p.size
    a = pred.astype(np.float64)
    k = int(np.count_nonzero(pred))
    tp = dot(p, a)
    fn = float(p.sum()) - tp
    v1 = dot(v, a)
    sd1 = float(np.sqrt(v1))
    sd0 = float(np.sqrt(max(float(v.sum()) - v1, 0.0)))
    return {
        "tp": (tp, sd1),
        "fp": (k - tp, sd1),
        "fn": (fn, sd0),
        "tn": (n - k - fn, sd0),
    }


def binary_expected(
    p: FloatArray,
    pred: BoolArray,
    score: FloatArray,
    metrics: tuple[str, ...],
    *,
    ranks: FloatArray | None = None,
) -> dict[str, tuple[float, float]]:
    """``{metric: (expected value, sampling sd)}`` for one chunk (``ranks``: of ``score``).

    >>> p = np.full(1000, 0.8)
    >>> out = binary_expected(p, p > 0.5, p, ("accuracy", "precision", "recall"))
    >>> [round(v, 6) for v, _ in out.values()]
    [0.8, 0.8, 1.0]
    """
    n = p.size
    v = p * (1.0 - p)
    a = pred.astype(np.float64)
    k = float(np.count_nonzero(pred))
    m = float(p.sum())
    tp = dot(p, a)
    tn = (n - k) - (m - tp)
    v1 = dot(v, a)
    v0 = max(float(v.sum()) - v1, 0.0)
    out: dict[str, tuple[float, float]] = {}
    for name in metrics:
        if name == "accuracy":
            out[name] = ((tp + tn) / n, np.sqrt(v1 + v0) / n)
        elif name == "precision":
            # No predicted positives: precision is 0 for every label draw (scikit-learn's
            # zero_division=0), so the estimate is exact.
            out[name] = (safe_div(tp, k, empty=0.0), safe_div(np.sqrt(v1), k, empty=0.0))
        elif name == "recall":
            rec = safe_div(tp, m)
            out[name] = (rec, safe_div(np.sqrt(v1 * (1 - rec) ** 2 + v0 * rec**2), m))
        elif name == "specificity":
            neg = n - m
            spec = safe_div(tn, neg)
            out[name] = (spec, safe_div(np.sqrt(v1 * spec**2 + v0 * (1 - spec) ** 2), neg))
        elif name == "f1":
            den = k + m
            f1 = safe_div(2 * tp, den)
            out[name] = (f1, safe_div(np.sqrt(v1 * (2 - f1) ** 2 + v0 * f1**2), den))
        elif name == "roc_auc":
            out[name] = expected_auc(p, score, ranks)
    return {key: (float(a), float(b)) for key, (a, b) in out.items()}


def chunk_orders(
    order: npt.NDArray[np.intp], rows: Sequence[slice | npt.NDArray[np.intp]], n: int
) -> list[npt.NDArray[np.intp]]:
    """Per chunk, ``argsort`` of the chunk's scores, from the global ``order`` in O(n).

    A stable sort of the chunk ids taken in global score order (a radix sort for
    small integer ids) lists every chunk's rows in score order.

    >>> s = np.array([0.5, 0.1, 0.9, 0.3])
    >>> [o.tolist() for o in chunk_orders(np.argsort(s), [slice(0, 2), slice(2, 4)], 4)]
    [[1, 0], [1, 0]]
    """
    # 16-bit ids make numpy's stable sort a radix sort (O(n)).
    chunk_id: npt.NDArray[np.signedinteger[Any]] = np.full(
        n, -1, dtype=np.int16 if len(rows) < 2**15 - 1 else np.int64
    )
    local = np.empty(n, dtype=np.intp)
    for i, r in enumerate(rows):
        chunk_id[r] = i
        local[r] = np.arange(chunk_id[r].size)
    ids = chunk_id[order]
    by_chunk = order[np.argsort(ids, kind="stable")]
    sizes = np.bincount(ids[ids >= 0], minlength=len(rows))
    skip = int((ids < 0).sum())
    bounds = np.cumsum(np.concatenate([[skip], sizes]))
    return [local[by_chunk[a:b]] for a, b in itertools.pairwise(bounds)]


def binary_realized(
    y: BoolArray,
    pred: BoolArray,
    score: FloatArray,
    metrics: tuple[str, ...],
    *,
    order: npt.NDArray[np.intp] | None = None,
) -> dict[str, float]:
    """Realized metrics from labels (scikit-learn's definitions, ``zero_division=0``).

    ``order`` (optional) is ``argsort(score)``, when already known.

    >>> y = np.array([True, False, True, True])
    >>> binary_realized(y, y, y.astype(float), ("accuracy", "f1"))
    {'accuracy': 1.0, 'f1': 1.0}
    """
    n = y.size
    tp = float(np.count_nonzero(y & pred))
    fp = float(np.count_nonzero(~y & pred))
    fn = float(np.count_nonzero(y & ~pred))
    tn = n - tp - fp - fn
    out: dict[str, float] = {}
    for name in metrics:
        if name == "accuracy":
            out[name] = (tp + tn) / n
        elif name == "precision":
            out[name] = safe_div(tp, tp + fp, empty=0.0)
        elif name == "recall":
            out[name] = safe_div(tp, tp + fn, empty=0.0)
        elif name == "specificity":
            out[name] = safe_div(tn, tn + fp, empty=0.0)
        elif name == "f1":
            out[name] = safe_div(2 * tp, 2 * tp + fp + fn, empty=0.0)
        elif name == "roc_auc":
            n1 = tp + fn
            n0 = n - n1
            if n1 == 0 or n0 == 0:
                out[name] = float("nan")
            else:
                r = midranks(score, order)
                out[name] = (float(r[y].sum()) - n1 * (n1 + 1) / 2) / (n1 * n0)
    return out
