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


HOSTILE_STRINGS = ("a\x00b", "\x00", "%00")
HOSTILE_INTS = (2**63, -(2**63) - 1, 10**30, 2**62 + 1)
HOSTILE_TIMES = (
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59Z",
    "1899-12-31T23:59:59Z",
)


def _hostile(value: Any, name: str, pick: int) -> Any:
    """A hostile stand-in for ``value``: NUL strings, integers beyond int64, datetimes that
    overflow in UTC (for the datetime-named parameters)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return HOSTILE_INTS[pick % len(HOSTILE_INTS)]
    if name in ("since", "until", "start", "expires_at"):
        return HOSTILE_TIMES[pick % len(HOSTILE_TIMES)]
    return HOSTILE_STRINGS[pick % len(HOSTILE_STRINGS)] if isinstance(value, str) else value


def _poison_body(body: Any, pick: int, depth: int = 0) -> Any:
    """``body`` with one leaf (chosen by ``pick``) replaced by a hostile value."""
    if isinstance(body, dict) and body and depth < 8:
        key = sorted(body)[pick % len(body)]
        return {**body, key: _poison_body(body[key], pick // 7 + 1, depth + 1)}
    if isinstance(body, list) and body and depth < 8:
        out = list(body)
        out[pick % len(out)] = _poison_body(out[pick % len(out)], pick // 7 + 1, depth + 1)
        return out
    return _hostile(body, "", pick) if body is not None else HOSTILE_STRINGS[0]


def test_nul_and_out_of_range_values_never_yield_a_500(
    api_schema: Any, fuzz_world: World, targets: dict[str, Any]
) -> None:
    """Each generated request gets one parameter or body value replaced by a NUL string,
    an integer beyond int64, or a datetime that overflows when normalized to UTC (issue 11,
    items 13 and 14): every answer is a 4xx or a success, never a 500."""
    failures: list[str] = []
    for operation in _operations(api_schema):

        @given(case=operation.as_strategy(), pick=st.integers(0, 10**6), where=st.integers(0, 2))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any, pick: int, where: int) -> None:
            if case.path_parameters:
                case.path_parameters = {
                    k: targets.get(k, v) for k, v in case.path_parameters.items()
                }
            if where == 0 and case.path_parameters:
                name = sorted(case.path_parameters)[pick % len(case.path_parameters)]
                case.path_parameters[name] = _hostile(case.path_parameters[name], name, pick)
            elif where == 1 and case.query:
                name = sorted(case.query)[pick % len(case.query)]
                case.query[name] = _hostile(case.query[name], name, pick)
            elif isinstance(case.body, dict | list):
                case.body = _poison_body(case.body, pick)
            kwargs = case.as_transport_kwargs(base_url="http://testserver")
            headers = {**kwargs["headers"], **fuzz_world.auth("a", "admin")}
            body: dict[str, Any] = {}
            if "json" in kwargs:
                body["json"] = kwargs["json"]
            elif kwargs.get("data") is not None:
                data = kwargs["data"]
                body["content"] = data if isinstance(data, bytes) else str(data).encode()
            url = kwargs["url"].replace("\x00", "%00")  # a path holds NUL percent-encoded
            response = fuzz_world.api.request(
                kwargs["method"], url, headers=headers, params=kwargs.get("params"), **body
            )
            assert response.status_code < 500, (case.method, url, response.text)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
