"""Runtimes: an ONNX model (onnxruntime) or a skops file (scikit-learn, reviewed types only),
loaded once, with its signature, and a ``predict`` over validated columns.

``predict`` is called from one thread at a time per model (the batcher's), with a whole
batch of rows.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from driftline._deps import require
from driftline.exceptions import DataError, SerializationError, UnsupportedInputError
from driftline.serve._signature import Columns, Dtype, Feature, Signature

__all__ = ["Outputs", "ServedModel", "load_model"]

Task = Literal["binary", "multiclass", "regression"]


@dataclass(frozen=True)
class Outputs:
    """A batch's results: ``predictions`` (a label or value per row) and, for classifiers,
    ``probabilities`` (``rows x classes``, columns in the order of ``classes``)."""

    predictions: NDArray[Any]
    probabilities: NDArray[np.float64] | None = None

    def slice(self, start: int, stop: int) -> Outputs:
        proba = None if self.probabilities is None else self.probabilities[start:stop]
        return Outputs(self.predictions[start:stop], proba)


@dataclass(frozen=True)
class ServedModel:
    """A loaded model ready to serve: its name and version, signature, task and ``predict``.

    Made by :func:`load_model`; ``predict(columns)`` takes one array per feature (already
    checked against the signature) and returns :class:`Outputs`.
    """

    name: str
    version: str
    kind: Literal["onnx", "skops"]
    source: str
    digest: str
    signature: Signature
    task: Task
    classes: tuple[Any, ...] | None
    predict: Callable[[Columns], Outputs]

    def metadata(self) -> dict[str, Any]:
        """The Open Inference Protocol model metadata (``GET /v2/models/{name}``)."""
        outputs: list[dict[str, Any]] = [
            {"name": "predictions", "datatype": _label_datatype(self), "shape": [-1]}
        ]
        if self.classes is not None:
            outputs.append(
                {"name": "probabilities", "datatype": "FP64", "shape": [-1, len(self.classes)]}
            )
        return {
            "name": self.name,
            "versions": [self.version],
            "platform": "onnxruntime" if self.kind == "onnx" else "scikit-learn (skops)",
            "inputs": [f.to_dict() for f in self.signature.features],
            "outputs": outputs,
            "parameters": {
                "task": self.task,
                "classes": None if self.classes is None else [_plain(c) for c in self.classes],
                "sha256": self.digest,
                "tensor": self.signature.tensor,
            },
        }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _label_datatype(model: ServedModel) -> str:
    if model.task == "regression":
        return "FP64"
    classes = model.classes or ()
    return "BYTES" if any(isinstance(c, str | np.str_) for c in classes) else "INT64"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ONNX ------------------------------------------------------------------------------------------
_ONNX_DTYPES: dict[str, Dtype] = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(string)": "string",
}


def _onnx_dtype(path: Path, name: str, type_: str) -> Dtype:
    dtype = _ONNX_DTYPES.get(type_)
    if dtype is None:
        raise UnsupportedInputError(
            f"The ONNX model {path.name!r} takes input {name!r} of type {type_}; driftline "
            f"serves inputs of types {sorted(_ONNX_DTYPES)}."
        )
    return dtype


def _onnx_signature(path: Path, session: Any) -> Signature:
    inputs = session.get_inputs()
    meta = session.get_modelmeta().custom_metadata_map
    names: list[str] | None = None
    if "feature_names" in meta:
        try:
            parsed = json.loads(meta["feature_names"])
        except ValueError:
            parsed = [n.strip() for n in meta["feature_names"].split(",")]
        if isinstance(parsed, list) and all(isinstance(n, str) and n for n in parsed):
            names = parsed
    if len(inputs) == 1 and len(inputs[0].shape) == 2 and inputs[0].shape[1] != 1:
        tensor = inputs[0]
        width = tensor.shape[1]
        if not isinstance(width, int):
            if names is None:
                raise UnsupportedInputError(
                    f"The ONNX model {path.name!r} takes a tensor {tensor.name!r} of unknown "
                    "width; give its column names in the model's metadata 'feature_names' "
                    "(a JSON list)."
                )
            width = len(names)
        if names is not None and len(names) != width:
            raise UnsupportedInputError(
                f"The ONNX model {path.name!r} lists {len(names)} feature_names but its input "
                f"{tensor.name!r} has {width} columns."
            )
        dtype = _onnx_dtype(path, tensor.name, tensor.type)
        cols = names or [f"{tensor.name}_{i}" for i in range(width)]
        return Signature(tuple(Feature(n, dtype) for n in cols), tensor=tensor.name)
    features = []
    for inp in inputs:
        if len(inp.shape) > 2 or (len(inp.shape) == 2 and inp.shape[1] not in (1, None)):
            raise UnsupportedInputError(
                f"The ONNX model {path.name!r} has input {inp.name!r} of shape {inp.shape}; "
                "driftline serves one 2-D tensor or one [rows, 1] input per column."
            )
        features.append(Feature(inp.name, _onnx_dtype(path, inp.name, inp.type)))
    return Signature(tuple(features))


def _load_onnx(path: Path, name: str, version: str) -> ServedModel:
    ort = require("onnxruntime", extra="models")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one batch at a time; requests are parallel, not ops
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise SerializationError(f"onnxruntime cannot load {str(path)!r}: {exc}") from exc
    signature = _onnx_signature(path, session)
    outputs = session.get_outputs()
    task: Task = "regression"
    n_classes = 0
    if len(outputs) >= 2:  # label and probabilities (a tensor, or a ZipMap sequence of maps)
        shape = outputs[1].shape
        n_classes = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else 0
        task = "binary" if n_classes == 2 else "multiclass"
    single = signature.tensor
    feats = signature.features
    mapped = {f.name: f.name for f in feats}

    def feeds(columns: Columns) -> dict[str, Any]:
        if single is not None:
            return {single: np.column_stack([columns[f.name] for f in feats])}
        return {mapped[f.name]: columns[f.name].reshape(-1, 1) for f in feats}

    def predict(columns: Columns) -> Outputs:
        results = session.run(None, feeds(columns))
        if task == "regression":
            return Outputs(np.asarray(results[0], dtype=np.float64).reshape(-1))
        labels = np.asarray(results[0]).reshape(-1)
        proba = results[1]
        if isinstance(proba, list):  # ZipMap: one {label: probability} per row
            keys = tuple(sorted(proba[0])) if proba else ()
            proba = np.array([[row[k] for k in keys] for row in proba], dtype=np.float64)
        return Outputs(labels, np.asarray(proba, dtype=np.float64))

    classes = _onnx_classes(path) if task != "regression" else None
    if classes is not None and n_classes and len(classes) != n_classes:
        classes = None
    if task != "regression" and classes is None:
        classes = tuple(range(n_classes)) if n_classes else None
    return ServedModel(
        name, version, "onnx", str(path), _sha256(path), signature, task, classes, predict
    )


def _onnx_classes(path: Path) -> tuple[Any, ...] | None:
    """The class labels of an ONNX classifier (its ``classlabels_*`` attribute), if ``onnx``
    is installed to read them."""
    try:
        import onnx
    except ImportError:
        return None
    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception:
        return None
    for node in graph.node:
        for attr in node.attribute:
            if attr.name == "classlabels_int64s" and attr.ints:
                return tuple(int(v) for v in attr.ints)
            if attr.name == "classlabels_strings" and attr.strings:
                return tuple(v.decode() for v in attr.strings)
    return None


# skops -----------------------------------------------------------------------------------------
def _load_skops(path: Path, name: str, version: str, trusted: Collection[str]) -> ServedModel:
    from driftline.gate import load_skops

    estimator = load_skops(path, trusted_types=trusted)
    if not hasattr(estimator, "predict"):
        raise UnsupportedInputError(
            f"The skops file {str(path)!r} holds a {type(estimator).__name__}, not a fitted "
            "estimator with predict."
        )
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        cols = [str(n) for n in names]
    else:
        width = getattr(estimator, "n_features_in_", None)
        if not isinstance(width, int | np.integer):
            raise UnsupportedInputError(
                f"The skops model {str(path)!r} has neither feature_names_in_ nor "
                "n_features_in_: it is not fitted, or its signature cannot be read."
            )
        cols = [f"x{i}" for i in range(int(width))]
    signature = Signature(tuple(Feature(c, "float64") for c in cols))
    classes_attr = getattr(estimator, "classes_", None)
    has_proba = hasattr(estimator, "predict_proba") and classes_attr is not None
    classes = tuple(np.asarray(classes_attr).tolist()) if has_proba else None
    task: Task = "regression"
    if classes is not None:
        task = "binary" if len(classes) == 2 else "multiclass"
    import pandas as pd

    with_names = names is not None

    def frame(columns: Columns) -> Any:
        if with_names:
            return pd.DataFrame({c: columns[c] for c in cols}, copy=False)
        return np.column_stack([columns[c] for c in cols])

    def predict(columns: Columns) -> Outputs:
        x = frame(columns)
        if classes is None:
            return Outputs(np.asarray(estimator.predict(x), dtype=np.float64).reshape(-1))
        proba = np.asarray(estimator.predict_proba(x), dtype=np.float64)
        labels = np.asarray(classes_attr)[np.argmax(proba, axis=1)]
        return Outputs(labels, proba)

    return ServedModel(
        name, version, "skops", str(path), _sha256(path), signature, task, classes, predict
    )


def load_model(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    version: str | None = None,
    trusted_types: Collection[str] = (),
) -> ServedModel:
    """Load an ``.onnx`` (onnxruntime) or ``.skops`` model to serve.

    ``name`` defaults to the file's stem, ``version`` to the first 12 hex digits of the
    file's sha256. A skops file loads only if every type in it is in the gate's reviewed
    allowlist (:data:`driftline.gate.SKOPS_TRUSTED_TYPES`) or in ``trusted_types``; pickle
    files are never served.

    The signature comes from the model: an ONNX model's inputs (one ``[rows, k]`` tensor,
    its columns named by the model's ``feature_names`` metadata or ``<input>_<i>``, or one
    ``[rows, 1]`` input per column), a scikit-learn model's ``feature_names_in_`` (numbers).

    >>> load_model("model.pkl")
    Traceback (most recent call last):
    ...
    driftline.exceptions.UnsupportedInputError: Cannot serve 'model.pkl': driftline serves .onnx and .skops files (pickle runs arbitrary code at load; convert the model with skl2onnx or skops).
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".onnx", ".skops"):
        raise UnsupportedInputError(
            f"Cannot serve {str(file)!r}: driftline serves .onnx and .skops files (pickle runs "
            "arbitrary code at load; convert the model with skl2onnx or skops)."
        )
    if not file.is_file():
        raise DataError(f"The model file {str(file)!r} does not exist or is not a file.")
    model_name = name if name is not None else file.stem
    _check_name("name", model_name)
    model_version = version if version is not None else _sha256(file)[:12]
    _check_name("version", model_version)
    if suffix == ".onnx":
        return _load_onnx(file, model_name, model_version)
    return _load_skops(file, model_name, model_version, trusted_types)


def _check_name(parameter: str, value: str) -> None:
    from driftline.exceptions import ParameterError

    ok = (
        isinstance(value, str)
        and 0 < len(value) <= 128
        and value.isprintable()
        and "/" not in value
        and value.strip() == value
    )
    if not ok:
        raise ParameterError(
            f"The {parameter!r} parameter must be 1-128 printable characters without '/' or "
            f"surrounding spaces; got {value!r}."
        )
