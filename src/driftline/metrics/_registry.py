"""The metric registry: one entry per metric name, read by every part that names metrics.

Each :class:`MetricSpec` says what the metric computes (``function``), which way is
better, what it needs (true labels; scores or hard predictions), the tasks it applies
to, and whether CBPE/DLE can estimate it without labels. The gate, ``evaluate``,
``compare_metric``, slice search, CBPE/DLE, the monitor and alert rules all read this
table; adding a metric is adding one entry to ``_ENTRIES``.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from driftline.exceptions import ParameterError
from driftline.metrics._calibration import expected_calibration_error, top_label_ece
from driftline.metrics._classification import (
    accuracy,
    brier_score,
    f1,
    log_loss,
    precision,
    recall,
    specificity,
)
from driftline.metrics._confusion import Average, ConfusionMetric
from driftline.metrics._losses import (
    absolute_error,
    absolute_percentage_error,
    brier_rows,
    log_loss_rows,
    squared_error,
)
from driftline.metrics._ranking import average_precision, roc_auc
from driftline.metrics._regression import mae, mape, r2, rmse
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import FloatArray

__all__ = [
    "HEADLINE_METRICS",
    "METRICS",
    "TASKS",
    "Comparison",
    "MetricSpec",
    "SliceTest",
    "Task",
    "get_metric",
    "metric_names",
]

Task: TypeAlias = Literal["binary", "multiclass", "regression"]
#: The tasks a metric can apply to.
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
#: How :func:`~driftline.metrics.compare_metric` compares two models on the same rows.
Comparison: TypeAlias = Literal["delong", "confusion", "loss", "bootstrap"]
#: How a slice is tested against the rest of the rows (:func:`find_worst_slices`).
SliceTest: TypeAlias = Literal["proportion", "confusion", "delong", "loss"]
RowLoss: TypeAlias = Callable[[FloatArray, FloatArray], FloatArray]
_PROPORTIONS = frozenset({"accuracy", "precision", "recall", "specificity"})


@dataclass(frozen=True)
class MetricSpec:
    """What one metric is, and what it needs.

    ``function(y_true, values, **options)`` returns a :class:`MetricResult`; ``values`` are
    scores or probabilities when ``needs_scores`` (a 1-d score of the positive class, or
    an ``(n, K)`` probability matrix for multiclass), else hard predictions (class labels,
    or predicted values for regression). ``needs_labels``: the metric needs the true
    labels. ``tasks``: ``"binary"``, ``"multiclass"``, ``"regression"``. ``estimable``:
    CBPE (classification) or DLE (regression) can estimate it before labels arrive.

    The other fields tell the parts that reuse the metric how: ``probabilities`` (scores
    must be probabilities in [0, 1]), ``confusion`` (``(function, average)`` when the
    metric is a function of the confusion matrix), ``row_loss``/``root`` (a mean of
    per-row losses, square-rooted when ``root``) and ``comparison`` (the paired method of
    :func:`~driftline.metrics.compare_metric`; ``None``: not comparable); ``label`` is the
    name people read in reports and the dashboard (:attr:`display_name`).

    >>> spec = get_metric("log_loss")
    >>> spec.greater_is_better, spec.needs_scores, sorted(spec.tasks)
    (False, True, ['binary', 'multiclass'])
    >>> round(spec.compute([0, 1, 1], [0.1, 0.8, 0.7]).value, 6)
    0.228393
    """

    name: str
    function: Callable[..., MetricResult]
    greater_is_better: bool
    needs_scores: bool
    needs_labels: bool
    tasks: frozenset[Task]
    estimable: bool
    probabilities: bool = False
    confusion: tuple[ConfusionMetric, Average] | None = None
    row_loss: RowLoss | None = None
    root: bool = False
    comparison: Comparison | None = None
    description: str = ""
    label: str = ""
    _parameters: frozenset[str] = field(default=frozenset(), init=False, repr=False)

    def __post_init__(self) -> None:
        params = inspect.signature(self.function).parameters
        object.__setattr__(self, "_parameters", frozenset(params))

    @property
    def display_name(self) -> str:
        """The metric's name as people say it: ``label``, else the name with spaces.

        >>> get_metric("roc_auc").display_name, get_metric("accuracy").display_name
        ('ROC AUC', 'accuracy')
        """
        return self.label or self.name.replace("_", " ")

    @property
    def needs_predictions(self) -> bool:
        """True when the metric takes hard predictions rather than scores."""
        return not self.needs_scores

    @property
    def comparable(self) -> bool:
        """Whether :func:`~driftline.metrics.compare_metric` can compare two models on it."""
        return self.comparison is not None

    @property
    def slice_test(self) -> SliceTest | None:
        """How a slice is tested against the rest for this metric (``None``: not supported).

        Proportions (accuracy, precision, recall, specificity): two-proportion z-test; other
        confusion metrics of one class (F1): bootstrap of the two confusion matrices;
        binary ROC AUC: DeLong; a mean of per-row losses: Welch t-test.
        """
        if self.confusion is not None and self.confusion[1] in ("binary", "micro"):
            return "proportion" if self.confusion[0] in _PROPORTIONS else "confusion"
        if self.comparison == "delong" and "binary" in self.tasks:
            return "delong"
        if self.row_loss is not None and self.tasks & {"binary", "regression"}:
            return "loss"
        return None

    def accepts(self, option: str) -> bool:
        """Whether ``function`` takes the keyword ``option`` (e.g. ``labels``, ``n_bins``)."""
        return option in self._parameters

    def compute(self, y_true: Any, values: Any, **options: Any) -> MetricResult:
        """``function(y_true, values, ...)`` with the options it takes; options that do not
        apply to this metric (``labels`` for accuracy, ``n_bins`` for ROC AUC) are dropped.
        """
        kw = {k: v for k, v in options.items() if k in self._parameters}
        return self.function(y_true, values, **kw)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python description (no function)."""
        return {
            "name": self.name,
            "greater_is_better": self.greater_is_better,
            "needs_scores": self.needs_scores,
            "needs_labels": self.needs_labels,
            "tasks": sorted(self.tasks),
            "estimable": self.estimable,
            "probabilities": self.probabilities,
            "comparison": self.comparison,
            "slice_test": self.slice_test,
            "description": self.description,
        }


