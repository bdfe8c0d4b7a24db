"""Evaluation metrics with confidence intervals.

Classification, regression, calibration, slices and fairness.
"""

__all__: list[str] = []
