"""DLE: estimated MAE / RMSE / MAPE track the realized values within their bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.estimate import DLE
from driftline.exceptions import DataError, NotFittedError, ParameterError


def _simulate(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    group = rng.choice(np.array(["u", "v", "w"]), n)
    noise_sd = 0.5 + np.abs(x) + (group == "w")
    pred = 3.0 + 2.0 * x
    y = pred + rng.normal(0.0, noise_sd, n)
    return pd.DataFrame({"x": x, "group": group, "pred": pred, "y": y})


def test_dle_tracks_heteroscedastic_error_under_covariate_shift() -> None:
    ref = _simulate(20_000, seed=1)
    cur = _simulate(20_000, seed=2, shift=0.6)
    dle = DLE(chunk_size=2_000, max_iter=50)
    dle.fit(ref, features=["x", "group"], y_pred="pred", y_true="y")
    result = dle.estimate(cur, y_true="y")
    for m in ("mae", "rmse"):
        est = np.array([c.metric(m).value for c in result.chunks])
        real = np.array([c.metric(m).realized for c in result.chunks])
        sd = np.array([c.metric(m).sampling_error for c in result.chunks])
        assert np.abs(est - real).mean() < 2.0 * sd.mean(), m
        cover = np.mean([c.metric(m).realized_in_band for c in result.chunks])
        assert cover >= 0.7, (m, cover)
    # The shift raises the error (noise grows with |x|), so the estimate must rise too.
    ref_mae = np.mean([r["mae"] for r in dle.reference_realized_])
    assert result.values("mae").mean() > ref_mae * 1.05


def test_dle_checks_and_validation() -> None:
    ref = _simulate(3_000, seed=3)
    with pytest.raises(ParameterError, match="'metrics'"):
        DLE(metrics=("r2",))
    with pytest.raises(NotFittedError):
        DLE().estimate(ref)
    dle = DLE(chunk_number=3, max_iter=10).fit(
        ref, features=["x", "group"], y_pred="pred", y_true="y"
    )
    far = _simulate(3_000, seed=4, shift=4.0)
    checks = {w.check for w in dle.estimate(far).warnings}
    assert {"prediction_out_of_range", "covariate_out_of_range"} <= checks
    with pytest.raises(DataError, match="data frame"):
        dle.estimate(np.zeros((3, 3)))
    assert dle.estimate(ref).to_frame().shape[0] == 9
