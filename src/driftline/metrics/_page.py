"""The page of ``driftline evaluate --html``: metrics with intervals, the confusion matrix,
ROC and precision-recall curves, the reliability (calibration) curve and the worst slices.

It renders an :class:`EvaluationReport` with the report primitives of
:mod:`driftline.report` (a lower layer: it knows nothing of metrics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.metrics._calibration import reliability_curve
from driftline.report import (
    MISSING,
    Callout,
    Chart,
    Curve,
    Report,
    Stat,
    Table,
    Text,
    format_count,
    format_interval,
    format_number,
    format_p_value,
    format_percent,
    heatmap_chart,
    histogram_chart,
    xy_chart,
)

if TYPE_CHECKING:
    from driftline.metrics._evaluate import EvaluationReport
    from driftline.metrics._slices import SliceReport

__all__ = ["evaluation_report"]

_HEADLINE = ("roc_auc", "roc_auc_ovr_macro", "accuracy", "f1", "f1_macro", "r2", "mae", "rmse")
_MAX_POINTS = 250


def _value(v: float) -> str:
    return format_number(v, decimals=3) if abs(v) < 1000 else format_number(v)


def _thin(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> tuple[list[float], list[float]]:
    """At most ``_MAX_POINTS`` points of a curve, keeping both ends."""
    if x.size > _MAX_POINTS:
        keep = np.unique(np.linspace(0, x.size - 1, _MAX_POINTS).round().astype(int))
        x, y = x[keep], y[keep]
    return x.astype(float).tolist(), y.astype(float).tolist()


def _metrics(page: Report, evaluation: EvaluationReport) -> None:
    pct = round(100 * evaluation.confidence)
    section = page.section("Metrics")
    for name in _HEADLINE:
        if name in evaluation.metrics and evaluation.metrics[name].defined:
            m = evaluation.metrics[name]
            section.add(
                Stat(
                    name,
                    _value(m.value),
                    note=f"{pct}% CI {format_interval(m.ci_low, m.ci_high, decimals=3)}",
                )
            )
    section.add(
        Table(
            ["metric", "value", f"{pct}% CI", "method"],
            [
                [k, _value(m.value), format_interval(m.ci_low, m.ci_high, decimals=3), m.method]
                if m.defined
                else [k, "undefined", MISSING, m.reason or "undefined on this data"]
                for k, m in evaluation.metrics.items()
            ],
            numeric=(1, 2),
        )
    )
    if evaluation.threshold is not None:
        section.add(Text(f"Predicted labels: score >= {format_number(evaluation.threshold)}."))
    for note in evaluation.notes:
        section.add(Callout(f"Not computed: {note}", "info"))


def _confusion(page: Report, evaluation: EvaluationReport) -> None:
    cm = evaluation.confusion_matrix
    if cm is None or evaluation.labels is None:
        return
    labels = [str(v) for v in evaluation.labels]
    page.section("Confusion matrix").add(
        Chart(
            heatmap_chart(
                "Confusion matrix",
                labels,
                labels,
                np.asarray(cm, dtype=float).tolist(),
                row_title="true class",
                column_title="predicted class",
            ),
            caption="Rows are the true class, columns the predicted class; each cell shows "
            "its count and its share of the true class (so the diagonal is each class's recall).",
        )
    )


def _curves(page: Report, y: np.ndarray[Any, Any], s: np.ndarray[Any, Any], n_bins: int) -> None:
    from sklearn.metrics import precision_recall_curve, roc_curve

    section = page.section("Ranking and calibration")
    fpr, tpr, _ = roc_curve(y, s)
    prevalence = float(y.mean())
    section.add(
        Chart(
            xy_chart(
                "ROC curve",
                [Curve("model", *_thin(fpr, tpr))],
                x_label="false positive rate",
                y_label="true positive rate",
                x_range=(0, 1),
                y_range=(0, 1),
                diagonal="chance",
            ),
            caption="Each point is one threshold; the further above the diagonal, the better "
            "the scores separate the classes.",
        )
    )
    precision, recall, _ = precision_recall_curve(y, s)
    section.add(
        Chart(
            xy_chart(
                "Precision-recall curve",
                [
                    Curve("model", *_thin(recall[::-1], precision[::-1])),
                    Curve(
                        f"no skill (positives {format_percent(prevalence)})",
                        [0, 1],
                        [prevalence, prevalence],
                        dashed=True,
                    ),
                ],
                x_label="recall",
                y_label="precision",
                x_range=(0, 1),
                y_range=(0, 1),
            ),
            caption="Precision at every recall: what share of flagged rows are positives.",
        )
    )
    if s.min() < 0 or s.max() > 1:
        section.add(Text("The scores are not probabilities in [0, 1]: no calibration curve."))
        return
    curve = reliability_curve(y, s, n_bins=n_bins)
    section.add(
        Chart(
            xy_chart(
                "Calibration (reliability) curve",
                [
                    Curve(
                        f"observed rate ({round(100 * curve.confidence)}% interval)",
                        curve.mean_predicted.tolist(),
                        curve.observed_rate.tolist(),
                        points=True,
                        sizes=curve.count.astype(float).tolist(),
                        low=curve.observed_low.tolist(),
                        high=curve.observed_high.tolist(),
                    ),
                ],
                x_label="mean predicted probability",
                y_label="observed positive rate",
                x_range=(0, 1),
                y_range=(0, 1),
                diagonal="perfect calibration",
            ),
            caption=f"{format_count(len(curve.count), 'bin')} with equal numbers of rows; a dot "
            "below the diagonal means the model over-predicts there. Dot size: rows in the bin.",
        )
    )


def _residuals(page: Report, y: np.ndarray[Any, Any], pred: np.ndarray[Any, Any]) -> None:
    r = pred - y
    r = r[np.isfinite(r)]
    if r.size < 2:
        return
    lo, hi = np.quantile(r, [0.005, 0.995])
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, 31)
    counts, _ = np.histogram(np.clip(r, edges[0], edges[-1]), bins=edges)
    page.section("Errors").add(
        Chart(
            histogram_chart("Prediction minus truth", edges.tolist(), [("rows", counts.tolist())]),
            caption="Residuals; the outer 1% are folded into the end bins.",
        )
    )


def _slices(page: Report, worst: SliceReport) -> None:
    section = page.section("Worst slices")
    shown = worst.slices[:15]
    pct = round(100 * shown[0].metric.confidence) if shown else 95
    direction = "higher" if worst.higher_is_better else "lower"
    section.add(
        Text(
            f"{format_count(worst.n_tested, 'slice')} of at least "
            f"{format_count(worst.min_support, 'row')} tested against the rest of the rows "
            f"({worst.metric}, {direction} is better; {format_count(worst.n_skipped, 'slice')} "
            "too small to test). A slice is flagged when it is worse than the rest after "
            f"Benjamini–Hochberg control at q < {format_number(worst.alpha)}."
        )
    )
    if not shown:
        section.add(Callout("No slice was large enough to test.", "info"))
        return
    n_bad = len(worst.significant())
    section.add(
        Callout(
            f"{format_count(n_bad, 'slice')} significantly worse than the rest"
            if n_bad
            else "No slice is significantly worse than the rest.",
            "warn" if n_bad else "ok",
        ),
        Table(
            ["slice", "rows", worst.metric, f"{pct}% CI", "rest", "q (BH)", "worse?"],
            [
                [
                    s.description,
                    format_number(s.support),
                    _value(s.metric.value),
                    format_interval(s.metric.ci_low, s.metric.ci_high, decimals=3),
                    _value(s.rest.value),
                    format_p_value(s.q_value),
                    "yes" if s.significant else "no",
                ]
                for s in shown
            ],
            tones=["warn" if s.significant else None for s in shown],
            numeric=(1, 2, 3, 4, 5),
            caption=f"The {format_count(len(shown), 'slice')} ranked worst, of "
            f"{format_number(len(worst.slices))}."
            if len(worst.slices) > len(shown)
            else "",
        ),
    )


def evaluation_report(
    evaluation: EvaluationReport,
    *,
    y_true: Any = None,
    y_score: Any = None,
    y_pred: Any = None,
    pos_label: Any = 1,
    worst: SliceReport | None = None,
    title: str = "Model evaluation",
    n_bins: int = 10,
) -> Report:
    """The evaluation page; curves need the labels and scores the evaluation was run on.

    >>> from driftline.metrics import evaluate
    >>> y, s = [0, 1, 1, 0, 1, 0, 1, 0], [0.1, 0.8, 0.7, 0.3, 0.4, 0.2, 0.9, 0.6]
    >>> page = evaluation_report(evaluate(y, s, task="binary", random_state=0), y_true=y, y_score=s)
    >>> [s.title for s in page.sections]
    ['Metrics', 'Confusion matrix', 'Ranking and calibration']
    """
    page = Report(
        title,
        subtitle=f"{format_count(evaluation.n, 'row')}, {evaluation.task} task, "
        f"{round(100 * evaluation.confidence)}% confidence intervals",
    )
    _metrics(page, evaluation)
    _confusion(page, evaluation)
    if y_true is not None and evaluation.task == "binary" and y_score is not None:
        y = np.asarray(y_true)
        s = np.asarray(y_score, dtype=np.float64)
        keep = np.isfinite(s)
        positive = y == pos_label
        if keep.any() and 0 < positive[keep].sum() < keep.sum():
            _curves(page, positive[keep].astype(np.int64), s[keep], n_bins)
    if y_true is not None and evaluation.task == "regression":
        pred = y_pred if y_pred is not None else y_score
        if pred is not None:
            _residuals(page, np.asarray(y_true, dtype=float), np.asarray(pred, dtype=float))
    if worst is not None:
        _slices(page, worst)
    return page
