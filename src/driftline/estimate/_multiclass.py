"""Expected multiclass metrics (one-vs-rest, macro averages) under multinomial labels.

Each row's label is drawn from its calibrated class probabilities ``p_i·``.
Per class ``c`` the one-vs-rest metric is a ratio as in the binary case; the
macro average is the mean over classes. Its sd uses the delta method with the
multinomial covariance of a row's one-hot label
(``Var(Σ_c g_c Y_c) = Σ_c g_c² p_c - (Σ_c g_c p_c)²``), so the dependence
between classes within a row is accounted for.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from driftline.estimate._binary import binary_realized, dot, midranks, safe_div

__all__ = ["multiclass_confusion", "multiclass_expected", "multiclass_realized"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def _gradient(
    name: str, p: FloatArray, a: FloatArray, score: FloatArray
) -> tuple[float, FloatArray] | None:
    """Value and per-row coefficient of ``Y_ic`` for one class's one-vs-rest metric."""
    n = p.size
    k = float(a.sum())
    m = float(p.sum())
    tp = dot(p, a)
    if name == "precision":
        if k == 0:
            return 0.0, np.zeros(n)
        return tp / k, a / k
    if name == "recall":
        rec = safe_div(tp, m)
        return rec, (a - rec) / m
    if name == "specificity":
        neg = n - m
        spec = safe_div((n - k) - (m - tp), neg)
        return spec, (-(1.0 - a) + spec) / neg
    if name == "f1":
        f1 = safe_div(2 * tp, k + m)
        return f1, (2 * a - f1) / (k + m)
    if name == "roc_auc":
        r = midranks(score)
        v = p * (1.0 - p)
        vs = float(v.sum())
        e_d = n * m - m * m - vs
        if e_d <= 0:
            return None
        auc = (dot(p, r) - (m * m + vs + m) / 2.0) / e_d
        return auc, ((r - m - 0.5) - auc * (n - 2.0 * m)) / e_d
    return None  # pragma: no cover - names are validated upstream


def multiclass_expected(
    p: FloatArray, pred: IntArray, score: FloatArray, metrics: tuple[str, ...]
) -> dict[str, tuple[float, float]]:
    """``{metric: (expected macro value, sampling sd)}``; ``p`` and ``score`` are n×C.

    >>> p = np.tile([0.7, 0.2, 0.1], (300, 1))
    >>> v, sd = multiclass_expected(p, np.zeros(300, dtype=np.intp), p, ("accuracy",))["accuracy"]
    >>> round(v, 6)
    0.7
    """
    n, n_classes = p.shape
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), pred] = 1.0
    out: dict[str, tuple[float, float]] = {}
    for name in metrics:
        if name == "accuracy":
            q = p[np.arange(n), pred]
            out[name] = (float(q.mean()), float(np.sqrt((q * (1 - q)).sum()) / n))
            continue
        values = np.empty(n_classes)
        grads = np.empty((n, n_classes))
        ok = True
        for c in range(n_classes):
            res = _gradient(name, p[:, c], onehot[:, c], score[:, c])
            if res is None:
                ok = False
                break
            values[c], grads[:, c] = res
        if not ok:
            out[name] = (float("nan"), float("nan"))
            continue
        g = grads / n_classes
        row_var = (g * g * p).sum(axis=1) - (g * p).sum(axis=1) ** 2
        out[name] = (float(values.mean()), float(np.sqrt(max(row_var.sum(), 0.0))))
    return out


def multiclass_confusion(p: FloatArray, pred: IntArray) -> FloatArray:
    """Expected confusion matrix, rows = true class, columns = predicted class."""
    n, n_classes = p.shape
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), pred] = 1.0
    return np.asarray(np.einsum("ic,id->cd", p, onehot), dtype=np.float64)


def multiclass_realized(
    y: IntArray, pred: IntArray, score: FloatArray, metrics: tuple[str, ...]
) -> dict[str, float]:
    """Realized macro one-vs-rest metrics; ``y`` and ``pred`` are class indices."""
    n_classes = score.shape[1]
    out: dict[str, float] = {}
    for name in metrics:
        if name == "accuracy":
            out[name] = float(np.mean(y == pred))
            continue
        per_class = [
            binary_realized(y == c, pred == c, score[:, c], (name,))[name] for c in range(n_classes)
        ]
        out[name] = float(np.mean(per_class))
    return out
