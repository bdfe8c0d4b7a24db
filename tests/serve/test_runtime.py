"""Runtimes: ONNX and skops models load with their signature and predict like scikit-learn."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

from driftline.exceptions import (
    DataError,
    ParameterError,
    SerializationError,
    UnsupportedInputError,
)
from driftline.serve import load_model

from .conftest import FEATURES, Models


def _columns(frame, dtype=np.float64):
    return {c: frame[c].to_numpy().astype(dtype) for c in FEATURES}


def test_onnx_tensor_model_takes_the_named_columns_and_predicts_like_sklearn(
    models: Models,
) -> None:
    served = load_model(models.onnx, name="fraud", version="3")
    assert (served.name, served.version, served.kind, served.task) == (
        "fraud",
        "3",
        "onnx",
        "binary",
    )
    assert served.signature.names == tuple(FEATURES)
    assert served.signature.tensor == "X"
    assert served.classes == (0, 1)
    out = served.predict(_columns(models.frame, np.float32))
    expected = models.classifier.predict_proba(models.frame)
    # float32 inside onnxruntime against float64 in scikit-learn
    np.testing.assert_allclose(out.probabilities, expected, atol=1e-4)
    assert (out.predictions == models.classifier.predict(models.frame)).mean() > 0.999


def test_onnx_zipmap_model_with_one_input_per_column(models: Models) -> None:
    served = load_model(models.onnx_zipmap)
    assert served.signature.tensor is None
    assert served.signature.names == tuple(FEATURES)
    out = served.predict(_columns(models.frame.head(50), np.float32))
    np.testing.assert_allclose(
        out.probabilities, models.classifier.predict_proba(models.frame.head(50)), atol=1e-4
    )


def test_onnx_regression(models: Models) -> None:
    served = load_model(models.onnx_regression)
    assert served.task == "regression"
    assert served.classes is None
    out = served.predict(_columns(models.frame.head(100), np.float32))
    np.testing.assert_allclose(
        out.predictions, models.regressor.predict(models.frame.head(100)), rtol=1e-4
    )


@pytest.mark.parametrize("attr", ["skops", "skops_hgb"])
def test_skops_classifier_uses_feature_names_in_as_signature(models: Models, attr: str) -> None:
    served = load_model(getattr(models, attr))
    assert served.kind == "skops"
    assert served.task == "binary"
    assert served.signature.names == tuple(FEATURES)
    assert served.version == served.digest[:12]
    out = served.predict(_columns(models.frame))
    assert out.probabilities is not None
    assert out.probabilities.shape == (len(models.frame), 2)
    if attr == "skops":
        np.testing.assert_allclose(out.probabilities, models.classifier.predict_proba(models.frame))
        np.testing.assert_array_equal(out.predictions, models.classifier.predict(models.frame))


def test_skops_multiclass_and_regression(models: Models) -> None:
    multi = load_model(models.skops_multiclass)
    assert multi.task == "multiclass"
    assert multi.classes == (0, 1, 2)
    out = multi.predict(_columns(models.frame))
    np.testing.assert_array_equal(out.predictions, models.multiclass.predict(models.frame))
    reg = load_model(models.skops_regression)
    assert reg.task == "regression"
    np.testing.assert_allclose(
        reg.predict(_columns(models.frame)).predictions, models.regressor.predict(models.frame)
    )


def test_pickle_is_never_served(tmp_path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"not even a pickle")
    with pytest.raises(UnsupportedInputError, match="pickle"):
        load_model(path)


class Doubler(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """A custom transformer: a type no allowlist knows."""

    def fit(self, X: Any, y: Any = None) -> Doubler:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: Any) -> Any:
        return np.asarray(X) * 2


def test_skops_with_an_unreviewed_type_is_refused(tmp_path, models: Models) -> None:
    import skops.io
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier

    pipe = make_pipeline(Doubler(), DecisionTreeClassifier(max_depth=2))
    pipe.fit(models.frame, models.labels)
    path = tmp_path / "pipe.skops"
    skops.io.dump(pipe, path)
    with pytest.raises(SerializationError, match="Doubler"):
        load_model(path)
    served = load_model(path, trusted_types=skops.io.get_untrusted_types(file=str(path)))
    assert served.task == "binary"


def test_missing_and_corrupt_files(tmp_path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_model(tmp_path / "none.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(SerializationError, match="onnxruntime cannot load"):
        load_model(bad)


@pytest.mark.parametrize("name", ["", "a/b", " x", "x\x00"])
def test_model_names_are_checked(models: Models, name: str) -> None:
    with pytest.raises(ParameterError):
        load_model(models.onnx, name=name)
