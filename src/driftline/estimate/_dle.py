"""Direct loss estimation (DLE) for regressors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from driftline._params import Constraints, InstanceOf, Interval, validate
from driftline.estimate._checks import FeatureRanges, feature_range_warnings, score_range_warnings
from driftline.estimate._chunking import Chunking
from driftline.estimate._common import build_estimate, chunk_data, reference_bands
from driftline.estimate._data import ColumnSpec, get_array, is_frame
from driftline.estimate._result import ChunkEstimate, EstimationResult
from driftline.estimate._validation import (
    CHUNKING,
    check_chunking,
    check_metrics,
    estimable_metrics,
)
from driftline.exceptions import DataError, InsufficientDataError, NotFittedError, ParameterError
from driftline.metrics import get_metric

__all__ = ["DLE"]

FloatArray = npt.NDArray[np.float64]
#: Categorical features with at most this many reference values use native categories.
_MAX_NATIVE_CATEGORIES = 250
_EPS = float(np.finfo(np.float64).eps)


def _row_losses(y: FloatArray, pred: FloatArray, metrics: Sequence[str]) -> dict[str, FloatArray]:
    """Each metric's per-row loss (the registry's ``row_loss``): the nuisance targets."""
    out = {}
    for name in metrics:
        row_loss = get_metric(name).row_loss
        if row_loss is None:
            raise ParameterError(f"DLE estimates means of per-row losses; {name!r} is not one.")
        out[name] = row_loss(y, pred)
    return out


def _realized(y: FloatArray, pred: FloatArray, metrics: Sequence[str]) -> dict[str, float]:
    out = {}
    for name, loss in _row_losses(y, pred, metrics).items():
        mean = float(loss.mean())
        out[name] = float(np.sqrt(mean)) if get_metric(name).root else mean
    return out


class DLE:
    """Estimate a regressor's MAE, RMSE and MAPE per chunk without labels, with bands.

    ``fit`` trains nuisance models (scikit-learn ``HistGradientBoostingRegressor``) on
    reference features plus the model's prediction to predict each row's loss of each
    metric (the metric registry's ``row_loss``: absolute, squared and absolute-percentage
    error), with 2-fold cross-fitting; ``estimate``
    averages their predictions per chunk. Assumes the reference error structure
    still holds (no concept shift). ``n_threads`` caps the OpenMP threads of the
    nuisance models (default 1: on a busy machine OpenMP's spinning threads were
    measured ~100x slower; ``None`` lets OpenMP decide).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=4_000)
    >>> df = pd.DataFrame({"x": x, "pred": 2 * x, "y": 2 * x + rng.normal(0, 1 + np.abs(x))})
    >>> dle = DLE(chunk_number=2, max_iter=20).fit(df, features=["x"], y_pred="pred", y_true="y")
    >>> result = dle.estimate(df.drop(columns="y"))
    >>> 1.0 < result.chunks[0].metric("mae").value < 2.0
    True
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "metrics": [InstanceOf((str, Sequence), "a metric name or a list of them"), None],
        **CHUNKING,
        "confidence": [Interval("real", 0, 1, closed="neither")],
        "max_iter": [Interval("int", 1, None)],
        "random_state": [Interval("int", 0, None)],
        "n_threads": [Interval("int", 1, None), None],
    }

    def __init__(
        self,
        *,
        metrics: Sequence[str] | None = None,
        chunk_size: int | None = None,
        chunk_number: int | None = None,
        chunk_period: str | None = None,
        timestamp_column: str | None = None,
        confidence: float = 0.95,
        max_iter: int = 100,
        random_state: int = 0,
        n_threads: int | None = 1,
    ) -> None:
        params = validate(self, locals())
        self.metrics = check_metrics(metrics, estimable_metrics("regression"), owner="DLE")
        check_chunking(chunk_size, chunk_number, chunk_period, timestamp_column, owner="DLE")
        self.chunk_size = chunk_size
        self.chunk_number = chunk_number
        self.chunk_period = chunk_period
        self.timestamp_column = timestamp_column
        self.confidence: float = params["confidence"]
        self.max_iter: int = params["max_iter"]
        self.random_state: int = params["random_state"]
        self.n_threads: int | None = params["n_threads"]
        self._rule = Chunking.from_options(chunk_size, chunk_number, chunk_period)

    def _matrix(self, data: object, pred: FloatArray) -> FloatArray:
        cols = []
        for name in self.features_:
            values = np.asarray(get_array(data, name, "features"))
            if name in self._categories:
                codes = pd.Index(self._categories[name]).get_indexer(values).astype(np.float64)
                codes[codes < 0] = np.nan  # unseen category -> missing
                cols.append(codes)
            else:
                try:
                    cols.append(values.astype(np.float64))
                except (TypeError, ValueError) as exc:
                    raise DataError(f"Feature {name!r} cannot be read as numbers: {exc}") from exc
        cols.append(pred)
        return np.column_stack(cols)

    def _model(self, categorical: list[bool]) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            categorical_features=np.array(categorical) if any(categorical) else None,
            random_state=self.random_state,
        )

    def fit(
        self,
        reference: object,
        *,
        features: Sequence[str],
        y_pred: ColumnSpec,
        y_true: ColumnSpec,
    ) -> Self:
        """Train the nuisance models on labelled reference data (a data frame)."""
        with threadpool_limits(limits=self.n_threads):
            return self._fit(reference, features=features, y_pred=y_pred, y_true=y_true)

    def _fit(
        self,
        reference: object,
        *,
        features: Sequence[str],
        y_pred: ColumnSpec,
        y_true: ColumnSpec,
    ) -> Self:
        if not is_frame(reference):
            raise DataError("DLE.fit needs the reference as a data frame holding 'features'.")
        self.features_ = list(features)
        raw = {f: np.asarray(get_array(reference, f, "features")) for f in self.features_}
        self._categories = {f: pd.unique(v) for f, v in raw.items() if v.dtype.kind not in "iufb"}
        pred = np.asarray(get_array(reference, y_pred, "y_pred"), dtype=np.float64)
        y = np.asarray(get_array(reference, y_true, "y_true"), dtype=np.float64)
        n = y.size
        if n < 20 or pred.size != n:
            raise InsufficientDataError(
                f"DLE needs >= 20 aligned reference rows; got {n} labels, {pred.size} predictions."
            )
        x = self._matrix(reference, pred)
        categorical = [
            f in self._categories and len(self._categories[f]) <= _MAX_NATIVE_CATEGORIES
            for f in self.features_
        ] + [False]
        fold = np.random.default_rng(self.random_state).permutation(n) % 2 == 0
        errors = _row_losses(y, pred, self.metrics)
        self.models_: dict[str, list[HistGradientBoostingRegressor]] = {}
        self.variance_factor_: dict[str, float] = {}
        for t in self.metrics:
            oof = np.empty(n)
            models = []
            for train in (fold, ~fold):
                model = self._model(categorical).fit(x[train], errors[t][train])
                oof[~train] = np.maximum(model.predict(x[~train]), 0.0)
                models.append(model)
            self.models_[t] = models
            # Var(error_i | x) ≈ factor · predicted_i², the factor fitted out of fold.
            self.variance_factor_[t] = float(
                np.mean((errors[t] - oof) ** 2) / max(float(np.mean(oof**2)), _EPS)
            )
        self.n_reference_ = n
        self.prediction_range_ = (np.array(pred.min()), np.array(pred.max()))
        self.feature_ranges_ = FeatureRanges.fit(raw)
        self._spec = {"y_pred": y_pred}
        chunks = chunk_data(reference, n, self._rule, self.timestamp_column)
        self.reference_realized_ = [
            _realized(y[c.rows], pred[c.rows], self.metrics) for c in chunks
        ]
        self.reference_bands_ = reference_bands(
            self.reference_realized_, self.metrics, bounded=False
        )
        return self

    def _predict(self, x: FloatArray) -> dict[str, FloatArray]:
        with threadpool_limits(limits=self.n_threads):
            return {
                t: np.maximum(np.mean([m.predict(x) for m in models], axis=0), 0.0)
                for t, models in self.models_.items()
            }

    def estimate(
        self, current: object, *, y_pred: ColumnSpec | None = None, y_true: ColumnSpec | None = None
    ) -> EstimationResult:
        """Estimate MAE / RMSE / MAPE per chunk of ``current`` (a data frame without labels)."""
        if not hasattr(self, "models_"):
            raise NotFittedError("This DLE is not fitted yet. Call 'fit' first.")
        if not is_frame(current):
            raise DataError("DLE.estimate needs the current data as a data frame.")
        spec = y_pred if y_pred is not None else self._spec["y_pred"]
        pred = np.asarray(get_array(current, spec, "y_pred"), dtype=np.float64)
        hat = self._predict(self._matrix(current, pred))
        n = pred.size
        chunks = chunk_data(current, n, self._rule, self.timestamp_column)
        out = []
        for c in chunks:
            r = c.rows
            k = c.n_rows
            est: dict[str, tuple[float, float]] = {}
            for metric in self.metrics:
                h = hat[metric][r]
                mean = float(h.mean())
                sd = float(np.sqrt(self.variance_factor_[metric] * np.einsum("i,i->", h, h)) / k)
                if get_metric(metric).root:  # RMSE = sqrt(MSE): delta method for the sd
                    root = float(np.sqrt(mean))
                    est[metric] = (root, sd / (2.0 * root) if root > 0 else 0.0)
                else:
                    est[metric] = (mean, sd)
            metrics = tuple(
                build_estimate(
                    m,
                    *est[m],
                    n_rows=k,
                    n_reference=self.n_reference_,
                    confidence=self.confidence,
                    bands=self.reference_bands_,
                    bounds=(0.0, float("inf")),
                )
                for m in self.metrics
            )
            out.append(ChunkEstimate(c.key, c.start, c.end, k, metrics))
        keys = [c.key for c in chunks]
        rows = [c.rows for c in chunks]
        warnings = score_range_warnings(
            pred, *self.prediction_range_, keys, rows, check="prediction_out_of_range"
        )
        cols: dict[str, Any] = {
            f: np.asarray(get_array(current, f, "features")) for f in self.features_
        }
        warnings += feature_range_warnings(self.feature_ranges_, cols, keys, rows)

        def realize(labels: Any) -> list[dict[str, float]]:
            y = np.asarray(labels, dtype=np.float64)
            if y.size != n:
                raise DataError(f"The labels have {y.size} rows; expected {n}.")
            return [_realized(y[r], pred[r], self.metrics) for r in rows]

        result = EstimationResult(
            estimator="DLE",
            problem="regression",
            metrics=self.metrics,
            confidence=self.confidence,
            chunks=tuple(out),
            warnings=tuple(warnings),
            _realize=realize,
        )
        return result if y_true is None else result.compare(get_array(current, y_true, "y_true"))
