"""Drift detectors built on :mod:`driftline.stats` and :mod:`driftline.profiles`.

Dataset drift reports (univariate and multivariate) and streaming change detectors.
"""

__all__: list[str] = []
