"""The SDK's result classes: the server's JSON shapes (from its own pydantic schemas) in and
out, frozen, and answers of the wrong shape are an ``ApiError``, not a ``KeyError``."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from driftline.client import (
    AlertEvent,
    AlertRule,
    ApiError,
    Client,
    Health,
    Identity,
    Model,
    Point,
    ProfileReceipt,
    Version,
    Window,
    WindowResults,
)
from driftline.server._schemas import (
    AlertEventOut,
    AlertRuleOut,
    HealthOut,
    MeOut,
    ModelOut,
    ProfileOut,
    VersionOut,
    WindowOut,
    WindowSummary,
)
from driftline.server._schemas import (
    Point as PointOut,
)

from .conftest import ThreadedServer

NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)

#: One body per result class, validated by the server's own response model and serialized
#: as the server serializes it (``model_dump(mode="json")``).
CASES: list[tuple[Any, Any, dict[str, Any]]] = [
    (Health, HealthOut, {"status": "ok", "version": "0.4.0", "database": "ok", "monitor": "off"}),
    (Identity, MeOut, {"project": "acme", "role": "editor", "token_id": "t1"}),
    (Model, ModelOut, {"name": "scorer", "created_at": NOW, "versions": ["1", "2"]}),
    (Version, VersionOut, {
        "model": "scorer", "version": "2",
        "schema": {"features": {"x": "numeric", "c": "categorical"}, "task": "binary",
                   "id_column": "prediction_id", "timestamp_column": "timestamp",
                   "score_column": "score", "prediction_column": None},
        "window": {"kind": "rows", "size": 500}, "has_reference_profile": True,
        "has_reference_data": True, "created_at": NOW}),
    (ProfileReceipt, ProfileOut, {"window_key": 3, "rows": 250}),
    (Window, WindowSummary, {
        "window_key": 3, "start": NOW, "end": None, "status": "open", "rows": 10, "labels": 2,
        "dirty": True, "computed_at": None, "drifted": None, "share_drifted": None,
        "n_quality_findings": None}),
    (WindowResults, WindowOut, {
        "window_key": 4, "start": None, "end": None, "status": "closed", "rows": 500,
        "labels": 500, "dirty": False, "computed_at": NOW, "drifted": True,
        "share_drifted": 0.5, "n_quality_findings": 1,
        "results": {"drift": {"drifted": True, "drifted_columns": ["x"]}}}),
    (Point, PointOut, {"t": NOW, "window_key": 4, "value": 0.9, "lower": 0.85, "upper": 0.95}),
    (AlertRule, AlertRuleOut, {
        "id": "r1", "name": "drift", "kind": "drift", "config": {"min_drifted": 1},
        "model": "scorer", "cooldown_seconds": 60, "enabled": True, "created_at": NOW,
        "channels": [{"type": "slack", "url": "https://hooks.slack.com/***",
                      "allow_private": False, "has_secret": None}]}),
    (AlertEvent, AlertEventOut, {
        "id": "e1", "rule_id": "r1", "status": "resolved", "severity": "warning",
        "message": "x drifted", "condition": {"min_drifted": 1}, "dedupe_key": "r1:v:4",
        "model": "scorer", "version": "2", "window": {"key": 4, "start": None},
        "values": {"n_drifted": 1}, "rule": {"id": "r1", "name": "drift", "kind": "drift"},
        "fired_at": NOW, "resolved_at": NOW, "notified_at": None, "delivery_attempts": 2,
        "delivery_error": "https://h.example/***: HTTP 500", "channels_delivered": 0}),
]  # fmt: skip


def _server_json(schema: Any, body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = schema.model_validate(body).model_dump(mode="json", by_alias=True)
    return out


@pytest.mark.parametrize(("cls", "schema", "body"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_results_read_the_servers_json_and_give_it_back(cls: Any, schema: Any, body: dict) -> None:
    sent = _server_json(schema, body)
    result = cls.from_dict(sent)
    assert dataclasses.is_dataclass(result)
    assert cls.from_dict(result.to_dict()) == result
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()  # JSON-ready
    # every field the server sends is a field of the result, with the same value
    again = _server_json(schema, result.to_dict())
    assert again == sent
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, dataclasses.fields(result)[0].name, None)


def test_times_are_aware_and_naive_server_times_are_utc() -> None:
    model = Model.from_dict({"name": "m", "created_at": "2026-12-02T10:30:00", "versions": []})
    assert model.created_at == NOW
    window = Window.from_dict(
        {**_server_json(WindowSummary, CASES[5][2]), "start": "2026-12-02T10:30:00+01:00"}
    )
    assert window.start is not None
    assert window.start.utcoffset() is not None


def test_version_schema_is_a_version_schema() -> None:
    version = Version.from_dict(_server_json(VersionOut, CASES[3][2]))
    assert version.schema.features == {"x": "numeric", "c": "categorical"}
    assert version.schema.prediction_column is None
    assert version.window == {"kind": "rows", "size": 500}


@pytest.fixture
def odd_server() -> Iterator[Callable[[Any], str]]:
    """A local server answering every GET with the JSON body set by the test."""
    answer: dict[str, Any] = {}

    async def reply(request: Request) -> Response:
        return JSONResponse(answer["body"])

    app = Starlette(routes=[Route("/{path:path}", reply)])
    server = ThreadedServer(app).start()

    def set_body(body: Any) -> str:
        answer["body"] = body
        return server.url

    yield set_body
    server.stop()


@pytest.mark.parametrize(
    ("body", "call"),
    [
        ({"name": "m"}, lambda c: c.model("m")),  # no created_at
        ([{"name": "m", "created_at": "yesterday"}], lambda c: c.models()),
        ({"models": "none"}, lambda c: c.models()),
        ({"window_key": "k"}, lambda c: c.window("m", "1", 1)),
        ([1, 2], lambda c: c.health()),
        ({"series": {"volume.rows": [{"t": None}]}}, lambda c: c.timeseries("m", "1")),
        ({"model": "m", "version": "1", "schema": {"features": {}}, "window": {},
          "has_reference_profile": False, "has_reference_data": False,
          "created_at": "2026-12-02T10:30:00Z"}, lambda c: c.version("m", "1")),
    ],
)  # fmt: skip
def test_an_answer_of_the_wrong_shape_is_an_api_error(
    odd_server: Callable[[Any], str], body: Any, call: Callable[[Client], object]
) -> None:
    url = odd_server(body)
    with (
        Client(url, "dl_x_y", project="p", retries=0) as client,
        pytest.raises(ApiError, match="the server's answer") as info,
    ):
        call(client)
    assert (info.value.status, info.value.code) == (200, "bad_response")


def test_results_and_stats_import_on_a_core_install_and_client_says_what_is_missing() -> None:
    """Without httpx (blocked in a fresh interpreter), the result classes work and asking for
    ``Client`` raises ``MissingDependencyError`` with the install hint."""
    script = textwrap.dedent(
        """
        import json, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "httpx":
                    raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
                return None

        sys.meta_path.insert(0, Block())
        from driftline.client import ClientStats, Model, Rejection, Version, Window
        from driftline.exceptions import MissingDependencyError

        model = Model.from_dict({"name": "m", "created_at": "2026-12-02T10:30:00Z",
                                 "versions": ["1"]})
        try:
            from driftline.client import Client
        except MissingDependencyError as exc:
            error = str(exc)
        else:
            error = "no error"
        try:
            import driftline
            driftline.Client
        except MissingDependencyError as exc:
            facade = str(exc)
        else:
            facade = "no error"
        print(json.dumps({"model": model.to_dict()["versions"], "stats": ClientStats().rows_sent,
                          "error": error, "facade": facade,
                          "httpx": "httpx" in sys.modules}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result: Mapping[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    hint = "pip install 'driftline[client]'"
    assert result["model"] == ["1"]
    assert result["stats"] == 0
    assert hint in result["error"]
    assert "'httpx'" in result["error"]
    assert hint in result["facade"]
    assert result["httpx"] is False
