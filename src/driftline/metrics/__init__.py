"""Evaluation metrics with confidence intervals.

Classification, regression, calibration, slices and fairness. Every metric returns a
:class:`MetricResult` (value, interval, the method that produced it, row count); values
equal scikit-learn's where scikit-learn has the metric. :data:`METRICS` is the registry
every part of driftline reads: each name's function, direction, inputs and tasks.

>>> from driftline.metrics import accuracy
>>> accuracy([0, 1, 1, 0], [0, 1, 0, 0]).method
'wilson'
>>> from driftline.metrics import METRICS
>>> METRICS["log_loss"].greater_is_better
False
"""

from __future__ import annotations

from driftline.metrics._calibration import (
    BrierDecomposition,
    ReliabilityCurve,
    brier_decomposition,
    expected_calibration_error,
    maximum_calibration_error,
    reliability_curve,
)
from driftline.metrics._classification import (
    accuracy,
    brier_score,
    confusion_matrix,
    f1,
    log_loss,
    precision,
    recall,
    specificity,
)
from driftline.metrics._columns import match_class_columns
from driftline.metrics._compare import compare_metric
from driftline.metrics._evaluate import EvaluationReport, evaluate
from driftline.metrics._fairness import FairnessReport, fairness_report
from driftline.metrics._page import evaluation_report
from driftline.metrics._ranking import average_precision, roc_auc
from driftline.metrics._registry import HEADLINE_METRICS, METRICS, MetricSpec, get_metric
from driftline.metrics._regression import mae, mape, pinball_loss, r2, rmse
from driftline.metrics._result import MetricComparison, MetricResult
from driftline.metrics._slices import (
    SegmentReport,
    SliceCondition,
    SliceReport,
    SliceResult,
    find_worst_slices,
    segment_metrics,
)

__all__ = [
    "HEADLINE_METRICS",
    "METRICS",
    "BrierDecomposition",
    "EvaluationReport",
    "FairnessReport",
    "MetricComparison",
    "MetricResult",
    "MetricSpec",
    "ReliabilityCurve",
    "SegmentReport",
    "SliceCondition",
    "SliceReport",
    "SliceResult",
    "accuracy",
    "average_precision",
    "brier_decomposition",
    "brier_score",
    "compare_metric",
    "confusion_matrix",
    "evaluate",
    "evaluation_report",
    "expected_calibration_error",
    "f1",
    "fairness_report",
    "find_worst_slices",
    "get_metric",
    "log_loss",
    "mae",
    "mape",
    "match_class_columns",
    "maximum_calibration_error",
    "pinball_loss",
    "precision",
    "r2",
    "recall",
    "reliability_curve",
    "rmse",
    "roc_auc",
    "segment_metrics",
    "specificity",
]
