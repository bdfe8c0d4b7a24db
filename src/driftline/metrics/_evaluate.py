"""One call that evaluates a model's predictions: :func:`evaluate` -> :class:`EvaluationReport`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import Interval, Options, validate_params
from driftline.exceptions import DataError, InsufficientDataError, ParameterError
from driftline.metrics._classification import confusion_matrix
from driftline.metrics._core import check_common
from driftline.metrics._registry import MetricSpec, specs
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import RandomState, as_1d, as_rng, resampling

__all__ = ["EvaluationReport", "evaluate"]

Task = Literal["binary", "multiclass", "regression"]


@dataclass(frozen=True)
class EvaluationReport:
    """All metrics of one evaluation, each a :class:`MetricResult` with its interval."""

    task: str
    n: int
    confidence: float
    metrics: Mapping[str, MetricResult]
    confusion_matrix: NDArray[Any] | None = None
    labels: tuple[Any, ...] | None = None
    threshold: float | None = None
    notes: tuple[str, ...] = field(default=())

    def __getitem__(self, name: str) -> MetricResult:
        return self.metrics[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "task": self.task,
            "n": self.n,
            "confidence": self.confidence,
            "threshold": self.threshold,
            "labels": None if self.labels is None else [_py(v) for v in self.labels],
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "confusion_matrix": None
            if self.confusion_matrix is None
            else self.confusion_matrix.tolist(),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """Plain-text table of the metrics and their intervals."""
        pct = round(100 * self.confidence)
        head = f"{self.task} evaluation on {self.n} rows ({pct}% intervals)"
        width = max(len(k) for k in self.metrics) if self.metrics else 6
        lines = [head, f"{'metric':<{width}}  {'value':>8}  {'ci_low':>8}  {'ci_high':>8}  method"]
        lines += [
            f"{k:<{width}}  {m.value:>8.4f}  {m.ci_low:>8.4f}  {m.ci_high:>8.4f}  {m.method}"
            if m.defined
            else f"{k:<{width}}  {'undefined':>8}  {'-':>8}  {'-':>8}  {m.reason}"
            for k, m in self.metrics.items()
        ]
        if self.confusion_matrix is not None:
            lines.append(
                f"confusion matrix (rows true, cols predicted): {self.confusion_matrix.tolist()}"
            )
        lines += [f"note: {x}" for x in self.notes]
        return "\n".join(lines)


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@validate_params(
    {
        **resampling(),
        "task": [Options("binary", "multiclass", "regression")],
        "n_bins": [Interval("int", 1, None)],
    }
)
def evaluate(
    y_true: ArrayLike,
    y_score: ArrayLike | None = None,
    y_pred: ArrayLike | None = None,
    *,
    task: Task,
    threshold: float = 0.5,
    labels: ArrayLike | None = None,
    pos_label: Any = 1,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    n_bins: int = 15,
    random_state: RandomState = None,
) -> EvaluationReport:
    """Evaluate predictions with every applicable metric and its confidence interval.

    ``binary``: ``y_score`` (P(class 1) or any score) and/or ``y_pred`` (0/1; defaults to
    ``y_score >= threshold``). Gives accuracy, precision, recall, F1, specificity, and
    from scores ROC AUC and average precision, plus log loss, Brier and ECE when the
    scores are probabilities. ``multiclass``: ``y_score`` is ``(n, K)`` probabilities in
    the order of ``labels`` (default sorted classes); ``y_pred`` defaults to the arg-max.
    ``regression``: ``y_pred`` (or ``y_score``) gives MAE, RMSE, MAPE and R².

    The metrics are those of the task in the metric registry (:data:`METRICS`). Binary
    labels other than 0/1 are mapped with ``pos_label`` (``y_pred`` too). A metric that
    is undefined on these rows (ROC AUC when one class is absent, precision when no row
    is predicted positive) is reported as undefined: value NaN (``None`` in JSON), method
    ``"undefined"`` and the ``reason``, also added to ``notes``. It is never reported as 0.

    >>> rep = evaluate([0, 1, 1, 0, 1, 0], [0.2, 0.9, 0.6, 0.4, 0.3, 0.1], task="binary",
    ...                random_state=0)
    >>> round(rep["roc_auc"].value, 4), rep["accuracy"].value
    (0.8889, 0.8333333333333334)
    >>> evaluate([0, 1, 1], y_pred=[0, 0, 0], task="binary")["precision"].reason
    'undefined: no row is predicted positive (tp + fp = 0)'
    """
    confidence = check_common(confidence, n_resamples)
    if y_score is None and y_pred is None:
        raise ParameterError("evaluate needs 'y_score' or 'y_pred' (got neither).")
    rng = as_rng(random_state)
    kw: dict[str, Any] = {
        "sample_weight": sample_weight, "confidence": confidence,
        "n_resamples": n_resamples, "random_state": rng,
    }  # fmt: skip
    out: dict[str, MetricResult] = {}
    notes: list[str] = []
    yt: Any = as_1d("y_true", y_true)
    s: NDArray[np.float64] | None = None

    def add(spec: MetricSpec, values: Any, n: int, **options: Any) -> None:
        try:
            res = spec.compute(yt, values, **options, **kw)
        except InsufficientDataError as exc:
            res = MetricResult.undefined(spec.name, str(exc), n=n, confidence=confidence)
        if res.name != spec.name:
            res = replace(res, name=spec.name)
        if res.reason is not None:
            notes.append(f"{spec.name}: {res.reason}")
        out[spec.name] = res

    if task == "regression":
        pred: Any = y_pred if y_pred is not None else y_score
        for spec in specs("regression"):
            add(spec, pred, yt.size)
        return EvaluationReport(task, yt.size, confidence, out, notes=tuple(notes))
    if task == "binary":
        yt = _to_binary("y_true", yt, pos_label)
        lab = np.array([0, 1])
        s = None if y_score is None else np.asarray(y_score, dtype=np.float64)
        probabilities = s is not None and bool(
            np.isfinite(s).all() and s.min() >= 0.0 and s.max() <= 1.0
        )
        if s is not None and not probabilities:
            notes.append("scores are not probabilities in [0, 1]: no log loss, Brier, ECE")
        if y_pred is not None:
            pred = _to_binary("y_pred", as_1d("y_pred", y_pred), pos_label)
        else:
            pred = (np.asarray(y_score) >= threshold).astype(np.int64)
    else:
        lab = np.unique(yt) if labels is None else np.asarray(labels)
        if y_score is not None:
            s = np.asarray(y_score, dtype=np.float64)
            if s.ndim != 2 or s.shape[1] != len(lab):
                raise DataError(
                    f"For task='multiclass', 'y_score' must be (n_rows, {len(lab)}) "
                    f"probabilities, one column per label. Got shape {s.shape}."
                )
        probabilities = True
        pred = y_pred if y_pred is not None else lab[np.argmax(np.asarray(s), axis=1)]
    for spec in specs(task):
        if spec.needs_scores and (s is None or (spec.probabilities and not probabilities)):
            continue
        options = {"labels": lab, "n_bins": n_bins} if task == "multiclass" else {"n_bins": n_bins}
        add(spec, s if spec.needs_scores else pred, yt.size, **options)
    cm = confusion_matrix(yt, pred, labels=lab, sample_weight=sample_weight)
    return EvaluationReport(
        task, yt.size, confidence, out, cm, tuple(lab.tolist()),
        threshold if task == "binary" and y_pred is None else None, tuple(notes),
    )  # fmt: skip


def _to_binary(name: str, v: NDArray[Any], pos_label: Any) -> NDArray[np.int64]:
    """0/1 labels from any two-valued labels and ``pos_label``."""
    values = np.unique(v)
    if len(values) > 2:
        raise DataError(
            f"task='binary' but {name!r} holds {len(values)} distinct values; "
            "use task='multiclass'."
        )
    if pos_label not in values.tolist() and not set(values.tolist()) <= {0, 1}:
        raise DataError(
            f"pos_label={pos_label!r} is not one of the values of {name!r} "
            f"{values.tolist()!r}; pass the positive class as pos_label."
        )
    out: NDArray[np.int64] = np.asarray(v == pos_label).astype(np.int64)
    return out
