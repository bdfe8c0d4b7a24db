"""Public conformance checks, hypothesis strategies and synthetic data sets for tests.

>>> from driftline.testing import make_monitoring_data
>>> reference, current = make_monitoring_data(100)
>>> len(reference)
100
"""

from driftline.testing._datasets import DRIFTED_COLUMNS, make_monitoring_data
from driftline.testing._drift_checks import check_change_detector, check_drift_method
from driftline.testing._gate_checks import check_gate_check
from driftline.testing._notifier_checks import check_notifier
from driftline.testing._profile_checks import (
    assert_profiles_equivalent,
    check_mergeable,
    check_roundtrip,
    check_size_bound,
)
from driftline.testing._stat_checks import (
    check_count_distance,
    check_sample_distance,
    check_two_sample_test,
)

__all__ = [
    "DRIFTED_COLUMNS",
    "assert_profiles_equivalent",
    "check_change_detector",
    "check_count_distance",
    "check_drift_method",
    "check_gate_check",
    "check_mergeable",
    "check_notifier",
    "check_roundtrip",
    "check_sample_distance",
    "check_size_bound",
    "check_two_sample_test",
    "make_monitoring_data",
]
