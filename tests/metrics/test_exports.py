from __future__ import annotations

import driftline.metrics as dm

PUBLIC = {
    "AUCComponents", "BootstrapResult", "BrierDecomposition", "EvaluationReport",
    "FairnessReport", "MetricComparison", "MetricResult", "ReliabilityCurve", "SegmentReport",
    "SliceCondition", "SliceReport", "SliceResult", "accuracy", "assign_bins", "auc_components",
    "average_precision", "bca_interval", "bootstrap_confusion_matrices",
    "bootstrap_sums", "brier_decomposition", "brier_score", "compare_metric",
    "confusion_counts", "confusion_matrix", "delong_covariance", "evaluate",
    "expected_calibration_error", "f1", "fairness_report", "find_worst_slices", "log_loss",
    "mae", "mape", "maximum_calibration_error", "metric_from_confusion", "normal_interval",
    "percentile_interval", "pinball_loss", "precision", "r2", "recall", "reliability_curve",
    "resample_count_blocks", "rmse", "roc_auc", "segment_metrics", "specificity",
    "wilson_interval",
}  # fmt: skip


def test_all_is_exactly_the_public_set() -> None:
    assert set(dm.__all__) == PUBLIC
    assert len(dm.__all__) == len(PUBLIC)
    for name in dm.__all__:
        assert getattr(dm, name).__module__.startswith("driftline.metrics._")
