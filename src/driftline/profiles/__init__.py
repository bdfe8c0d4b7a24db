"""Mergeable, serializable column profiles: the currency of monitoring.

Counts, nulls, moments, a quantile sketch, a distinct-count sketch, frequent items
and histograms per column, with ``profile(a) + profile(b) == profile(a ∪ b)``
(exactly for counts and extremes, within stated bounds for sketches).

>>> import numpy as np
>>> from driftline.profiles import profile
>>> p = profile({"x": np.arange(10.0)})
>>> p["x"].count, p["x"].max
(10, 9.0)
"""

from driftline.profiles._boolean import BooleanProfile
from driftline.profiles._categorical import CategoricalProfile
from driftline.profiles._column import ColumnKind, ColumnProfile
from driftline.profiles._dataset import DatasetProfile, profile
from driftline.profiles._frequent import FrequentItems
from driftline.profiles._numeric import NumericProfile
from driftline.profiles._quality import (
    QualityFinding,
    QualityReport,
    QualityThresholds,
    check_quality,
)
from driftline.profiles._quantiles import QuantileSketch
from driftline.profiles._serialize import FORMAT_VERSION

__all__ = [
    "FORMAT_VERSION",
    "BooleanProfile",
    "CategoricalProfile",
    "ColumnKind",
    "ColumnProfile",
    "DatasetProfile",
    "FrequentItems",
    "NumericProfile",
    "QualityFinding",
    "QualityReport",
    "QualityThresholds",
    "QuantileSketch",
    "check_quality",
    "profile",
]
