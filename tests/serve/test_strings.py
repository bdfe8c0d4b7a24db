"""A model with a string (categorical) input: ONNX per-column inputs, checked strings, and
the column logged as categorical."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from driftline.serve import create_app, load_model, prediction_log_to


@pytest.fixture(scope="module")
def city_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, pd.DataFrame]:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"amount": rng.normal(0, 1, 500), "city": rng.choice(["oslo", "lima", "pune"], 500)}
    )
    y = ((frame["amount"] > 0) ^ (frame["city"] == "lima")).astype(int)
    pipe = Pipeline([
        ("prep", ColumnTransformer([("city", OneHotEncoder(handle_unknown="ignore"), ["city"])],
                                   remainder="passthrough")),
        ("clf", LogisticRegression()),
    ]).fit(frame, y)  # fmt: skip
    proto = convert_sklearn(
        pipe,
        initial_types=[
            ("amount", FloatTensorType([None, 1])),
            ("city", StringTensorType([None, 1])),
        ],
        options={id(pipe.steps[-1][1]): {"zipmap": False}},
    )
    path = tmp_path_factory.mktemp("strings") / "city.onnx"
    path.write_bytes(proto.SerializeToString())
    return path, pipe, frame


def test_string_inputs_are_served_checked_and_logged(
    city_model: tuple[Path, object, pd.DataFrame], tmp_path: Path
) -> None:
    path, pipe, frame = city_model
    model = load_model(path, name="city", version="1")
    assert [(f.name, f.dtype, f.kind) for f in model.signature.features] == [
        ("amount", "float32", "numeric"),
        ("city", "string", "categorical"),
    ]
    url = f"sqlite:///{tmp_path / 'log.db'}"
    log = prediction_log_to(model, url, spill_dir=tmp_path / "spill")
    rows = frame.head(6)
    with TestClient(create_app(model, prediction_log=log)) as http:
        r = http.post("/invocations", json={"dataframe_records": rows.to_dict("records")},
                      headers={"X-Request-Id": "s1"})  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["predictions"] == pipe.predict(rows).tolist()  # type: ignore[attr-defined]
        body = {"inputs": [
            {"name": "amount", "shape": [1, 1], "datatype": "FP32", "data": [[0.5]]},
            {"name": "city", "shape": [1], "datatype": "BYTES", "data": ["pune"]},
        ]}  # fmt: skip
        assert http.post("/v2/models/city/infer", json=body).status_code == 200
        for bad, why in (("pu\x00ne", "NUL"), (3, "not a string"), (None, "not a string")):
            record = {"amount": 1.0, "city": bad}
            r = http.post("/invocations", json={"dataframe_records": [record]})
            assert r.status_code == 422, r.text
            assert r.json()["error"]["details"] == {"field": "city"}
            assert why in r.json()["error"]["message"]
        body["inputs"][1]["datatype"] = "FP32"
        r = http.post("/v2/models/city/infer", json=body)
        assert r.status_code == 422
        assert r.json()["error"]["details"] == {"field": "city"}
    from .test_predlog import _stored

    stored = _stored(url, "city", "1")
    assert {f"s1-{i}" for i in range(6)} <= set(stored)
    assert len(stored) == 7
