"""Reference-based bins for numeric columns, shared by PSI and Jensen–Shannon.

Interior edges are quantiles of the reference at ``1/k, 2/k, …, (k-1)/k``; the outer bins
are open-ended, so every current value falls in a bin even outside the reference range:
bins are ``(-inf, e1], (e1, e2], …, (e_{k-1}, +inf)``. Repeated quantiles (heavy ties,
e.g. many zeros) are merged, so a column can get fewer than ``k`` bins; a constant
reference gets two bins, ``(-inf, c]`` and ``(c, +inf)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import Interval, validate_params
from driftline.exceptions import ParameterError
from driftline.stats._validation import as_sample

__all__ = ["bin_counts", "reference_bin_edges"]


@validate_params({"n_bins": [Interval("int", 2, None)]})
def reference_bin_edges(ref: ArrayLike, *, n_bins: int = 10) -> NDArray[np.float64]:
    """Interior bin edges: distinct reference quantiles at ``i / n_bins`` (see module docs).

    >>> reference_bin_edges([1.0, 2.0, 3.0, 4.0, 5.0], n_bins=4).tolist()
    [2.0, 3.0, 4.0]
    """
    n_bins = int(n_bins)
    x = as_sample("ref", ref)
    probs = np.arange(1, n_bins) / n_bins
    return np.unique(np.quantile(x, probs))


def bin_counts(values: ArrayLike, edges: ArrayLike) -> NDArray[np.int64]:
    """Count ``values`` into the open-ended bins defined by sorted interior ``edges``.

    Returns ``len(edges) + 1`` counts; bin ``i`` is ``(edges[i-1], edges[i]]``.

    >>> bin_counts([0.5, 2.0, 2.5, 9.0], [2.0, 3.0, 4.0]).tolist()
    [2, 1, 0, 1]
    """
    x = as_sample("values", values, min_size=0)
    e = as_sample("edges", edges, min_size=0)
    if e.size > 1 and bool((np.diff(e) <= 0).any()):
        raise ParameterError("The 'edges' parameter must be strictly increasing.")
    idx = np.searchsorted(e, x, side="left")
    return np.bincount(idx, minlength=e.size + 1).astype(np.int64, copy=False)
