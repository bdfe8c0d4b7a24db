"""The serving app over HTTP (ASGI, lifespan run): Open Inference Protocol v2 and MLflow's
``/invocations``, answers checked against scikit-learn, and every bad input a 4xx naming
its field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from driftline.serve import create_app, load_model

from .conftest import FEATURES, Models


@pytest.fixture(scope="module", params=["onnx", "skops"])
def served(request: pytest.FixtureRequest, models: Models) -> Iterator[tuple[TestClient, str]]:
    path = models.onnx if request.param == "onnx" else models.skops
    model = load_model(path, name="fraud", version="1")
    with TestClient(create_app(model, max_latency_ms=1000)) as http:
        yield http, request.param


def _proba(models: Models, rows: slice) -> np.ndarray:
    return np.asarray(models.classifier.predict_proba(models.frame.iloc[rows]))


def test_health_and_metadata(served: tuple[TestClient, str]) -> None:
    http, _kind = served
    assert http.get("/v2/health/live").json() == {"live": True}
    assert http.get("/v2/health/ready").json() == {"ready": True}
    assert http.get("/v2/models/fraud/ready").json() == {"name": "fraud", "ready": True}
    meta = http.get("/v2/models/fraud").json()
    assert meta["name"] == "fraud"
    assert meta["versions"] == ["1"]
    assert [i["name"] for i in meta["inputs"]] == FEATURES
    assert meta["parameters"]["task"] == "binary"
    assert meta["parameters"]["classes"] == [0, 1]
    assert http.get("/v2/models/fraud/versions/1").status_code == 200
    missing = http.get("/v2/models/other")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert http.get("/v2/models/fraud/versions/2").status_code == 404


def test_infer_one_column_per_input(served: tuple[TestClient, str], models: Models) -> None:
    http, _kind = served
    rows = models.frame.iloc[:5]
    body = {"inputs": [{"name": c, "shape": [5], "datatype": "FP64", "data": rows[c].tolist()}
                       for c in FEATURES]}  # fmt: skip
    r = http.post("/v2/models/fraud/infer", json=body)
    assert r.status_code == 200, r.text
    out = {o["name"]: o for o in r.json()["outputs"]}
    assert out["probabilities"]["shape"] == [5, 2]
    proba = np.asarray(out["probabilities"]["data"]).reshape(5, 2)
    np.testing.assert_allclose(proba, _proba(models, slice(0, 5)), atol=1e-4)
    assert out["predictions"]["data"] == models.classifier.predict(rows).tolist()
    assert r.json()["model_name"] == "fraud"
    assert r.json()["id"] == r.headers["x-request-id"]


def test_infer_whole_tensor_and_chosen_outputs(
    served: tuple[TestClient, str], models: Models
) -> None:
    http, kind = served
    if kind != "onnx":
        pytest.skip("only a tensor model takes a tensor whole")
    rows = models.frame.iloc[:3]
    body = {"id": "req-7", "inputs": [{"name": "X", "shape": [3, 3], "datatype": "FP32",
                                       "data": rows.to_numpy().tolist()}],
            "outputs": [{"name": "probabilities"}]}  # fmt: skip
    r = http.post("/v2/models/fraud/versions/1/infer", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == "req-7"
    assert r.headers["x-request-id"] == "req-7"
    assert [o["name"] for o in r.json()["outputs"]] == ["probabilities"]


@pytest.mark.parametrize("fmt", ["dataframe_split", "dataframe_records", "instances", "rows"])
def test_invocations_formats(served: tuple[TestClient, str], models: Models, fmt: str) -> None:
    http, _ = served
    rows = models.frame.iloc[10:14]
    if fmt == "dataframe_split":
        body: dict[str, Any] = {"dataframe_split": {"columns": list(rows.columns[::-1]),
                                "data": rows[rows.columns[::-1]].to_numpy().tolist()}}  # fmt: skip
    elif fmt == "dataframe_records":
        body = {"dataframe_records": rows.to_dict("records")}
    elif fmt == "instances":
        body = {"instances": rows.to_dict("records")}
    else:
        body = {"instances": rows.to_numpy().tolist()}
    r = http.post("/invocations", json=body, headers={"X-Request-Id": "abc-123"})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == "abc-123"
    assert r.json()["predictions"] == models.classifier.predict(rows).tolist()
    np.testing.assert_allclose(r.json()["probabilities"], _proba(models, slice(10, 14)), atol=1e-4)


def test_a_request_id_is_generated_when_none_is_given(served: tuple[TestClient, str]) -> None:
    http, _ = served
    body = {"instances": [[30.0, 40.0, 1000.0]]}
    a = http.post("/invocations", json=body).headers["x-request-id"]
    b = http.post("/invocations", json=body).headers["x-request-id"]
    assert a != b
    assert len(a) == 36


GOOD = {"amount": 1.0, "age": 30.0, "balance": 5.0}
BAD_BODIES: list[tuple[str, Any, int, str | None]] = [
    ("not json", b"{nope", 400, None),
    ("NaN literal", b'{"instances": [[NaN, 1, 2]]}', 400, None),
    ("inf by overflow", b'{"instances": [[1e400, 1, 2]]}', 400, None),
    ("NUL in JSON", b'{"instances": [[1, 2, 3]]}\x00', 400, None),
    ("a list", [1, 2], 400, None),
    ("no known key", {"rows": []}, 400, None),
    ("two keys", {"instances": [GOOD], "dataframe_records": [GOOD]}, 400, None),
    ("string number", {"dataframe_records": [{**GOOD, "age": "30"}]}, 422, "age"),
    ("null", {"dataframe_records": [{**GOOD, "amount": None}]}, 422, "amount"),
    ("boolean", {"dataframe_records": [{**GOOD, "amount": True}]}, 422, "amount"),
    ("nested", {"dataframe_records": [{**GOOD, "amount": [1]}]}, 422, "amount"),
    ("huge", {"dataframe_records": [{**GOOD, "amount": 1e300}]}, 422, "amount"),
    ("missing column", {"dataframe_records": [{"amount": 1.0, "age": 2.0}]}, 422, "balance"),
    ("unknown column", {"dataframe_records": [{**GOOD, "zip": 1}]}, 422, "zip"),
    ("not a record", {"dataframe_records": [1, 2]}, 422, "dataframe_records"),
    ("empty", {"dataframe_records": []}, 422, "dataframe_records"),
    ("split ragged", {"dataframe_split": {"columns": FEATURES, "data": [[1, 2]]}}, 422,
     "dataframe_split.data"),
    ("split no columns", {"dataframe_split": {"data": [[1, 2, 3]]}}, 422,
     "dataframe_split.columns"),
    ("split dup column", {"dataframe_split": {"columns": ["amount", "age", "age"],
                                              "data": [[1, 2, 3]]}}, 422, "balance"),
    ("instances wrong width", {"instances": [[1.0, 2.0]]}, 422, "instances"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "body", "status", "field"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES]
)
def test_bad_invocations_get_a_4xx_naming_the_field(
    served: tuple[TestClient, str], case: str, body: Any, status: int, field: str | None
) -> None:
    http, kind = served
    if case == "huge" and kind == "skops":
        pytest.skip("a float64 model takes 1e300")
    if isinstance(body, bytes):
        r = http.post("/invocations", content=body, headers={"content-type": "application/json"})
    else:
        r = http.post("/invocations", json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["message"]
    if field is not None:
        assert error["details"]["field"] == field
        assert field in error["message"] or field.split(".")[0] in error["message"]


BAD_V2: list[tuple[str, Any, str | None]] = [
    ("no inputs", {}, "inputs"),
    ("input not object", {"inputs": [1]}, "inputs[0]"),
    ("bad datatype", {"inputs": [{"name": "amount", "shape": [1], "datatype": "FLOAT",
                                  "data": [1]}]}, "amount"),
    ("shape mismatch", {"inputs": [{"name": c, "shape": [2], "datatype": "FP32", "data": [1]}
                                   for c in FEATURES]}, "amount"),
    ("negative shape", {"inputs": [{"name": "amount", "shape": [-1], "datatype": "FP32",
                                    "data": []}]}, "inputs[0]"),
    ("rows differ", {"inputs": [{"name": c, "shape": [1 + (c == "age")], "datatype": "FP32",
                                 "data": [1.0] * (1 + (c == "age"))} for c in FEATURES]}, "age"),
    ("bytes for number", {"inputs": [{"name": c, "shape": [1], "datatype": "BYTES", "data": ["x"]}
                                     for c in FEATURES]}, "amount"),
    ("missing input", {"inputs": [{"name": "amount", "shape": [1], "datatype": "FP32",
                                   "data": [1.0]}]}, "age"),
    ("bad output", {"inputs": [{"name": c, "shape": [1], "datatype": "FP32", "data": [1.0]}
                               for c in FEATURES], "outputs": [{"name": "logits"}]}, "outputs"),
    ("id not string", {"id": 5, "inputs": []}, "id"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "field"), BAD_V2, ids=[c[0] for c in BAD_V2])
def test_bad_infer_bodies_get_a_422_naming_the_field(
    served: tuple[TestClient, str], case: str, body: Any, field: str | None
) -> None:
    http, _ = served
    r = http.post("/v2/models/fraud/infer", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"]["field"] == field


def test_request_limits(models: Models) -> None:
    model = load_model(models.onnx, name="fraud", version="1")
    app = create_app(model, max_request_rows=5, max_body_bytes=2_000)
    with TestClient(app) as http:
        r = http.post("/invocations", json={"instances": [[1.0, 2.0, 3.0]] * 6})
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "too_many_rows"
        r = http.post("/invocations", json={"instances": [[1.0, 2.0, 3.0]] * 200})
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "body_too_large"
        r = http.post("/invocations", content=b"a,b", headers={"content-type": "text/csv"})
        assert r.status_code == 415
        r = http.post("/invocations", json={"instances": [[1.0, 2.0, 3.0]]},
                      headers={"X-Request-Id": "bad id with spaces"})  # fmt: skip
        assert r.status_code == 400
        assert r.json()["error"]["details"]["field"] == "X-Request-Id"
        assert http.get("/nope").status_code == 404
        assert http.get("/invocations").status_code == 405


def test_openapi_and_metrics(served: tuple[TestClient, str]) -> None:
    http, _ = served
    spec = http.get("/openapi.json").json()
    for path in ("/v2/health/live", "/v2/health/ready", "/v2/models/{name}",
                 "/v2/models/{name}/infer", "/invocations"):  # fmt: skip
        assert path in spec["paths"], path
    assert "requestBody" in spec["paths"]["/invocations"]["post"]
    assert "422" in spec["paths"]["/v2/models/{name}/infer"]["post"]["responses"]
    http.post("/invocations", json={"instances": [[1.0, 2.0, 3.0]]})
    text = http.get("/metrics").text
    for name in ("driftline_serve_batch_size_rows_bucket", "driftline_serve_queue_wait_seconds_bucket",
                 "driftline_serve_model_seconds_bucket"):  # fmt: skip
        assert f'{name}{{le="1.0",model="fraud",version="1"}}' in text or (
            f'{name}{{model="fraud",version="1",le=' in text
        ), name
    assert (
        'driftline_serve_requests_total{model="fraud",route="invocations",status="200",version="1"}'
        in text
        or ('route="invocations",status="200"' in text)
    )


def test_regression_and_multiclass_models(models: Models) -> None:
    for path, task in (
        (models.onnx_regression, "regression"),
        (models.skops_multiclass, "multiclass"),
    ):
        with TestClient(create_app(load_model(path, name="m", version="1"))) as http:
            rows = models.frame.iloc[:4]
            r = http.post("/invocations", json={"dataframe_records": rows.to_dict("records")})
            assert r.status_code == 200, r.text
            if task == "regression":
                np.testing.assert_allclose(r.json()["predictions"],
                                           models.regressor.predict(rows), rtol=1e-4)  # fmt: skip
                assert "probabilities" not in r.json()
            else:
                assert r.json()["predictions"] == models.multiclass.predict(rows).tolist()
                assert np.asarray(r.json()["probabilities"]).shape == (4, 3)


def test_metrics_token(models: Models) -> None:
    app = create_app(load_model(models.onnx, name="m", version="1"), metrics_token="s3cret")
    with TestClient(app) as http:
        assert http.get("/metrics").status_code == 401
        assert http.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        r = http.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200
        assert "driftline_serve_batch_size_rows" in r.text
