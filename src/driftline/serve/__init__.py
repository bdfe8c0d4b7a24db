"""Serve a model over HTTP: Open Inference Protocol v2 REST and MLflow's ``/invocations``.

Needs the ``serve`` and ``models`` extras (``pip install 'driftline[serve,models]'``). Load
an ``.onnx`` or ``.skops`` file with :func:`load_model` (its signature comes from the
model), make the app with :func:`create_app` (adaptive micro-batching under a latency
objective, Prometheus ``/metrics``) and run it with :func:`run`, or ``driftline serve``.
A :class:`PredictionLog` sends every prediction, with its id, to the monitoring store
in-process (:class:`StoreSink`) or to a monitoring server (:class:`ClientSink`), off the
request path, spilling to disk while the monitor is away.

>>> import tempfile, pathlib
>>> import numpy as np, pandas as pd, skops.io
>>> from sklearn.linear_model import LogisticRegression
>>> from fastapi.testclient import TestClient
>>> from driftline.serve import create_app, load_model
>>> x = pd.DataFrame({"amount": np.arange(20.0), "age": np.arange(20.0) % 7})
>>> clf = LogisticRegression().fit(x, (x["amount"] > 9).astype(int))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "fraud.skops"
>>> skops.io.dump(clf, path)
>>> model = load_model(path, version="1")
>>> model.signature.names, model.task
(('amount', 'age'), 'binary')
>>> with TestClient(create_app(model)) as http:
...     answer = http.post("/invocations", json={"dataframe_records": [{"amount": 15, "age": 3}]})
...     bad = http.post("/invocations", json={"dataframe_records": [{"amount": "x", "age": 3}]})
>>> answer.json()["predictions"], bad.status_code, bad.json()["error"]["details"]
([1], 422, {'field': 'amount'})
"""

from driftline._deps import require as _require

_require("fastapi", extra="serve")
_require("orjson", extra="serve")
_require("prometheus_client", extra="serve")

from driftline.serve._app import create_app  # noqa: E402
from driftline.serve._predlog import ClientSink, PredictionLog, StoreSink  # noqa: E402
from driftline.serve._run import prediction_log_to, run  # noqa: E402
from driftline.serve._runtime import ServedModel, load_model  # noqa: E402
from driftline.serve._signature import Feature, Signature  # noqa: E402

__all__ = [
    "ClientSink",
    "Feature",
    "PredictionLog",
    "ServedModel",
    "Signature",
    "StoreSink",
    "create_app",
    "load_model",
    "prediction_log_to",
    "run",
]
