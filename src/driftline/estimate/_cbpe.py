"""Confidence-based performance estimation (CBPE) for binary and multiclass classifiers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Self, cast

import numpy as np
import numpy.typing as npt

from driftline._params import Constraints, InstanceOf, Interval, Options, validate
from driftline.estimate._binary import (
    binary_confusion,
    binary_expected,
    binary_realized,
    chunk_orders,
    sorted_midranks,
)
from driftline.estimate._calibration import CalibrationChoice, IsotonicMap, choose_calibration
from driftline.estimate._checks import (
    AssumptionWarning,
    FeatureRanges,
    feature_range_warnings,
    score_range_warnings,
)
from driftline.estimate._chunking import Chunking, ChunkRows
from driftline.estimate._common import build_estimate, chunk_data, reference_bands
from driftline.estimate._data import ColumnSpec, get_array, is_frame, score_matrix
from driftline.estimate._multiclass import (
    multiclass_confusion,
    multiclass_expected,
    multiclass_realized,
)
from driftline.estimate._result import ChunkEstimate, EstimationResult
from driftline.estimate._validation import (
    CHUNKING,
    check_chunking,
    check_metrics,
    estimable_metrics,
)
from driftline.exceptions import DataError, NotFittedError, ParameterError
from driftline.metrics import match_class_columns

__all__ = ["CBPE"]

FloatArray = npt.NDArray[np.float64]
ScoreSpec = ColumnSpec | Sequence[str] | Mapping[Any, str]


def _names_columns(spec: object) -> bool:
    """True when ``spec`` names columns (a name, names, or a class -> name mapping)."""
    if isinstance(spec, str | Mapping):
        return True
    return isinstance(spec, Sequence) and len(spec) > 0 and all(isinstance(s, str) for s in spec)


def _reference_band_warning() -> AssumptionWarning:
    return AssumptionWarning(
        "reference_band_unavailable",
        "info",
        (),
        0.0,
        2.0,
        "The reference gives fewer than 2 chunks under this chunking rule, so there is no "
        "alert band: estimates are reported without alerts.",
    )


class CBPE:
    """Estimate classification performance from scores alone, per chunk, with bands.

    ``fit`` learns on labelled reference data how scores map to probabilities
    (isotonic calibration when it helps); ``estimate`` then computes on unlabeled
    data the expected confusion matrix and metrics under labels drawn from those
    probabilities. Assumes no concept shift: the reference score-to-outcome relation
    must still hold.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.beta(2, 2, 20_000)
    >>> y = rng.random(20_000) < p
    >>> cbpe = CBPE(metrics=("roc_auc", "f1"), chunk_number=4).fit(None, y_score=p, y_true=y)
    >>> result = cbpe.estimate(p[:10_000])
    >>> len(result.chunks), result.chunks[0].metric("roc_auc").value > 0.7
    (4, True)
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "metrics": [InstanceOf((str, Sequence), "a metric name or a list of them"), None],
        "problem": [Options("binary", "multiclass")],
        "calibration": [Options("auto", "isotonic", "none")],
        **CHUNKING,
        "threshold": [Interval("real", None, None)],
        "confidence": [Interval("real", 0, 1, closed="neither")],
    }

    def __init__(
        self,
        *,
        metrics: Sequence[str] | None = None,
        problem: Literal["binary", "multiclass"] = "binary",
        calibration: Literal["auto", "isotonic", "none"] = "auto",
        chunk_size: int | None = None,
        chunk_number: int | None = None,
        chunk_period: str | None = None,
        timestamp_column: str | None = None,
        threshold: float = 0.5,
        confidence: float = 0.95,
    ) -> None:
        params = validate(self, locals())
        self.metrics = check_metrics(metrics, estimable_metrics("binary"))
        self.problem: Literal["binary", "multiclass"] = problem
        self.calibration: Literal["auto", "isotonic", "none"] = calibration
        check_chunking(chunk_size, chunk_number, chunk_period, timestamp_column, owner="CBPE")
        self.chunk_size = chunk_size
        self.chunk_number = chunk_number
        self.chunk_period = chunk_period
        self.timestamp_column = timestamp_column
        self.threshold: float = params["threshold"]
        self.confidence: float = params["confidence"]
        self._rule = Chunking.from_options(chunk_size, chunk_number, chunk_period)

    # ----------------------------------------------------------------- inputs
    def _scores(self, data: object, spec: ScoreSpec) -> FloatArray:
        if self.problem == "multiclass" and _names_columns(spec) and not isinstance(spec, str):
            # Columns are matched to the classes by name, never taken by position.
            mapping = match_class_columns(cast(Any, spec), self.classes_.tolist())
            extra = [c for c in mapping if c not in set(self.classes_.tolist())]
            if extra:
                raise DataError(
                    f"y_score names score columns for class(es) {extra} that the reference "
                    f"labels do not hold (classes: {self.classes_.tolist()})."
                )
            spec = [mapping[c] for c in self.classes_.tolist()]
        if isinstance(spec, Mapping):
            raise ParameterError(
                "y_score as a class -> column mapping is for problem='multiclass'; for "
                "problem='binary' give the positive class's score column."
            )
        scores = score_matrix(data, spec, "y_score")
        if self.problem == "binary" and scores.ndim != 1:
            if scores.ndim == 2 and scores.shape[1] == 2:
                return np.ascontiguousarray(scores[:, 1])
            raise DataError(
                "problem='binary' needs one score column (the positive class's); "
                f"got shape {scores.shape}."
            )
        if self.problem == "multiclass" and scores.ndim != 2:
            raise DataError(
                "problem='multiclass' needs one score column per class; got a 1-D array."
            )
        return scores

    def _binary_labels(self, values: npt.NDArray[Any], what: str) -> npt.NDArray[np.bool_]:
        if values.dtype == np.bool_:
            return values
        ok = values.dtype.kind in "iuf" and bool(((values == 0) | (values == 1)).all())
        if not ok:
            uniq = np.unique(values)
            raise DataError(
                f"{what} must hold binary labels 0/1 (or False/True); got values "
                f"{uniq[:10].tolist()}."
            )
        return np.asarray(values == 1)

    def _class_index(self, values: npt.NDArray[Any], what: str) -> npt.NDArray[np.intp]:
        idx = np.searchsorted(self.classes_, values)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        bad = self.classes_[idx] != values
        if bad.any():
            raise DataError(
                f"{what} holds labels not seen in the reference: "
                f"{np.unique(values[bad])[:10].tolist()}; reference classes are "
                f"{self.classes_.tolist()}."
            )
        return idx.astype(np.intp)

    def _predictions(self, scores: FloatArray, y_pred: npt.NDArray[Any] | None) -> Any:
        if self.problem == "binary":
            if y_pred is None:
                return scores >= self.threshold
            return self._binary_labels(y_pred, "y_pred")
        if y_pred is None:
            return scores.argmax(axis=1).astype(np.intp)
        return self._class_index(y_pred, "y_pred")

    def _probabilities(self, scores: FloatArray, fold: int | None = None) -> FloatArray:
        """Calibrated probabilities, with the full map or with the map fitted without ``fold``.

        Binary callers pass sorted scores: a lookup in score order is ~10x faster.
        """
        maps = [
            cal if fold is None or cal is None else self.fold_calibrators_[c][fold]
            for c, cal in enumerate(self.calibrators_)
        ]
        if self.problem == "binary":
            return scores if maps[0] is None else maps[0](scores)
        cols = [scores[:, c] if cal is None else cal(scores[:, c]) for c, cal in enumerate(maps)]
        p = np.column_stack(cols)
        total = p.sum(axis=1, keepdims=True)
        uniform = np.full_like(p, 1.0 / p.shape[1])
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), uniform)

    def _realized(self, y: Any, pred: Any, scores: FloatArray) -> dict[str, float]:
        if self.problem == "binary":
            return binary_realized(y, pred, scores, self.metrics)
        return multiclass_realized(y, pred, scores, self.metrics)

    # -------------------------------------------------------------------- fit
    def fit(
        self,
        reference: object,
        *,
        y_score: ScoreSpec,
        y_true: ColumnSpec,
        y_pred: ColumnSpec | None = None,
        features: Sequence[str] | None = None,
    ) -> Self:
        """Learn calibration, score range and alert bands from labelled reference data.

        ``y_score``/``y_true``/``y_pred`` are column names of ``reference`` (a pandas
        or polars frame or pyarrow table) or arrays. For multiclass, ``y_score`` is a
        mapping class → column, or one column per class **named after its class**
        (``a``/``b``/``c`` or ``proba_a``/``proba_b``/``proba_c``, in any order; see
        :func:`driftline.metrics.match_class_columns`): names that do not name the classes
        are refused rather than taken by position. An ``(n, K)`` array is taken in sorted
        class order.
        ``features`` (column names) enables the covariate out-of-range check.
        """
        labels = get_array(reference, y_true, "y_true")
        if labels is None:  # pragma: no cover - y_true is required
            raise DataError("y_true is required.")
        if self.problem == "binary":
            self.classes_ = np.array([0, 1])
            y: Any = self._binary_labels(labels, "y_true")
        else:
            self.classes_ = np.unique(labels)
            if len(self.classes_) < 2:
                raise DataError("The reference labels hold fewer than 2 classes.")
            y = self._class_index(labels, "y_true")
        scores = self._scores(reference, y_score)
        if scores.shape[0] != y.size:
            raise DataError(
                f"y_score has {scores.shape[0]} rows but y_true has {y.size}; they must align."
            )
        if self.problem == "multiclass" and scores.shape[1] != len(self.classes_):
            raise DataError(
                f"y_score has {scores.shape[1]} columns but the reference has "
                f"{len(self.classes_)} classes {self.classes_.tolist()}; give one per class."
            )
        pred = self._predictions(scores, get_array(reference, y_pred, "y_pred"))
        self.calibrators_: list[IsotonicMap | None] = []
        self.fold_calibrators_: list[list[IsotonicMap]] = []
        self.calibration_: list[CalibrationChoice] = []
        columns = [scores] if scores.ndim == 1 else [scores[:, c] for c in range(scores.shape[1])]
        order = np.argsort(scores) if self.problem == "binary" else None
        for c, col in enumerate(columns):
            target = y if self.problem == "binary" else (y == c)
            cal, folds, choice = choose_calibration(
                col, target.astype(np.float64), self.calibration, order=order
            )
            self.calibrators_.append(cal)
            self.fold_calibrators_.append(folds)
            self.calibration_.append(choice)
        self.score_range_ = (scores.min(axis=0), scores.max(axis=0))
        self.n_reference_ = int(y.size)
        self._spec = {"y_score": y_score, "y_pred": y_pred}
        self.features_ = list(features or [])
        self.feature_ranges_ = FeatureRanges.fit(
            {f: np.asarray(get_array(reference, f, "features")) for f in self.features_}
        )
        chunks = chunk_data(reference, y.size, self._rule, self.timestamp_column)
        if order is not None:  # binary: reuse the one sort of the scores for every chunk
            orders = chunk_orders(order, [c.rows for c in chunks], y.size)
            self.reference_realized_ = [
                binary_realized(y[c.rows], pred[c.rows], scores[c.rows], self.metrics, order=o)
                for c, o in zip(chunks, orders, strict=True)
            ]
        else:
            self.reference_realized_ = [
                self._realized(y[c.rows], pred[c.rows], scores[c.rows]) for c in chunks
            ]
        self.reference_bands_ = reference_bands(
            self.reference_realized_, self.metrics, bounded=True
        )
        return self

    # --------------------------------------------------------------- estimate
    def estimate(
        self,
        current: object,
        *,
        y_score: ScoreSpec | None = None,
        y_pred: ColumnSpec | None = None,
        y_true: ColumnSpec | None = None,
    ) -> EstimationResult:
        """Estimate the metrics per chunk of unlabeled ``current`` data.

        With a frame, the columns named at ``fit`` are used (override with
        ``y_score``/``y_pred``). With an array, ``current`` is the scores, and the
        predictions are ``y_pred`` if given, else ``score >= threshold`` (binary) or the
        arg-max class. Give ``y_true`` (labels aligned with the rows, or a column name)
        when labels exist: the result then carries realized values and the
        calibration-shift check, as after :meth:`EstimationResult.compare`.
        """
        if not hasattr(self, "calibrators_"):
            raise NotFittedError("This CBPE is not fitted yet. Call 'fit' first.")
        frame = is_frame(current)
        score_spec: Any
        if y_score is not None:
            score_spec = y_score
        elif frame:
            score_spec = self._spec["y_score"]
            if not _names_columns(score_spec):
                raise ParameterError(
                    "This CBPE was fitted on arrays, so estimate(<data frame>) needs "
                    "y_score=<column name, or one per class>."
                )
        else:
            score_spec = current  # an array of scores
        pred_spec: Any = y_pred
        if pred_spec is None and frame and isinstance(self._spec["y_pred"], str):
            pred_spec = self._spec["y_pred"]
        scores = self._scores(current, score_spec)
        if scores.shape[1:] != self.score_range_[0].shape:
            raise DataError("The current scores' shape does not match the reference's.")
        pred = self._predictions(scores, get_array(current, pred_spec, "y_pred"))
        n = scores.shape[0]
        if pred.shape[0] != n:
            raise DataError(f"y_pred has {pred.shape[0]} rows but y_score has {n}.")
        chunks = chunk_data(current, n, self._rule, self.timestamp_column)
        out = [self._chunk(c, pred, scores) for c in chunks]
        keys = [c.key for c in chunks]
        rows = [c.rows for c in chunks]
        warnings = score_range_warnings(scores, *self.score_range_, keys, rows)
        if self.features_ and frame:
            cols = {f: np.asarray(get_array(current, f, "features")) for f in self.features_}
            warnings += feature_range_warnings(self.feature_ranges_, cols, keys, rows)
        if self.reference_bands_ is None:
            warnings.append(_reference_band_warning())

        def realize(labels: Any) -> list[dict[str, float]]:
            values = np.asarray(labels)
            if values.shape[0] != n:
                raise DataError(f"The labels have {values.shape[0]} rows; expected {n}.")
            y = (
                self._binary_labels(values, "labels")
                if self.problem == "binary"
                else self._class_index(values, "labels")
            )
            return [self._realized(y[r], pred[r], scores[r]) for r in rows]

        result = EstimationResult(
            estimator="CBPE",
            problem=self.problem,
            metrics=self.metrics,
            confidence=self.confidence,
            chunks=tuple(out),
            warnings=tuple(warnings),
            classes=tuple(self.classes_.tolist()),
            calibration={
                "calibrated": any(c.calibrated for c in self.calibration_),
                "per_class": [c.to_dict() for c in self.calibration_],
            },
            _realize=realize,
        )
        return result if y_true is None else result.compare(get_array(current, y_true, "y_true"))

    def _chunk(self, chunk: ChunkRows, pred: Any, scores: FloatArray) -> ChunkEstimate:
        r = chunk.rows
        score = scores[r]
        ranks = None
        if self.problem == "binary":
            # Work in this chunk's score order: the metrics do not depend on row order,
            # the calibration lookups are faster on sorted scores, and the ranks are free.
            order = np.argsort(score)
            score = score[order]
            chunk_pred = pred[r][order]
            ranks = sorted_midranks(score) if "roc_auc" in self.metrics else None
        else:
            chunk_pred = pred[r]
        n_folds = max((len(f) for f in self.fold_calibrators_), default=0)
        p = self._probabilities(score)
        p_folds = [self._probabilities(score, fold=k) for k in range(n_folds)]
        expected, jackknife = self._expected(p, p_folds, chunk_pred, score, ranks)
        matrix: tuple[tuple[float, ...], ...]
        sds: tuple[tuple[float, ...], ...]
        if self.problem == "binary":
            conf = binary_confusion(p, chunk_pred)
            matrix = ((conf["tn"][0], conf["fp"][0]), (conf["fn"][0], conf["tp"][0]))
            sds = ((conf["tn"][1], conf["fp"][1]), (conf["fn"][1], conf["tp"][1]))
        else:
            matrix = tuple(
                tuple(float(x) for x in row) for row in multiclass_confusion(p, chunk_pred)
            )
            # A true-class column of predicted class d is a sum of independent Bernoullis.
            onehot = np.zeros((chunk.n_rows, p.shape[1]))
            onehot[np.arange(chunk.n_rows), chunk_pred] = 1.0
            var = np.einsum("ic,id->cd", p * (1 - p), onehot)
            sds = tuple(tuple(float(np.sqrt(x)) for x in row) for row in var)
        metrics = tuple(
            build_estimate(
                m,
                *expected[m],
                n_rows=chunk.n_rows,
                n_reference=self.n_reference_,
                confidence=self.confidence,
                bands=self.reference_bands_,
                bounds=(0.0, 1.0),
                estimate_error=jackknife[m],
            )
            for m in self.metrics
        )
        return ChunkEstimate(chunk.key, chunk.start, chunk.end, chunk.n_rows, metrics, matrix, sds)

    def _expected(
        self,
        p: FloatArray,
        p_folds: list[FloatArray],
        pred: Any,
        score: FloatArray,
        ranks: FloatArray | None,
    ) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
        """Expected metrics with the full calibration, and their delete-a-fold jackknife sd.

        Each fold map was fitted on the reference without one of K folds; the spread
        of the K estimates gives ``Var ≈ (K - 1) / K · Σ_k (θ_k - θ̄)²``. Without
        calibration (raw scores used as probabilities) the term is 0.
        """

        def expect(q: FloatArray) -> dict[str, tuple[float, float]]:
            if self.problem == "binary":
                return binary_expected(q, pred, score, self.metrics, ranks=ranks)
            return multiclass_expected(q, pred, score, self.metrics)

        expected = expect(p)
        folds = [expect(q) for q in p_folds]
        k = len(folds)
        jackknife = {}
        for m in self.metrics:
            values = np.array([f[m][0] for f in folds])
            jackknife[m] = (
                float(np.sqrt((k - 1) / k * np.sum((values - values.mean()) ** 2))) if k else 0.0
            )
        return expected, jackknife
