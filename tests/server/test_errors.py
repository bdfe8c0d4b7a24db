"""Bad input gets a 4xx in the one error shape, with a message that says what was wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from driftline._config import Settings

from .conftest import ARROW, PARQUET, World, arrow_bytes, parquet_bytes, start_world


@pytest.fixture(scope="module")
def version(sqlite_world: World) -> str:
    return sqlite_world.add_version("a", "errors", "1")


def _error(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


GOOD = pa.table({"x": [1.0, 2.0], "city": ["a", "b"], "flag": [True, False], "score": [0.1, 0.2]})


@pytest.mark.parametrize(
    ("content", "headers", "status", "needle"),
    [
        (arrow_bytes(GOOD)[:40], ARROW, 400, "not a readable Arrow IPC stream"),
        (arrow_bytes(GOOD)[:-30], ARROW, 400, "Arrow"),
        (b"", ARROW, 400, "empty"),
        (parquet_bytes(GOOD)[:100], PARQUET, 400, "not a readable Parquet file"),
        (b'{"records": [', {"content-type": "application/json"}, 400, "not valid JSON"),
        (b"[1, 2]", {"content-type": "application/json"}, 400, 'exactly one of "records"'),
        (b'{"records": [1]}', {"content-type": "application/json"}, 400, "every record must be"),
        (b'{"records": []}', {"content-type": "application/json"}, 400, "empty"),
        (
            b'{"columns": {"x": [1], "city": []}}',
            {"content-type": "application/json"},
            400,
            "same length",
        ),
        (b'{"columns": {"x": 1}}', {"content-type": "application/json"}, 400, "must be a list"),
        (
            b"x=1",
            {"content-type": "application/x-www-form-urlencoded"},
            415,
            "Unsupported content type",
        ),
        (b"x", {}, 415, "Unsupported content type"),
        (
            b'{"records": [{"x": [1, 2], "city": {"a": 1}, "flag": true, "score": 0.5}]}',
            {"content-type": "application/json"},
            200,
            "",
        ),
    ],
)
def test_bad_prediction_bodies(
    sqlite_world: World,
    version: str,
    content: bytes,
    headers: dict[str, str],
    status: int,
    needle: str,
) -> None:
    r = sqlite_world.api.post(
        f"{version}/predictions", content=content, headers={**sqlite_world.auth(), **headers}
    )
    if status == 200:  # nested values are rejected per row, not with a 500
        assert r.status_code == 200, r.text
        assert r.json()["rejected"][0]["reasons"] == ["x: not a number"]
        return
    assert needle in _error(r, status)["message"]


def test_wrong_column_type_in_arrow_is_422(sqlite_world: World, version: str) -> None:
    table = GOOD.set_column(0, "x", pa.array([[1.0], [2.0]]))
    r = sqlite_world.api.post(
        f"{version}/predictions",
        content=arrow_bytes(table),
        headers={**sqlite_world.auth(), **ARROW},
    )
    assert "x" in str(_error(r, 422)["message"])


def test_validation_errors_use_the_error_shape(sqlite_world: World, version: str) -> None:
    api, auth = sqlite_world.api, sqlite_world.auth()
    err = _error(api.post(f"{sqlite_world.base()}/models", json={"name": ""}, headers=auth), 422)
    assert err["code"] == "invalid_request"
    assert "name" in str(err["message"])
    err = _error(
        api.post(
            f"{sqlite_world.base()}/models",
            content=b"{",
            headers={**auth, "content-type": "application/json"},
        ),
        400,
    )
    assert err["code"] == "invalid_request"
    err = _error(api.get(f"{version}/windows?limit=0", headers=auth), 422)
    assert "limit" in str(err["message"])
    _error(api.get("/api/v1/nowhere", headers=auth), 404)
    _error(api.request("DELETE", "/api/v1/health"), 405)


def test_conflicts_are_409(sqlite_world: World) -> None:
    api, auth, base = sqlite_world.api, sqlite_world.auth(), sqlite_world.base()
    api.post(f"{base}/models", json={"name": "dup"}, headers=auth)
    _error(api.post(f"{base}/models", json={"name": "dup"}, headers=auth), 409)
    body = {"version": "1", "schema": {"features": {"x": "numeric"}}}
    assert api.post(f"{base}/models/dup/versions", json=body, headers=auth).status_code == 201
    _error(api.post(f"{base}/models/dup/versions", json=body, headers=auth), 409)
    bad = {"version": "2", "schema": {"features": {"x": "numeric"}, "score_column": "x"}}
    err = _error(api.post(f"{base}/models/dup/versions", json=bad, headers=auth), 422)
    assert "distinct" in str(err["message"])


def test_auth_failures(sqlite_world: World) -> None:
    api, url = sqlite_world.api, f"{sqlite_world.base()}/models"
    r = api.get(url)
    assert _error(r, 401)["code"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    for header in ("Bearer nope", "Bearer dl_0123456789abcdef_" + "A" * 43, "Basic abc"):
        r = api.get(url, headers={"Authorization": header})
        _error(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_revocation_takes_effect_at_once_in_this_process(sqlite_world: World) -> None:
    api, base = sqlite_world.api, sqlite_world.base()
    new = api.post(
        f"{base}/tokens", json={"name": "short", "role": "editor"}, headers=sqlite_world.auth()
    )
    assert new.status_code == 201
    secret, token_id = new.json()["secret"], new.json()["token_id"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=headers).json()["role"] == "editor"  # now cached
    listed = api.get(f"{base}/tokens", headers=sqlite_world.auth()).json()
    assert token_id in [t["token_id"] for t in listed]
    assert "secret" not in listed[0]
    assert api.delete(f"{base}/tokens/{token_id}", headers=sqlite_world.auth()).status_code == 204
    _error(api.get("/api/v1/me", headers=headers), 401)
    _error(api.delete(f"{base}/tokens/{token_id}", headers=sqlite_world.auth()), 404)


@pytest.fixture(scope="module")
def small_world(new_database_url: object) -> Iterator[World]:
    settings = Settings(
        max_body_bytes=4096, max_rows_per_request=10, rate_limit_per_second=2.0, rate_limit_burst=3
    )
    yield from start_world(new_database_url("sqlite"), settings)  # type: ignore[operator]


def test_size_limits(small_world: World) -> None:
    url = small_world.add_version("a", "small", "1")
    api, auth = small_world.api, small_world.auth()
    big = (
        b'{"records": ['
        + b",".join([b'{"x": 1.0, "city": "a", "flag": true, "score": 0.5}'] * 100)
        + b"]}"
    )
    err = _error(
        api.post(
            f"{url}/predictions", content=big, headers={**auth, "content-type": "application/json"}
        ),
        413,
    )
    assert "4096" in str(err["message"])

    async def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(10):
            yield b" " * 1000

    r = api.post(
        f"{url}/predictions", content=chunks(), headers={**auth, "content-type": "application/json"}
    )
    assert "limit" in str(_error(r, 413)["message"])
    rows = {
        "columns": {"x": [1.0] * 11, "city": ["a"] * 11, "flag": [True] * 11, "score": [0.5] * 11}
    }
    err = _error(api.post(f"{url}/predictions", json=rows, headers=auth), 413)
    assert "11 rows" in str(err["message"])
    table = pa.table(
        {"x": [1.0] * 11, "city": ["a"] * 11, "flag": [True] * 11, "score": [0.5] * 11}
    )
    _error(
        api.post(f"{url}/predictions", content=arrow_bytes(table), headers={**auth, **ARROW}), 413
    )
    # The limit applies to JSON bodies that FastAPI parses too.
    err = _error(
        api.post(
            f"{small_world.base()}/models",
            content=b" " * 5000,
            headers={**auth, "content-type": "application/json"},
        ),
        413,
    )


def test_rate_limit_per_token(small_world: World) -> None:
    api = small_world.api
    viewer, other = small_world.auth("b", "viewer"), small_world.auth("b", "editor")
    codes = [api.get("/api/v1/me", headers=viewer).status_code for _ in range(6)]
    assert codes[:3] == [200, 200, 200]
    assert 429 in codes[3:]
    r = api.get("/api/v1/me", headers=viewer)
    if r.status_code == 429:
        assert int(r.headers["retry-after"]) >= 1
        assert _error(r, 429)["code"] == "rate_limited"
    # Another token of the same project has its own bucket.
    assert api.get("/api/v1/me", headers=other).status_code == 200


def test_ingestor_choice_follows_the_setting(tmp_path: object) -> None:
    import importlib.util

    from driftline.server import DirectIngestor, create_app
    from driftline.store import create_engine_from_url

    engine = create_engine_from_url("sqlite://")
    direct = create_app(Settings(ingest_coalesce=False), engine=engine, monitor=False)
    assert isinstance(direct.state.driftline.ingestor, DirectIngestor)
    chosen = create_app(Settings(ingest_coalesce=True), engine=engine, monitor=False)
    if importlib.util.find_spec("driftline.server._coalesce") is None:
        assert isinstance(chosen.state.driftline.ingestor, DirectIngestor)
    else:
        assert type(chosen.state.driftline.ingestor).__name__ == "CoalescingIngestor"


CONTRACT = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/projects/{project}"),
    ("get", "/api/v1/projects/{project}/models"),
    ("post", "/api/v1/projects/{project}/models"),
    ("get", "/api/v1/projects/{project}/models/{model}"),
    ("get", "/api/v1/projects/{project}/models/{model}/versions"),
    ("post", "/api/v1/projects/{project}/models/{model}/versions"),
    ("get", "/api/v1/projects/{project}/models/{model}/versions/{version}"),
    ("put", "/api/v1/projects/{project}/models/{model}/versions/{version}/reference"),
    ("post", "/api/v1/projects/{project}/models/{model}/versions/{version}/predictions"),
    ("post", "/api/v1/projects/{project}/models/{model}/versions/{version}/labels"),
    ("post", "/api/v1/projects/{project}/models/{model}/versions/{version}/profiles"),
    ("get", "/api/v1/projects/{project}/models/{model}/versions/{version}/windows"),
    ("get", "/api/v1/projects/{project}/models/{model}/versions/{version}/windows/{window_key}"),
    (
        "get",
        "/api/v1/projects/{project}/models/{model}/versions/{version}/windows/{window_key}/predictions",
    ),
    ("get", "/api/v1/projects/{project}/models/{model}/versions/{version}/timeseries"),
    ("get", "/api/v1/projects/{project}/alert-rules"),
    ("post", "/api/v1/projects/{project}/alert-rules"),
    ("get", "/api/v1/projects/{project}/alert-rules/{rule_id}"),
    ("put", "/api/v1/projects/{project}/alert-rules/{rule_id}"),
    ("patch", "/api/v1/projects/{project}/alert-rules/{rule_id}"),
    ("delete", "/api/v1/projects/{project}/alert-rules/{rule_id}"),
    ("get", "/api/v1/projects/{project}/alerts"),
    ("get", "/api/v1/projects/{project}/tokens"),
    ("post", "/api/v1/projects/{project}/tokens"),
    ("delete", "/api/v1/projects/{project}/tokens/{token_id}"),
    ("get", "/api/v1/projects/{project}/audit/entries"),
    ("get", "/api/v1/projects/{project}/audit/tree-head"),
    ("get", "/api/v1/projects/{project}/audit/inclusion-proof"),
    ("get", "/api/v1/projects/{project}/audit/consistency-proof"),
}


def test_openapi_documents_every_contract_route(sqlite_world: World) -> None:
    doc = sqlite_world.api.get("/openapi.json").json()
    documented = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert documented == CONTRACT
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    ingest = doc["paths"][
        "/api/v1/projects/{project}/models/{model}/versions/{version}/predictions"
    ]["post"]
    assert set(ingest["requestBody"]["content"]) == {
        "application/json",
        "application/vnd.apache.arrow.stream",
        "application/vnd.apache.parquet",
    }
    assert "Retry-After" in ingest["responses"]["429"]["headers"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    docs = sqlite_world.api.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
