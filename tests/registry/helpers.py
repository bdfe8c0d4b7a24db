"""Small real artifacts for the registry tests: an ONNX model made by skl2onnx, a skops
file, a pickle."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression


def _fitted(n_features: int) -> LogisticRegression:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, n_features))
    y = (x[:, 0] > 0).astype(int)
    return LogisticRegression().fit(x, y)


def onnx_model(path: Path, n_features: int = 3) -> Path:
    """A logistic regression over one float tensor of ``n_features`` columns."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    model = _fitted(n_features)
    onx = to_onnx(model, initial_types=[("float_input", FloatTensorType([None, n_features]))],
                  options={id(model): {"zipmap": False}})  # fmt: skip
    path.write_bytes(onx.SerializeToString())
    return path


def skops_model(path: Path, n_features: int = 3) -> Path:
    import skops.io as sio

    sio.dump(_fitted(n_features), str(path))
    return path


def pickle_model(path: Path) -> Path:
    path.write_bytes(pickle.dumps(_fitted(3)))
    return path
