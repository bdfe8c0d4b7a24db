"""Classification metrics from labels and probabilities, each with a confidence interval."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from driftline._params import Options, check, validate_params
from driftline.exceptions import DataError, ParameterError
from driftline.metrics._confusion import (
    AVERAGES,
    Average,
    ConfusionMetric,
    check_zero_division,
    confusion_counts,
    metric_from_confusion,
    undefined_reason,
    wilson_parts,
)
from driftline.metrics._core import (
    CI_METHODS,
    CIMethod,
    bootstrap_result,
    check_common,
    mean_loss_result,
    resolve_ci,
)
from driftline.metrics._intervals import wilson_interval
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import (
    FloatArray,
    IntArray,
    RandomState,
    as_1d,
    as_binary,
    as_float,
    as_proba_matrix,
    as_weights,
    check_lengths,
    encode_labels,
    resampling,
)

__all__ = [
    "accuracy",
    "brier_score",
    "confusion_matrix",
    "encode_classification",
    "f1",
    "log_loss",
    "precision",
    "recall",
    "specificity",
]


def _codes(p: IntArray | None) -> IntArray:
    """Predicted codes (``encode_labels`` returns them whenever ``y_pred`` is given)."""
    if p is None:
        raise ParameterError("'y_pred' is required.")
    return p


def encode_classification(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str,
    labels: ArrayLike | None,
    pos_label: Any,
) -> tuple[IntArray, IntArray, int, int, tuple[Any, ...]]:
    """Integer codes for true and predicted classes, the class count, the positive index
    and the class labels."""
    check(None, "average", average, Options(*AVERAGES))
    if average != "binary":
        lab, t, p = encode_labels(y_true, y_pred, labels)
        return t, _codes(p), len(lab), 1, tuple(lab.tolist())
    yt, yp = as_1d("y_true", y_true), as_1d("y_pred", y_pred)
    check_lengths(y_true=yt, y_pred=yp)
    present = np.union1d(yt, yp)
    if len(present) > 2:
        raise ParameterError(
            f"average='binary' needs at most two classes but the labels hold {len(present)}; "
            "use average='micro', 'macro' or 'weighted'."
        )
    if len(present) == 2 and pos_label not in present.tolist():
        raise DataError(f"pos_label={pos_label!r} is not one of the labels {present.tolist()!r}.")
    t, p = (yt == pos_label).astype(np.int64), (yp == pos_label).astype(np.int64)
    return t, p, 2, 1, ("negative", "positive")


def _confusion_metric(
    metric: ConfusionMetric,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: Average,
    labels: ArrayLike | None,
    pos_label: Any,
    sample_weight: ArrayLike | None,
    confidence: float,
    ci: str,
    n_resamples: int,
    random_state: RandomState,
    zero_division: float = float("nan"),
) -> MetricResult:
    confidence = check_common(confidence, n_resamples)
    fill = check_zero_division(zero_division)
    avg: Average = "micro" if metric == "accuracy" else average
    t, p, k, pos, lab = encode_classification(
        y_true, y_pred, average=avg, labels=labels, pos_label=pos_label
    )
    n = t.size
    w = as_weights(sample_weight, n)
    cm = confusion_counts(t, p, k, w)
    parts = None if w is not None else wilson_parts(cm, metric, avg, pos)
    method = resolve_ci(ci, None if parts is None else "wilson", metric=metric)
    name = metric if avg == "binary" or metric == "accuracy" else f"{metric}_{avg}"
    value = float(metric_from_confusion(cm, metric, average=avg, pos_index=pos, zero_division=fill))
    reason = undefined_reason(cm, metric, average=avg, pos_index=pos, labels=lab)
    if np.isnan(value):
        return MetricResult.undefined(name, reason or "undefined", n=n, confidence=confidence)
    if reason is not None and not np.isnan(fill):
        reason = f"{reason.removeprefix('undefined: ')}: counted as {fill:g} (zero_division)"
    if method == "wilson" and parts is not None:
        lo, hi = wilson_interval(parts[0], parts[1], confidence=confidence)
        return MetricResult(name, value, float(lo), float(hi), confidence, "wilson", n, reason)

    def stat(s: FloatArray) -> FloatArray:
        return metric_from_confusion(
            s.reshape(*s.shape[:-1], k, k), metric, average=avg, pos_index=pos,
            zero_division=fill,
        )  # fmt: skip

    if w is None:
        terms: Any = np.eye(k * k)
        counts: Any = cm.ravel().astype(np.int64)
    else:
        terms = sparse.csr_array((w, t * k + p, np.arange(n + 1)), shape=(n, k * k))
        counts = None
    res = bootstrap_result(
        name,
        terms,
        stat,
        counts=counts,
        n=n,
        method=method,
        confidence=confidence,
        n_resamples=n_resamples,
        random_state=random_state,
    )
    return res if reason is None else replace(res, reason=reason)


@validate_params(resampling(CI_METHODS))
def accuracy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Fraction of correct predictions, with a Wilson interval (bootstrap when weighted).

    >>> accuracy([0, 1, 1, 0, 1], [0, 1, 0, 0, 1]).value
    0.8
    """
    return _confusion_metric(
        "accuracy", y_true, y_pred, average="micro", labels=None, pos_label=1,
        sample_weight=sample_weight, confidence=confidence, ci=ci,
        n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip


def _make(metric: ConfusionMetric, doc: str) -> Any:
    def fn(
        y_true: ArrayLike,
        y_pred: ArrayLike,
        *,
        average: Average = "binary",
        labels: ArrayLike | None = None,
        pos_label: Any = 1,
        sample_weight: ArrayLike | None = None,
        zero_division: float = float("nan"),
        confidence: float = 0.95,
        ci: CIMethod = "auto",
        n_resamples: int = 1000,
        random_state: RandomState = None,
    ) -> MetricResult:
        return _confusion_metric(
            metric, y_true, y_pred, average=average, labels=labels, pos_label=pos_label,
            sample_weight=sample_weight, confidence=confidence, ci=ci,
            n_resamples=n_resamples, random_state=random_state, zero_division=zero_division,
        )  # fmt: skip

    fn.__name__ = fn.__qualname__ = "f1" if metric == "f1" else metric
    fn.__doc__ = doc
    return validate_params({**resampling(CI_METHODS), "average": [Options(*AVERAGES)]})(fn)


_AVG_DOC = """
    ``average`` is ``"binary"`` (the ``pos_label`` class), ``"micro"``, ``"macro"`` or
    ``"weighted"`` as in scikit-learn. A zero denominator makes the metric undefined: the
    value is NaN and ``reason`` says why (scikit-learn's ``zero_division=np.nan``; the
    macro and weighted averages then leave the undefined classes out and say so in
    ``reason``). Pass ``zero_division=0.0`` for scikit-learn's default. The interval is
    Wilson when the metric is a plain
    proportion (binary, or micro-averaged); otherwise a bootstrap that draws the
    confusion-matrix cell counts from a multinomial (exact for iid row resampling,
    O(n_resamples) whatever the row count). With ``sample_weight`` rows are resampled.
"""

precision = _make(
    "precision",
    "Precision ``tp / (tp + fp)``; undefined (NaN) when nothing is predicted positive.\n"
    + _AVG_DOC
    + "\n    >>> precision([0, 1, 1, 0, 1], [1, 1, 0, 0, 1]).value\n    0.666666...\n"
    + "    >>> precision([0, 1, 1], [0, 0, 0]).reason\n"
    + "    'undefined: no row is predicted positive (tp + fp = 0)'\n",
)
recall = _make(
    "recall",
    "Recall (sensitivity, true-positive rate) ``tp / (tp + fn)``.\n"
    + _AVG_DOC
    + "\n    >>> recall([0, 1, 1, 0, 1], [1, 1, 0, 0, 1]).value\n    0.666666...\n",
)
f1 = _make(
    "f1",
    "F1 score ``2 tp / (2 tp + fp + fn)``; bootstrap interval.\n"
    + _AVG_DOC
    + "\n    >>> round(f1([0, 1, 1, 0, 1], [1, 1, 0, 0, 1], random_state=0).value, 4)\n    0.6667\n",
)
specificity = _make(
    "specificity",
    "Specificity (true-negative rate) ``tn / (tn + fp)``; per class one-vs-rest when averaged.\n"
    + _AVG_DOC
    + "\n    >>> specificity([0, 1, 1, 0, 1], [1, 1, 0, 0, 1]).value\n    0.5\n",
)


def confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
) -> NDArray[Any]:
    """Confusion matrix (rows: true class, columns: predicted), as scikit-learn lays it out.

    Integer counts without weights, float sums with ``sample_weight``.

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2]).tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    lab, t, p = encode_labels(y_true, y_pred, labels)
    w = as_weights(sample_weight, t.size)
    cm = confusion_counts(t, _codes(p), len(lab), w)
    return cm.astype(np.int64) if w is None else cm


def _true_class_proba(
    y_true: ArrayLike, y_prob: ArrayLike, labels: ArrayLike | None
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Probability matrix ``(n, K)``, one-hot truth ``(n, K)`` and true codes."""
    arr = np.asarray(y_prob)
    if arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1):
        y = as_binary("y_true", y_true)
        p1 = as_float("y_prob", arr, probability=True)
        check_lengths(y_true=y, y_prob=p1)
        prob = np.column_stack([1.0 - p1, p1])
        codes = y.astype(np.int64)
    else:
        yt = as_1d("y_true", y_true)
        lab, codes, _ = encode_labels(yt, None, labels)
        if labels is None and len(lab) < arr.shape[1]:
            raise DataError(
                f"'y_prob' has {arr.shape[1]} columns but y_true holds only {len(lab)} classes; "
                "pass 'labels' with one label per column."
            )
        prob = as_proba_matrix("y_prob", arr, len(lab))
        check_lengths(y_true=yt, y_prob=prob)
    onehot = np.zeros_like(prob)
    onehot[np.arange(codes.size), codes] = 1.0
    return prob, onehot, codes


