"""Simulated data for the estimation tests: the score is a sufficient statistic of x."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate(
    n: int,
    *,
    seed: int,
    shift: float = 0.0,
    scale: float = 1.0,
    concept: float = 0.0,
    miscalibrate: bool = False,
) -> pd.DataFrame:
    """x ~ N(shift, scale) (covariate shift); P(y | x) = sigmoid(1.5 x - 0.3 + concept).

    The model's score is sigmoid(1.5 x - 0.3) (calibrated on the reference), or its
    square root (miscalibrated but monotone) when ``miscalibrate``.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, scale, n)
    z = rng.normal(0.0, 1.0, n)
    logit = 1.5 * x - 0.3
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-(logit + concept)))
    score = 1.0 / (1.0 + np.exp(-logit))
    if miscalibrate:
        score = np.sqrt(score)
    return pd.DataFrame({"x": x, "z": z, "score": score, "y": y.astype(np.int64)})
