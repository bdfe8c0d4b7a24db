"""Evaluation metrics with confidence intervals.

Classification, regression, calibration, slices and fairness. Every metric returns a
:class:`MetricResult` (value, interval, the method that produced it, row count); values
equal scikit-learn's where scikit-learn has the metric.

>>> from driftline.metrics import accuracy
>>> accuracy([0, 1, 1, 0], [0, 1, 0, 0]).method
'wilson'
"""

from __future__ import annotations

from driftline.metrics._bootstrap import (
    BootstrapResult,
    bootstrap_confusion_matrices,
    bootstrap_sums,
    resample_count_blocks,
)
from driftline.metrics._calibration import (
    BrierDecomposition,
    ReliabilityCurve,
    assign_bins,
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
from driftline.metrics._compare import compare_metric
from driftline.metrics._confusion import confusion_counts, metric_from_confusion
from driftline.metrics._evaluate import EvaluationReport, evaluate
from driftline.metrics._fairness import FairnessReport, fairness_report
from driftline.metrics._intervals import (
    bca_interval,
    normal_interval,
    percentile_interval,
    wilson_interval,
)
from driftline.metrics._ranking import (
    AUCComponents,
    auc_components,
    average_precision,
    delong_covariance,
    roc_auc,
)
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
    "AUCComponents",
    "BootstrapResult",
    "BrierDecomposition",
    "EvaluationReport",
    "FairnessReport",
    "MetricComparison",
    "MetricResult",
    "ReliabilityCurve",
    "SegmentReport",
    "SliceCondition",
    "SliceReport",
    "SliceResult",
    "accuracy",
    "assign_bins",
    "auc_components",
    "average_precision",
    "bca_interval",
    "bootstrap_confusion_matrices",
    "bootstrap_sums",
    "brier_decomposition",
    "brier_score",
    "compare_metric",
    "confusion_counts",
    "confusion_matrix",
    "delong_covariance",
    "evaluate",
    "expected_calibration_error",
    "f1",
    "fairness_report",
    "find_worst_slices",
    "log_loss",
    "mae",
    "mape",
    "maximum_calibration_error",
    "metric_from_confusion",
    "normal_interval",
    "percentile_interval",
    "pinball_loss",
    "precision",
    "r2",
    "recall",
    "reliability_curve",
    "resample_count_blocks",
    "rmse",
    "roc_auc",
    "segment_metrics",
    "specificity",
    "wilson_interval",
]