@validate_params(resampling(CI_METHODS))
def log_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Cross-entropy; ``y_prob`` is P(class 1) (1-d) or a row-stochastic matrix.

    Probabilities are clipped to ``[eps, 1 - eps]`` like scikit-learn. The analytic
    interval is the normal one for a mean of per-row losses.

    >>> round(log_loss([0, 1, 1], [0.1, 0.8, 0.7]).value, 6)
    0.228393
    """
    confidence = check_common(confidence, n_resamples)
    prob, _, codes = _true_class_proba(y_true, y_prob, labels)
    eps = np.finfo(np.float64).eps
    loss = -np.log(np.clip(prob[np.arange(codes.size), codes], eps, 1.0 - eps))
    return mean_loss_result(
        "log_loss", loss, as_weights(sample_weight, codes.size), ci=ci,
        confidence=confidence, n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip


@validate_params(resampling(CI_METHODS))
def brier_score(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Brier score: mean ``(p - y)^2`` (binary) or mean ``sum_k (p_k - y_k)^2`` (multiclass).

    Same scaling as scikit-learn's ``brier_score_loss``.

    >>> round(brier_score([0, 1, 1], [0.1, 0.8, 0.7]).value, 6)
    0.046667
    """
    confidence = check_common(confidence, n_resamples)
    prob, onehot, codes = _true_class_proba(y_true, y_prob, labels)
    loss = ((prob - onehot) ** 2).sum(axis=1)
    if prob.shape[1] == 2 and np.asarray(y_prob).ndim == 1:
        loss = loss / 2.0
    upper = 1.0 if prob.shape[1] == 2 and np.asarray(y_prob).ndim == 1 else 2.0
    return mean_loss_result(
        "brier", loss, as_weights(sample_weight, codes.size), ci=ci, confidence=confidence,
        n_resamples=n_resamples, random_state=random_state, upper=upper,
    )  # fmt: skip
