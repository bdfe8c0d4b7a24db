"""Loading the candidate and champion: scikit-learn objects, ONNX, skops, pickle, predictions.

``onnxruntime`` and ``skops`` are imported lazily (extra ``models``). Pickle (and joblib)
files are refused unless ``allow_pickle=True``, because loading one runs arbitrary code.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from driftline._deps import require
from driftline._params import BOOLEAN, Options, validate_params
from driftline.exceptions import (
    DataError,
    ParameterError,
    SchemaMismatchError,
    SerializationError,
    UnsupportedInputError,
)

__all__ = ["SKOPS_TRUSTED_TYPES", "LoadedModel", "load_model", "load_skops"]

ModelKind = Literal["sklearn", "onnx", "skops", "pickle", "predictions"]
FloatArray = NDArray[np.float64]
#: ``(n, K)`` class probabilities and the class of each column (``None``: not known).
Proba = Callable[[pd.DataFrame], tuple[FloatArray, tuple[Any, ...] | None]]
ClassColumns = Sequence[str] | Mapping[str, str]

#: Types a skops file may contain beyond skops' own defaults (reviewed: plain data holders
#: of fitted scikit-learn models and numpy scalars, no callables).
SKOPS_TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.IdentityLink",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.LogLink",
        "sklearn._loss.link.MultinomialLogit",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss.loss.HalfMultinomialLoss",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss._loss.CyHalfSquaredError",
        "sklearn._loss._loss.CyHalfMultinomialLoss",
        "numpy.float64",
        "numpy.float32",
        "numpy.int64",
        "numpy.int32",
        "numpy.bool_",
        "numpy.dtype",
    }
)

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_PREDICTION_SUFFIXES = (".csv", ".parquet", ".pq", ".csv.gz")


@dataclass(frozen=True)
class LoadedModel:
    """A model (or a column of precomputed scores) ready to score evaluation rows."""

    kind: ModelKind
    source: str
    digest: str | None
    size_bytes: int | None
    predict: Callable[[pd.DataFrame], FloatArray] | None = None
    scores: FloatArray | None = None
    proba: Proba | None = None
    table: Any = None
    class_columns: ClassColumns | None = None

    def _aligned(self, n_rows: int, features: pd.DataFrame) -> None:
        if n_rows != len(features):
            raise SchemaMismatchError(
                f"The predictions in {self.source} have {n_rows} rows but the "
                f"evaluation data has {len(features)}; they must be aligned row by row."
            )

    def score(self, features: pd.DataFrame) -> FloatArray:
        """Positive-class probabilities (binary) or predictions (regression) per row."""
        if self.scores is not None:
            self._aligned(len(self.scores), features)
            return self.scores
        if self.predict is None:
            raise ParameterError(
                f"{self.source} holds per-class probabilities (task 'multiclass'), not one "
                "score per row."
            )
        return self.predict(features)

    def class_scores(
        self, features: pd.DataFrame, classes: Sequence[Any]
    ) -> tuple[FloatArray, tuple[Any, ...]]:
        """``(n, K)`` class probabilities and the class of each column (multiclass).

        A model gives its own classes (scikit-learn's ``classes_``, an ONNX ZipMap's keys);
        a predictions file's columns are matched to ``classes`` by name (see
        :func:`driftline.metrics.match_class_columns`); an ONNX tensor without labels is
        taken in the sorted order of ``classes``.
        """
        from driftline.metrics import match_class_columns

        if self.table is not None:
            given = self.class_columns
            if given is None:
                numeric = [
                    name
                    for name, typ in zip(
                        self.table.column_names, self.table.schema.types, strict=True
                    )
                    if pa_is_numeric(typ)
                ]
                mapping = match_class_columns(numeric, classes, extra=True, exhaustive=False)
            else:
                mapping = match_class_columns(given, classes, extra=True)
            missing = [c for c in mapping.values() if c not in self.table.column_names]
            if missing:
                raise SchemaMismatchError(
                    f"The predictions file {self.source} has no column(s) {missing}; "
                    f"columns: {self.table.column_names}."
                )
            matrix = np.column_stack(
                [_float_column(self.table, c, self.source) for c in mapping.values()]
            )
            self._aligned(matrix.shape[0], features)
            return matrix, tuple(mapping)
        if self.proba is None:
            raise ParameterError(
                f"{self.source} gives no class probabilities (no predict_proba); task "
                "'multiclass' needs them."
            )
        matrix, known = self.proba(features)
        if known is None:
            ordered = tuple(sorted(classes))
            if matrix.shape[1] != len(ordered):
                raise SchemaMismatchError(
                    f"{self.source} gives {matrix.shape[1]} probability columns without class "
                    f"labels, but the target has {len(ordered)} classes {list(ordered)}."
                )
            known = ordered
        return matrix, known


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sklearn_predict(model: Any) -> Callable[[pd.DataFrame], FloatArray]:
    names = getattr(model, "feature_names_in_", None)

    def predict(x: pd.DataFrame) -> FloatArray:
        if names is not None:
            missing = [str(n) for n in names if n not in x.columns]
            if missing:
                raise SchemaMismatchError(
                    f"The model was fitted on columns {missing[:10]}, which are not among the "
                    f"feature columns {list(x.columns)[:20]} (check 'features'/'exclude')."
                )
        frame = x[list(names)] if names is not None else x
        if hasattr(model, "predict_proba"):
            proba = np.asarray(model.predict_proba(frame), dtype=np.float64)
            return proba[:, -1] if proba.ndim == 2 else proba
        if hasattr(model, "decision_function"):
            return np.asarray(model.decision_function(frame), dtype=np.float64).ravel()
        return np.asarray(model.predict(frame), dtype=np.float64).ravel()

    return predict


def _sklearn_proba(model: Any) -> Proba | None:
    """Class probabilities with ``classes_`` (scikit-learn's column order)."""
    if not hasattr(model, "predict_proba"):
        return None
    names = getattr(model, "feature_names_in_", None)

    def proba(x: pd.DataFrame) -> tuple[FloatArray, tuple[Any, ...] | None]:
        frame = x[list(names)] if names is not None and all(n in x.columns for n in names) else x
        matrix = np.asarray(model.predict_proba(frame), dtype=np.float64)
        classes = getattr(model, "classes_", None)
        return matrix, None if classes is None else tuple(np.asarray(classes).tolist())

    return proba


def _from_estimator(model: Any) -> LoadedModel:
    if not (hasattr(model, "predict") or hasattr(model, "predict_proba")):
        raise UnsupportedInputError(
            "A candidate or champion must be a fitted scikit-learn-style estimator (with "
            "predict or predict_proba) or a path to an .onnx, .skops, predictions "
            f"(.csv/.parquet) or pickle file; got {type(model).__name__}."
        )
    try:
        payload: bytes | None = pickle.dumps(model, protocol=5)
    except Exception:  # not picklable: no digest and no size, said in the report
        payload = None
    return LoadedModel(
        "sklearn",
        f"<{type(model).__name__} object>",
        None if payload is None else hashlib.sha256(payload).hexdigest(),
        None if payload is None else len(payload),
        predict=_sklearn_predict(model),
        proba=_sklearn_proba(model),
    )


def _onnx_predict(path: Path) -> tuple[Callable[[pd.DataFrame], FloatArray], Proba]:
    ort = require("onnxruntime", extra="models")
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise SerializationError(f"onnxruntime cannot load {str(path)!r}: {exc}") from exc
    inputs = session.get_inputs()

    def feeds(x: pd.DataFrame) -> dict[str, Any]:
        if len(inputs) == 1:
            dtype = np.int64 if "int64" in inputs[0].type else np.float32
            try:
                return {inputs[0].name: x.to_numpy(dtype=dtype)}
            except (TypeError, ValueError) as exc:
                raise SchemaMismatchError(
                    f"The ONNX model {path.name!r} takes one numeric tensor, but the feature "
                    f"columns {list(x.columns)[:20]} cannot all be read as numbers ({exc}). "
                    "List the model's input columns under 'features' in the policy."
                ) from exc
        out: dict[str, Any] = {}
        for inp in inputs:
            if inp.name not in x.columns:
                raise SchemaMismatchError(
                    f"The ONNX model {path.name!r} expects input {inp.name!r}, which is not a "
                    f"column of the data (columns: {list(x.columns)[:20]})."
                )
            col = x[inp.name].to_numpy()
            if "string" in inp.type:
                out[inp.name] = col.astype(str).astype(object).reshape(-1, 1)
            elif "int64" in inp.type:
                out[inp.name] = col.astype(np.int64).reshape(-1, 1)
            else:
                out[inp.name] = col.astype(np.float32).reshape(-1, 1)
        return out

    def proba(x: pd.DataFrame) -> tuple[FloatArray, tuple[Any, ...] | None]:
        results = session.run(None, feeds(x))
        scores = results[1] if len(results) > 1 else results[0]
        keys: tuple[Any, ...] | None = None
        if isinstance(scores, list):  # ZipMap output: a list of {label: probability}
            keys = tuple(sorted(scores[0])) if scores else ()
            scores = np.array([[row[k] for k in keys] for row in scores])
        return np.asarray(scores, dtype=np.float64), keys

    def predict(x: pd.DataFrame) -> FloatArray:
        arr, _ = proba(x)
        return arr[:, -1] if arr.ndim == 2 and arr.shape[1] > 1 else arr.ravel()

    return predict, proba


def _skops_model(path: Path, trusted: Collection[str]) -> Any:
    sio = require("skops.io", extra="models")
    try:
        untrusted = list(sio.get_untrusted_types(file=str(path)))
    except Exception as exc:
        raise SerializationError(f"{str(path)!r} is not a readable skops file: {exc}") from exc
    refused = sorted(t for t in untrusted if t not in trusted)
    if refused:
        raise SerializationError(
            f"The skops file {str(path)!r} contains types outside driftline's reviewed "
            f"allowlist: {', '.join(refused)}. Review them, then pass them in "
            "trusted_types=[...] (CLI: --trust-type TYPE) if they are safe."
        )
    return sio.load(str(path), trusted=untrusted)


def load_skops(path: str | os.PathLike[str], *, trusted_types: Collection[str] = ()) -> Any:
    """The object in a skops file, refused unless every type it holds is in
    :data:`SKOPS_TRUSTED_TYPES` (or ``trusted_types``): no code runs from an unreviewed type.

    >>> load_skops("missing.skops")
    Traceback (most recent call last):
    ...
    driftline.exceptions.DataError: The model file 'missing.skops' does not exist or is not a file.
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"The model file {str(file)!r} does not exist or is not a file.")
    return _skops_model(file, SKOPS_TRUSTED_TYPES | frozenset(trusted_types))


def pa_is_numeric(typ: Any) -> bool:
    """Whether an Arrow type holds numbers."""
    import pyarrow as pa

    return bool(pa.types.is_integer(typ) or pa.types.is_floating(typ))


def _float_column(table: Any, column: str, source: str) -> FloatArray:
    try:
        values = np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"The column {column!r} of {source!r} must hold numbers ({exc}).") from exc
    if np.isnan(values).any():
        raise DataError(f"The column {column!r} of {source!r} has missing scores.")
    return values


def _predictions_table(path: Path) -> Any:
    from driftline.tabular import to_table

    return to_table(str(path))


def _predictions_file(path: Path, column: str) -> FloatArray:
    table = _predictions_table(path)
    if column not in table.column_names:
        raise SchemaMismatchError(
            f"The predictions file {str(path)!r} has no column {column!r} (set "
            f"candidate_column/champion_column in the policy); columns: {table.column_names}."
        )
    return _float_column(table, column, str(path))


@validate_params(
    {"allow_pickle": [BOOLEAN], "task": [Options("binary", "multiclass", "regression")]}
)
def load_model(
    model: Any,
    *,
    allow_pickle: bool = False,
    predictions_column: str = "score",
    trusted_types: Collection[str] = (),
    task: Literal["binary", "multiclass", "regression"] = "binary",
    class_columns: ClassColumns | None = None,
) -> LoadedModel:
    """Load a candidate or champion from an estimator or a path.

    Paths: ``.onnx`` (onnxruntime), ``.skops`` (skops, types checked against
    :data:`SKOPS_TRUSTED_TYPES` plus ``trusted_types``), ``.csv``/``.parquet``
    (precomputed scores in ``predictions_column``; for ``task="multiclass"`` one
    probability column per class, matched to the classes by name or given as
    ``class_columns``), ``.pkl``/``.pickle``/``.joblib`` (only with ``allow_pickle=True``).

    >>> load_model("model.pkl")
    Traceback (most recent call last):
    ...
    driftline.exceptions.UnsupportedInputError: 'model.pkl' is a pickle file; loading it runs arbitrary code. Use ONNX or skops, or pass allow_pickle=True (CLI: --allow-pickle) if you trust its source.
    """
    if not isinstance(model, str | os.PathLike):
        return _from_estimator(model)
    if task == "multiclass" and str(model).lower().endswith(_PREDICTION_SUFFIXES):
        path = Path(model)
        if not path.is_file():
            raise DataError(f"The model file {str(path)!r} does not exist or is not a file.")
        table = _predictions_table(path)
        return LoadedModel("predictions", str(path), _sha256_file(path), path.stat().st_size,
                           table=table, class_columns=class_columns)  # fmt: skip
    path = Path(model)
    name = path.name.lower()
    if name.endswith(_PICKLE_SUFFIXES) and not allow_pickle:
        raise UnsupportedInputError(
            f"{str(path)!r} is a pickle file; loading it runs arbitrary code. Use ONNX or "
            "skops, or pass allow_pickle=True (CLI: --allow-pickle) if you trust its source."
        )
    if not path.is_file():
        raise DataError(f"The model file {str(path)!r} does not exist or is not a file.")
    digest, size = _sha256_file(path), path.stat().st_size
    if name.endswith(".onnx"):
        predict, proba = _onnx_predict(path)
        return LoadedModel("onnx", str(path), digest, size, predict=predict, proba=proba)
    if name.endswith(".skops"):
        obj = _skops_model(path, SKOPS_TRUSTED_TYPES | frozenset(trusted_types))
        return LoadedModel("skops", str(path), digest, size, predict=_sklearn_predict(obj),
                           proba=_sklearn_proba(obj))  # fmt: skip
    if name.endswith(_PREDICTION_SUFFIXES):
        scores = _predictions_file(path, predictions_column)
        return LoadedModel("predictions", str(path), digest, size, scores=scores)
    if name.endswith(_PICKLE_SUFFIXES):
        if name.endswith(".joblib"):
            obj = require("joblib", extra="models").load(path)
        else:
            with path.open("rb") as fh:
                obj = pickle.load(fh)  # explicit opt-in, recorded in the report
        return LoadedModel("pickle", str(path), digest, size, predict=_sklearn_predict(obj),
                           proba=_sklearn_proba(obj))  # fmt: skip
    raise UnsupportedInputError(
        f"Cannot load {str(path)!r}: supported model files are .onnx, .skops, predictions "
        "(.csv, .parquet) and, with allow_pickle, .pkl/.pickle/.joblib."
    )
