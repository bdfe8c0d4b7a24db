"""Fuzz the API from its own OpenAPI document (schemathesis): no input yields a 500, and
successful responses match their documented schemas.

Path parameters are pointed at real objects (a real project, model, version, window, rule
and token) so that the generated bodies and queries reach the handlers instead of stopping
at a 404; a valid admin token is sent with every request. Bounded: few examples per
operation and no deadline, so the file stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from .conftest import ARROW, World, arrow_bytes, start_world

EXAMPLES = int(os.environ.get("DRIFTLINE_FUZZ_EXAMPLES", "5"))
BINARY_TYPES = (
    "application/vnd.apache.arrow.stream",
    "application/vnd.apache.parquet",
    "application/vnd.driftline.profile",
)


@schemathesis.serializer(*BINARY_TYPES)
def _binary(_ctx: Any, value: Any) -> dict[str, Any]:
    """Generated binary bodies go on the wire as they are (random bytes: must be a 4xx)."""
    data = value if isinstance(value, bytes) else str(value).encode()
    return {"data": data}


@pytest.fixture(scope="module")
def fuzz_world(new_database_url: Any) -> Iterator[World]:
    yield from start_world(new_database_url("sqlite"))


@pytest.fixture(scope="module")
def targets(fuzz_world: World) -> dict[str, Any]:
    world = fuzz_world
    url = world.add_version("a", "m", "1")
    table = pa.table({"x": [1.0], "city": ["a"], "flag": [True], "score": [0.5]})
    world.api.post(
        f"{url}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    window = world.api.get(f"{url}/windows", headers=world.auth()).json()[0]
    rule = world.api.post(
        f"{world.base()}/alert-rules", json={"name": "r", "kind": "drift"}, headers=world.auth()
    ).json()
    spare = world.api.post(
        f"{world.base()}/tokens", json={"name": "spare"}, headers=world.auth()
    ).json()
    return {
        "project": world.projects["a"],
        "model": "m",
        "version": "1",
        "window_key": window["window_key"],
        "rule_id": rule["id"],
        "token_id": spare["token_id"],
    }


@pytest.fixture(scope="module")
def api_schema(fuzz_world: World, targets: dict[str, Any]) -> Any:
    # From the document itself: requests go through the test's own client (see below).
    return schemathesis.openapi.from_dict(fuzz_world.app.openapi())


def _operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_no_input_yields_a_500(api_schema: Any, fuzz_world: World, targets: dict[str, Any]) -> None:
    operations = _operations(api_schema)
    assert len(operations) >= 25
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy(), real=st.booleans())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any, real: bool) -> None:
            if case.path_parameters and real:  # reach the handler instead of a 404
                case.path_parameters = {
                    k: targets.get(k, v) for k, v in case.path_parameters.items()
                }
            # Sent through the test's own event loop (the app's background tasks live there).
            kwargs = case.as_transport_kwargs(base_url="http://testserver")
            headers = {**kwargs["headers"], **fuzz_world.auth("a", "admin")}
            body: dict[str, Any] = {}
            if "json" in kwargs:
                body["json"] = kwargs["json"]
            elif kwargs.get("data") is not None:
                data = kwargs["data"]
                body["content"] = data if isinstance(data, bytes) else str(data).encode()
            response = fuzz_world.api.request(
                kwargs["method"],
                kwargs["url"],
                headers=headers,
                params=kwargs.get("params"),
                **body,
            )
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
