"""Deterministic synthetic data sets used by tests, benchmarks and the docs."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from driftline._params import Interval, check

__all__ = ["DRIFTED_COLUMNS", "make_monitoring_data"]

_CARDINALITIES: Final = (3, 10, 50, 200, 1000)

#: The columns in which :func:`make_monitoring_data` injects drift, and how.
DRIFTED_COLUMNS: Final[dict[str, str]] = {
    "num_00": "mean +0.3 sd (normal)",
    "num_05": "mean +0.3 sd (lognormal)",
    "num_10": "scale x1.5 (uniform)",
    "num_15": "scale x1.3 (bimodal)",
    "cat_02": "top-10 category frequencies reversed (50 categories)",
}


def _category_names(cardinality: int) -> np.ndarray:
    return np.array([f"c{cardinality}_{i:04d}" for i in range(cardinality)], dtype=object)


def _zipf_probabilities(cardinality: int, s: float = 1.1) -> np.ndarray:
    weights = 1.0 / np.arange(1, cardinality + 1) ** s
    return np.asarray(weights / weights.sum())


def _numeric_block(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for i in range(20):
        family, k = divmod(i, 5)
        if family == 0:
            values = rng.normal(loc=10.0 * k, scale=1.0 + k, size=n)
        elif family == 1:
            values = rng.lognormal(mean=0.5 * k, sigma=0.5 + 0.1 * k, size=n)
        elif family == 2:
            values = rng.uniform(low=-k, high=1.0 + 2.0 * k, size=n)
        else:
            first = rng.random(n) < 0.4
            values = np.where(first, rng.normal(-2.0 - k, 1.0, n), rng.normal(2.0 + k, 0.7, n))
        cols[f"num_{i:02d}"] = values.astype(np.float64)
    return cols


def _category_codes(
    rng: np.random.Generator, n: int, cardinality: int, *, reverse_top: int = 0
) -> np.ndarray:
    """Zipf-distributed category codes; ``reverse_top=k`` reverses the top-k frequencies."""
    p = _zipf_probabilities(cardinality)
    if reverse_top:
        p = p.copy()
        p[:reverse_top] = p[:reverse_top][::-1]
    cumulative = np.cumsum(p)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(n), side="right").astype(np.int32)


def _categorical_block(
    rng: np.random.Generator, n: int, *, reverse_top10_in: int | None
) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for j, card in enumerate(_CARDINALITIES):
        codes = _category_codes(rng, n, card, reverse_top=10 if reverse_top10_in == j else 0)
        cols[f"cat_{j:02d}"] = _category_names(card)[codes]
    return cols


def _frame(rng: np.random.Generator, n: int, *, drift: bool) -> pd.DataFrame:
    cols = _numeric_block(rng, n)
    cols.update(_categorical_block(rng, n, reverse_top10_in=2 if drift else None))
    if drift:
        # Shifts are expressed in units of the *population* sd so that every n
        # sees the same effect size.
        cols["num_00"] = cols["num_00"] + 0.3 * 1.0
        lognormal_sd = float(np.sqrt((np.exp(0.25) - 1.0) * np.exp(0.25)))
        cols["num_05"] = cols["num_05"] + 0.3 * lognormal_sd
        cols["num_10"] = 0.5 + (cols["num_10"] - 0.5) * 1.5
        bimodal_mean = 0.4 * -2.0 + 0.6 * 2.0
        cols["num_15"] = bimodal_mean + (cols["num_15"] - bimodal_mean) * 1.3
    z0 = (cols["num_00"] - 0.0) / 1.0
    z10 = (cols["num_10"] - 0.5) / 0.2887
    is_top = (cols["cat_00"] == "c3_0000").astype(np.float64)
    true_logit = -0.3 + 1.2 * z0 - 0.8 * z10 + 0.6 * is_top
    target = (rng.random(n) < 1.0 / (1.0 + np.exp(-true_logit))).astype(np.int64)
    proba = 1.0 / (1.0 + np.exp(-(true_logit + rng.normal(0.0, 0.5, n))))
    frame = pd.DataFrame(cols)
    frame["target"] = target
    frame["proba"] = proba
    frame["y_pred"] = (proba >= 0.5).astype(np.int64)
    return frame


def make_monitoring_data(
    n: int, *, seed: int = 0, drift: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(reference, current)``: the standard monitoring data set of ``BENCHMARKS.md``.

    Both frames have ``n`` rows: 20 numeric columns ``num_00``..``num_19`` (five
    each of normal, lognormal, uniform and bimodal), 5 categorical string columns
    ``cat_00``..``cat_04`` with 3, 10, 50, 200 and 1000 Zipf-distributed
    categories, and ``target``, ``proba`` and ``y_pred``. With ``drift=True`` the
    current frame carries the drift listed in :data:`DRIFTED_COLUMNS`; with
    ``drift=False`` both frames are independent samples of one distribution.

    >>> ref, cur = make_monitoring_data(1_000)
    >>> ref.shape, cur.shape
    ((1000, 28), (1000, 28))
    >>> sorted(DRIFTED_COLUMNS)
    ['cat_02', 'num_00', 'num_05', 'num_10', 'num_15']
    """
    check("make_monitoring_data", "n", n, Interval("int", 1, None))
    rng = np.random.default_rng(seed)
    reference = _frame(rng, n, drift=False)
    current = _frame(rng, n, drift=drift)
    return reference, current