def _spec(
    name: str,
    function: Callable[..., MetricResult],
    *,
    better: Literal["higher", "lower"],
    scores: bool,
    tasks: tuple[Task, ...],
    estimable: bool = False,
    **extra: Any,
) -> MetricSpec:
    return MetricSpec(
        name=name,
        function=function,
        greater_is_better=better == "higher",
        needs_scores=scores,
        needs_labels=True,
        tasks=frozenset(tasks),
        estimable=estimable,
        **extra,
    )


_BINARY: tuple[Task, ...] = ("binary",)
_CLASSIFICATION: tuple[Task, ...] = ("binary", "multiclass")
_REGRESSION: tuple[Task, ...] = ("regression",)


def _averaged(name: str, fn: Callable[..., MetricResult], average: Average) -> MetricSpec:
    base: Any = name
    return _spec(
        f"{name}_{average}", partial(fn, average=average), better="higher", scores=False,
        tasks=("multiclass",), confusion=(base, average), comparison="confusion",
        description=f"{name}, {average} average over classes",
    )  # fmt: skip


# The order is the order of reports and of the defaults of CBPE and DLE.
_ENTRIES: tuple[MetricSpec, ...] = (
    _spec("roc_auc", roc_auc, better="higher", scores=True, tasks=_BINARY, estimable=True,
          comparison="delong", description="area under the ROC curve",
          label="ROC AUC"),
    _spec("f1", f1, better="higher", scores=False, tasks=_BINARY, estimable=True,
          confusion=("f1", "binary"), comparison="confusion", description="F1 score",
          label="F1 score"),
    _spec("precision", precision, better="higher", scores=False, tasks=_BINARY,
          estimable=True, confusion=("precision", "binary"), comparison="confusion",
          description="tp / (tp + fp)"),
    _spec("recall", recall, better="higher", scores=False, tasks=_BINARY, estimable=True,
          confusion=("recall", "binary"), comparison="confusion",
          description="tp / (tp + fn), the true-positive rate"),
    _spec("accuracy", accuracy, better="higher", scores=False, tasks=_CLASSIFICATION,
          estimable=True, confusion=("accuracy", "micro"), comparison="confusion",
          description="share of correct predictions"),
    _spec("specificity", specificity, better="higher", scores=False, tasks=_BINARY,
          estimable=True, confusion=("specificity", "binary"), comparison="confusion",
          description="tn / (tn + fp), the true-negative rate"),
    _spec("mae", mae, better="lower", scores=False, tasks=_REGRESSION, estimable=True,
          row_loss=absolute_error, comparison="loss", description="mean absolute error",
          label="mean absolute error"),
    _spec("rmse", rmse, better="lower", scores=False, tasks=_REGRESSION, estimable=True,
          row_loss=squared_error, root=True, comparison="loss",
          description="root mean squared error",
          label="root mean squared error"),
    _spec("mape", mape, better="lower", scores=False, tasks=_REGRESSION, estimable=True,
          row_loss=absolute_percentage_error, comparison="loss",
          description="mean absolute percentage error (a fraction)",
          label="mean absolute percentage error"),
    _spec("average_precision", average_precision, better="higher", scores=True,
          tasks=_BINARY, comparison="bootstrap", description="area under the PR curve",
          label="average precision"),
    _spec("log_loss", log_loss, better="lower", scores=True, tasks=_CLASSIFICATION,
          probabilities=True, row_loss=log_loss_rows, comparison="loss",
          description="cross-entropy",
          label="log loss"),
    _spec("brier", brier_score, better="lower", scores=True, tasks=_CLASSIFICATION,
          probabilities=True, row_loss=brier_rows, comparison="loss",
          description="Brier score",
          label="Brier score"),
    _spec("ece_quantile", partial(expected_calibration_error, strategy="quantile"),
          better="lower", scores=True, tasks=_BINARY, probabilities=True,
          description="expected calibration error, equal-mass bins"),
    _spec("r2", r2, better="higher", scores=False, tasks=_REGRESSION,
          description="coefficient of determination",
          label="R²"),
    _spec("roc_auc_ovr_macro", partial(roc_auc, average="macro"), better="higher",
          scores=True, tasks=("multiclass",), probabilities=True, comparison="delong",
          description="one-vs-rest ROC AUC, macro average"),
    _spec("ece_top_label", top_label_ece, better="lower", scores=True,
          tasks=("multiclass",), probabilities=True,
          description="top-label expected calibration error"),
    _averaged("precision", precision, "macro"),
    _averaged("precision", precision, "weighted"),
    _averaged("recall", recall, "macro"),
    _averaged("recall", recall, "weighted"),
    _averaged("f1", f1, "macro"),
    _averaged("f1", f1, "weighted"),
)  # fmt: skip

