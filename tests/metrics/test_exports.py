from __future__ import annotations

from collections.abc import Mapping

import driftline.metrics as dm

PUBLIC = {
    "METRICS", "HEADLINE_METRICS", "BrierDecomposition", "EvaluationReport", "FairnessReport", "MetricComparison",
    "MetricResult", "MetricSpec", "ReliabilityCurve", "SegmentReport", "SliceCondition",
    "SliceReport", "SliceResult", "accuracy", "average_precision", "brier_decomposition",
    "brier_score", "compare_metric", "confusion_matrix", "evaluate", "evaluation_report",
    "expected_calibration_error", "f1", "fairness_report", "find_worst_slices", "get_metric",
    "log_loss", "mae", "mape", "match_class_columns", "maximum_calibration_error", "pinball_loss", "precision", "r2",
    "recall", "reliability_curve", "rmse", "roc_auc", "segment_metrics", "specificity",
}  # fmt: skip


def test_all_is_exactly_the_public_set() -> None:
    assert set(dm.__all__) == PUBLIC
    assert len(dm.__all__) == len(PUBLIC)
    for name in dm.__all__:
        value = getattr(dm, name)
        if isinstance(value, Mapping | tuple):
            assert name in {"METRICS", "HEADLINE_METRICS"}
            continue
        assert value.__module__.startswith("driftline.metrics._")
        assert value.__doc__, f"{name} has no docstring"


def test_internals_are_not_exported() -> None:
    for name in ("bootstrap_sums", "resample_count_blocks", "wilson_interval", "assign_bins",
                 "metric_from_confusion", "confusion_counts", "delong_covariance"):  # fmt: skip
        assert not hasattr(dm, name), name
