"""Drift detectors built on :mod:`driftline.stats` and :mod:`driftline.profiles`.

Dataset drift reports (univariate and multivariate) and streaming change detectors.

Dataset drift compares current data with a reference, column by column:

>>> from driftline.drift import DriftDetector
>>> from driftline.testing import make_monitoring_data
>>> reference, current = make_monitoring_data(5_000)
>>> features = reference.filter(regex="^(num|cat)_").columns
>>> sorted(DriftDetector(columns=features).fit(reference).compare(current).drifted_columns)
['cat_02', 'num_00', 'num_05', 'num_10', 'num_15']

Each column is judged by a registered method (:func:`drift_methods`):

>>> sorted(drift_methods())
['anderson', 'chi2', 'cvm', 'g_test', 'hellinger', 'jensen_shannon', 'ks', 'psi', 'total_variation', 'wasserstein']

Streaming change detectors watch one number per event (an error indicator, a score, a
feature value) and signal when its distribution changes:

>>> import numpy as np
>>> from driftline.drift import ADWIN, CUSUM, KSWIN, PageHinkley
>>> rng = np.random.default_rng(0)
>>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 1000)])
>>> [type(d).__name__ for d in (ADWIN(), PageHinkley(), CUSUM(), KSWIN(seed=1))
...  if d.update_many(stream).detections]
['ADWIN', 'PageHinkley', 'CUSUM', 'KSWIN']
"""

from __future__ import annotations

from driftline.drift._detector import DriftDetector
from driftline.drift._methods import DriftMethod, drift_methods
from driftline.drift._multivariate import (
    DomainClassifierDetector,
    MultivariateDrift,
    PCAReconstructionDetector,
)
from driftline.drift._report import DriftChunk, DriftReport
from driftline.drift._result import ColumnDrift
from driftline.drift._streaming import ADWIN, CUSUM, KSWIN, ChangeDetector, PageHinkley

__all__ = [
    "ADWIN",
    "CUSUM",
    "KSWIN",
    "ChangeDetector",
    "ColumnDrift",
    "DomainClassifierDetector",
    "DriftChunk",
    "DriftDetector",
    "DriftMethod",
    "DriftReport",
    "MultivariateDrift",
    "PCAReconstructionDetector",
    "PageHinkley",
    "drift_methods",
]
