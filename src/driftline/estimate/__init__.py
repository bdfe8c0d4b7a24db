"""Label-free performance estimation (CBPE for classifiers, DLE for regressors).

>>> import numpy as np
>>> from driftline.estimate import CBPE
>>> rng = np.random.default_rng(0)
>>> p = rng.beta(2, 2, 10_000)
>>> result = CBPE(chunk_size=5_000).fit(None, y_score=p, y_true=rng.random(10_000) < p).estimate(p)
>>> [c.n_rows for c in result.chunks]
[5000, 5000]
"""

from __future__ import annotations

from driftline.estimate._cbpe import CBPE
from driftline.estimate._checks import AssumptionWarning
from driftline.estimate._dle import DLE
from driftline.estimate._result import ChunkEstimate, EstimationResult, MetricEstimate

__all__ = [
    "CBPE",
    "DLE",
    "AssumptionWarning",
    "ChunkEstimate",
    "EstimationResult",
    "MetricEstimate",
]