_REGISTRY: dict[str, MetricSpec] = {spec.name: spec for spec in _ENTRIES}

#: Every metric by name (read-only; iteration follows the registry's order).
METRICS: Mapping[str, MetricSpec] = MappingProxyType(_REGISTRY)

#: The metrics a summary written for people leads with, most readable first (accuracy
#: before ROC AUC; mean absolute error before RMSE).
HEADLINE_METRICS: tuple[str, ...] = ("accuracy", "roc_auc", "mae", "rmse")


def get_metric(name: str) -> MetricSpec:
    """The :class:`MetricSpec` of ``name``; :class:`ParameterError` naming the known ones.

    >>> get_metric("f1").greater_is_better
    True
    >>> get_metric("auc")
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: Unknown metric 'auc'; did you mean 'roc_auc'? Known metrics: roc_auc, f1, precision, recall, accuracy, specificity, mae, rmse, mape, average_precision, log_loss, brier, ece_quantile, r2, roc_auc_ovr_macro, ece_top_label, precision_macro, precision_weighted, recall_macro, recall_weighted, f1_macro, f1_weighted.
    """
    spec = _REGISTRY.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ParameterError(unknown_metric_message(name, tuple(_REGISTRY)))
    return spec


def unknown_metric_message(name: object, known: tuple[str, ...], what: str = "metric") -> str:
    """``Unknown metric 'x'; did you mean 'y'? Known metrics: ...``."""
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
    if not close and isinstance(name, str):
        close = [k for k in known if name and name in k][:1]
    hint = f" did you mean {close[0]!r}?" if close else ""
    return f"Unknown {what} {name!r};{hint} Known {what}s: {', '.join(known)}."


def metric_names(
    *,
    task: str | None = None,
    estimable: bool | None = None,
    comparable: bool | None = None,
    sliceable: bool | None = None,
    scores: bool | None = None,
) -> tuple[str, ...]:
    """Registered names, in order, filtered by task, estimability, comparability, input.

    >>> metric_names(task="regression", estimable=True)
    ('mae', 'rmse', 'mape')
    """
    return tuple(
        s.name
        for s in _REGISTRY.values()
        if (task is None or task in s.tasks)
        and (estimable is None or s.estimable == estimable)
        and (comparable is None or s.comparable == comparable)
        and (sliceable is None or (s.slice_test is not None) == sliceable)
        and (scores is None or s.needs_scores == scores)
    )


def specs(task: str | None = None) -> Iterator[MetricSpec]:
    """The registered specs (of ``task``), in order."""
    return (s for s in _REGISTRY.values() if task is None or task in s.tasks)


def register(spec: MetricSpec) -> None:
    """Add (or replace) a metric. Private: the registry's table is ``_ENTRIES``; tests use
    this to check that every consumer reads the registry."""
    if not isinstance(spec, MetricSpec) or not spec.name.isidentifier():
        raise ParameterError(f"register needs a MetricSpec with an identifier name; got {spec!r}.")
    _REGISTRY[spec.name] = spec


def unregister(name: str) -> None:
    """Remove a metric added with :func:`register`."""
    _REGISTRY.pop(name, None)
