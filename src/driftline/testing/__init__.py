"""Public conformance checks, hypothesis strategies and synthetic data sets for tests.

>>> from driftline.testing import make_monitoring_data
>>> reference, current = make_monitoring_data(100)
>>> len(reference)
100
"""

from driftline.testing._datasets import DRIFTED_COLUMNS, make_monitoring_data

__all__ = ["DRIFTED_COLUMNS", "make_monitoring_data"]
