"""Regression metrics with intervals: MAE, RMSE, MAPE, R² and the pinball (quantile) loss."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from driftline._params import Interval, validate_params
from driftline.exceptions import InsufficientDataError
from driftline.metrics._core import (
    CI_METHODS,
    CIMethod,
    bootstrap_result,
    check_common,
    influence_se,
    mean_loss_result,
    resolve_ci,
)
from driftline.metrics._intervals import normal_interval
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import (
    FloatArray,
    RandomState,
    as_float,
    as_weights,
    check_float,
    check_lengths,
    resampling,
)

__all__ = ["mae", "mape", "pinball_loss", "r2", "rmse"]


def _prepare(
    y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    yt = as_float("y_true", y_true)
    yp = as_float("y_pred", y_pred)
    n = check_lengths(y_true=yt, y_pred=yp)
    return yt, yp, as_weights(sample_weight, n)


@validate_params(resampling(CI_METHODS))
def mae(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Mean absolute error; analytic interval is the normal one for a mean (delta method).

    >>> mae([1.0, 2.0, 3.0], [1.5, 2.0, 2.0]).value
    0.5
    """
    confidence = check_common(confidence, n_resamples)
    yt, yp, w = _prepare(y_true, y_pred, sample_weight)
    return mean_loss_result(
        "mae", np.abs(yt - yp), w, ci=ci, confidence=confidence, n_resamples=n_resamples,
        random_state=random_state,
    )  # fmt: skip


@validate_params(resampling(CI_METHODS))
def rmse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Root mean squared error; delta-method interval ``se(MSE) / (2 RMSE)`` or bootstrap.

    >>> rmse([1.0, 2.0, 3.0], [1.0, 2.0, 6.0]).value
    1.7320508075688772
    """
    confidence = check_common(confidence, n_resamples)
    yt, yp, w = _prepare(y_true, y_pred, sample_weight)
    return mean_loss_result(
        "rmse", (yt - yp) ** 2, w, ci=ci, confidence=confidence, n_resamples=n_resamples,
        random_state=random_state, sqrt=True,
    )  # fmt: skip


@validate_params(resampling(CI_METHODS))
def mape(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Mean absolute percentage error as a fraction, ``|y - ŷ| / max(|y|, eps)``.

    Same definition as scikit-learn (not multiplied by 100). Heavy-tailed when some
    ``y`` are near zero: prefer ``ci="bca"`` on small samples.

    >>> mape([100.0, 200.0], [110.0, 180.0]).value
    0.1
    """
    confidence = check_common(confidence, n_resamples)
    yt, yp, w = _prepare(y_true, y_pred, sample_weight)
    eps = np.finfo(np.float64).eps
    loss = np.abs(yt - yp) / np.maximum(np.abs(yt), eps)
    return mean_loss_result(
        "mape", loss, w, ci=ci, confidence=confidence, n_resamples=n_resamples,
        random_state=random_state,
    )  # fmt: skip


@validate_params({**resampling(CI_METHODS), "alpha": [Interval("real", 0, 1, closed="neither")]})
def pinball_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    alpha: float = 0.5,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Quantile (pinball) loss of predictions of the ``alpha`` quantile.

    ``alpha * max(y - q, 0) + (1 - alpha) * max(q - y, 0)``, averaged; equals
    scikit-learn's ``mean_pinball_loss``. ``alpha=0.5`` gives half the MAE.

    >>> pinball_loss([1.0, 2.0, 3.0], [2.0, 2.0, 2.0], alpha=0.9).value
    0.3333333333333333
    """
    confidence = check_common(confidence, n_resamples)
    alpha = check_float("alpha", alpha, low=0.0, high=1.0)
    yt, yp, w = _prepare(y_true, y_pred, sample_weight)
    diff = yt - yp
    loss = np.where(diff >= 0, alpha * diff, (alpha - 1.0) * diff)
    return mean_loss_result(
        f"pinball_{alpha:g}", loss, w, ci=ci, confidence=confidence,
        n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip


def _r2_from_sums(s: FloatArray) -> FloatArray:
    """Sums ``[w e², w y, w y², w]`` to R²."""
    sse, sy, syy, sw = s[..., 0], s[..., 1], s[..., 2], s[..., 3]
    sst = syy - sy * sy / sw
    out: FloatArray = 1.0 - sse / sst
    return out


@validate_params(resampling(CI_METHODS))
def r2(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: CIMethod = "auto",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> MetricResult:
    """Coefficient of determination ``1 - SSE / SST``; delta-method interval or bootstrap.

    Raises :class:`InsufficientDataError` when ``y_true`` is constant (R² undefined).

    >>> r2([1.0, 2.0, 3.0, 4.0], [1.1, 1.9, 3.2, 3.9]).value
    0.986
    """
    confidence = check_common(confidence, n_resamples)
    yt, yp, w = _prepare(y_true, y_pred, sample_weight)
    ww = np.ones_like(yt) if w is None else w
    sw = ww.sum()
    ybar = float(ww @ yt / sw)
    e2 = (yt - yp) ** 2
    d2 = (yt - ybar) ** 2
    mse, var = float(ww @ e2 / sw), float(ww @ d2 / sw)
    if var <= 0:
        raise InsufficientDataError("R² is undefined when y_true is constant.")
    value = 1.0 - mse / var
    method = resolve_ci(ci, "delta", metric="r2")
    if method == "delta":
        infl = -(ww / sw) * ((e2 - mse) / var - mse * (d2 - var) / var**2)
        lo, hi = normal_interval(value, influence_se(infl), confidence=confidence, upper=1.0)
        return MetricResult("r2", value, lo, hi, confidence, "delta", yt.size)
    terms = np.column_stack([ww * e2, ww * yt, ww * yt * yt, ww])
    res = bootstrap_result(
        "r2", terms, _r2_from_sums, n=yt.size, method=method, confidence=confidence,
        n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip
    return MetricResult("r2", value, res.ci_low, res.ci_high, confidence, res.method, yt.size)
