"""Issue 11, items 11-14 and 16, on SQLite and PostgreSQL: reserved feature names,
timestamps that overflowed window arithmetic, NUL bytes everywhere, out-of-range read
parameters, and labels checked against the task. Each was a 500, lost a batch or stored
something corrupt before."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select

from driftline.store._models import Prediction

from .conftest import ARROW, SCHEMA, World, arrow_bytes, parquet_bytes

PARQUET = {"content-type": "application/vnd.apache.parquet"}


def _post_version(world: World, model: str, body: dict[str, Any]) -> Any:
    headers = world.auth("a", "editor")
    world.api.post(f"{world.base()}/models", json={"name": model}, headers=headers)
    return world.api.post(f"{world.base()}/models/{model}/versions", json=body, headers=headers)


# --- item 11: reserved feature names ---------------------------------------------------
@pytest.mark.parametrize(
    ("feature", "schema"),
    [
        ("prediction_id", {"id_column": "pid"}),  # replaced the real ids
        ("score", {"score_column": "proba"}),  # overwritten by the score
        ("timestamp", {"timestamp_column": "ts"}),  # every ingest answered 500
        ("prediction", {"prediction_column": "pred"}),
        ("label", {}),  # vanished from the window export
        ("label_at", {}),
        ("__order", {}),
    ],
)
def test_reserved_feature_names_are_422(world: World, feature: str, schema: dict[str, str]) -> None:
    body = {"version": "1", "schema": {"features": {feature: "numeric", "x": "numeric"}, **schema}}
    r = _post_version(world, f"reserved-{feature.strip('_')}", body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_schema"
    assert f"['{feature}'] are reserved" in error["message"]


# --- item 12: timestamps that overflowed window arithmetic -----------------------------
@pytest.mark.parametrize(
    "bad",
    [
        "9999-12-31T23:59:59Z",
        253402300799,  # the Unix maximum documented before
        -62135596801,
        "0001-01-01T00:00:00+01:00",
        "1899-12-31T23:59:59Z",
        float("inf"),
    ],
)
def test_an_out_of_range_timestamp_rejects_its_row_only(world: World, bad: object) -> None:
    url = world.add_version("a", "stamps", "1")
    n = 1000
    good = "2026-11-01T12:00:00Z" if isinstance(bad, str) else 1_793_000_000
    stamps = [good] * n
    stamps[500] = bad  # type: ignore[call-overload]
    table = pa.table(
        {
            "prediction_id": [f"t{hash(str(bad))}-{i}" for i in range(n)],
            "timestamp": stamps,
            "x": [1.0] * n,
            "city": ["a"] * n,
            "flag": [True] * n,
            "score": [0.5] * n,
        }
    )
    r = world.api.post(
        f"{url}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == n - 1
    [rejected] = body["rejected"]
    assert rejected["row"] == 500
    assert rejected["reasons"][0].startswith("timestamp: ")


def test_arrow_timestamps_out_of_range_or_sub_microsecond(world: World) -> None:
    url = world.add_version("a", "stamps", "1")
    # 2**62 ns is in range but not a whole microsecond (a cast refused the batch); 2**62 s
    # overflows every unit; a date far out overflowed the cast to microseconds.
    for values, accepted in (
        (pa.array([2**62, 10**18], pa.timestamp("ns")), 2),
        (pa.array([2**62, 1_700_000_000], pa.timestamp("s", tz="UTC")), 1),
        (pa.array([2**30, 20_000], pa.date32()), 1),
    ):
        n = len(values)
        table = pa.table(
            {
                "timestamp": values,
                "x": [1.0] * n,
                "city": ["a"] * n,
                "flag": [True] * n,
                "score": [0.5] * n,
            }
        )
        r = world.api.post(
            f"{url}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
        )
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == accepted, (values.type, r.text)


# --- item 13: NUL bytes --------------------------------------------------------------------
def test_nul_in_row_values_rejects_those_rows(world: World) -> None:
    url = world.add_version("a", "nul", "1")
    table = pa.table(
        {
            "prediction_id": ["n-ok", "n\x00id", "n-city"],
            "x": [1.0, 2.0, 3.0],
            "city": ["a", "b", "c\x00"],
            "flag": [True] * 3,
            "score": [0.5] * 3,
        }
    )
    for content, headers in (
        (arrow_bytes(table), ARROW),
        (
            parquet_bytes(table.set_column(0, "prediction_id", pa.array(["p-ok", "p\x00", "p-c"]))),
            PARQUET,
        ),
    ):
        r = world.api.post(
            f"{url}/predictions", content=content, headers={**world.auth(), **headers}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["accepted"] == 1
        assert [(x["row"], x["reasons"]) for x in body["rejected"]] == [
            (1, ["prediction_id: contains a NUL byte"]),
            (2, ["city: contains a NUL byte"]),
        ]
    r = world.api.post(
        f"{url}/predictions",
        json={
            "records": [
                {"prediction_id": "j\x00", "x": 1, "city": "a", "flag": True, "score": 0.5},
                {"prediction_id": "j-ok", "x": 1, "city": "a", "flag": True, "score": 0.5},
            ]
        },
        headers=world.auth(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1
    r = world.api.post(
        f"{url}/labels",
        json={"prediction_ids": ["l\x00", "n-ok"], "labels": [1, 0]},
        headers=world.auth(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["joined"] == 1
    assert r.json()["rejected"][0]["reasons"] == ["prediction_id: contains a NUL byte"]
    with world.app.state.driftline.sessions() as session:
        stored = set(session.scalars(select(Prediction.prediction_id)))
    assert not any("\x00" in s for s in stored)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/tokens", {"name": "t\x00"}),
        ("POST", "/alert-rules", {"name": "r\x00", "kind": "drift"}),
        (
            "POST",
            "/alert-rules",
            {
                "name": "r",
                "kind": "drift",
                "channels": [{"type": "webhook", "url": "https://example.com/\x00hook"}],
            },
        ),
        ("POST", "/models", {"name": "m\x00"}),
        (
            "POST",
            "/models/nulm/versions",
            {"version": "1", "schema": {"features": {"x\x00": "numeric"}}},
        ),
        (
            "POST",
            "/models/nulm/versions",
            {"version": "1", "schema": {"features": {"x": "numeric"}, "id_column": "i\x00"}},
        ),
    ],
)
def test_nul_in_names_and_urls_is_422(world: World, method: str, path: str, body: Any) -> None:
    world.api.post(f"{world.base()}/models", json={"name": "nulm"}, headers=world.auth())
    r = world.api.request(method, world.base() + path, json=body, headers=world.auth())
    assert r.status_code == 422, r.text
    assert "NUL byte" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/a%00",
        "/api/v1/projects/{a}/models/m%00",
        "/api/v1/projects/{a}/models/m/versions/1/windows?since=2026-01-01%00",
        "/api/v1/projects/{a}/alerts?status=fired%00",
    ],
)
@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_nul_in_path_or_query_is_400(world: World, path: str, role: str) -> None:
    r = world.api.get(path.replace("{a}", world.projects["a"]), headers=world.auth("a", role))
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "nul_byte"


# --- item 14: read parameters out of range -------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "/windows/9223372036854775808",
        "/windows/-9223372036854775809",
        "/windows/99999999999999999999999/predictions",
        "/windows?since=9999-12-31T23:59:59-01:00",
        "/windows?until=0001-01-01T00:00:00%2B01:00",
        "/timeseries?since=9999-12-31T23:59:59-01:00",
        "/timeseries?until=0001-01-01T00:30:00%2B01:00",
    ],
)
def test_out_of_range_read_parameters_are_422(world: World, query: str) -> None:
    url = world.add_version("a", "reads", "1")
    r = world.api.get(url + query, headers=world.auth("a", "viewer"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_request"


def test_in_range_extremes_still_answer(world: World) -> None:
    url = world.add_version("a", "reads", "1")
    for query in ("/windows/9223372036854775807", "/windows/-9223372036854775808"):
        assert world.api.get(url + query, headers=world.auth()).status_code == 404
    r = world.api.get(url + "/windows?since=9999-12-31T23:59:59Z", headers=world.auth())
    assert r.status_code == 200, r.text


def test_token_expiry_that_overflows_is_422(world: World) -> None:
    r = world.api.post(
        f"{world.base()}/tokens",
        json={"name": "t", "expires_at": "9999-12-31T23:59:59-05:00"},
        headers=world.auth(),
    )
    assert r.status_code == 422, r.text


# --- item 16: labels against the task --------------------------------------------------------
def _labelled(world: World, model: str, task: str, ids: list[str], values: list[Any]) -> Any:
    schema = {**SCHEMA, "task": task}
    url = world.add_version("a", model, "1", schema=schema)
    return world.api.post(
        f"{url}/labels", json={"prediction_ids": ids, "labels": values}, headers=world.auth()
    ).json()


def test_binary_labels_are_0_1_or_booleans(world: World) -> None:
    values: list[Any] = [0, 1, 1.0, True, False, 2, -1, 0.5, 1e21, "1", 2**64, None]
    body = _labelled(world, "bin", "binary", [f"b{i}" for i in range(len(values))], values)
    assert body["pending"] == 5
    assert [r["row"] for r in body["rejected"]] == [5, 6, 7, 8, 9, 10, 11]


def test_multiclass_labels_are_class_indices_of_the_reference(world: World) -> None:
    values: list[Any] = [0, 2, 3.0, -1, 1.5, True, "2"]
    body = _labelled(world, "multi", "multiclass", [f"m{i}" for i in range(len(values))], values)
    assert [r["row"] for r in body["rejected"]] == [3, 4, 5, 6]
    # With a reference that holds labels, only its classes are known.
    url = world.version_url("a", "multi", "1")
    n = 60
    reference = pa.table(
        {
            "x": [1.0] * n,
            "city": ["a"] * n,
            "flag": [True] * n,
            "prediction": [0.0, 1.0, 2.0] * 20,
            "y": [0, 1, 2] * 20,
        }
    )
    r = world.api.put(
        f"{url}/reference?target=y",
        content=parquet_bytes(reference),
        headers={**world.auth(), **PARQUET},
    )
    assert r.status_code == 200, r.text
    r = world.api.post(
        f"{url}/labels",
        json={"prediction_ids": ["k0", "k1"], "labels": [2, 3]},
        headers=world.auth(),
    )
    assert [x["reasons"] for x in r.json()["rejected"]] == [
        ["label: not a class of the reference (0, 1, 2)"]
    ]


def test_regression_labels_are_finite_numbers(world: World) -> None:
    body = _labelled(world, "reg", "regression", ["r0", "r1", "r2", "r3"], [1e21, -3.5, True, "x"])
    assert [r["row"] for r in body["rejected"]] == [2, 3]


def test_labels_from_arrow_are_checked_per_row(world: World) -> None:
    url = world.add_version("a", "arrowlabels", "1")
    table = pa.table({"prediction_id": ["a1", "a2", "a3"], "label": pa.array([1.0, 7.0, None])})
    r = world.api.post(
        f"{url}/labels", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    assert r.status_code == 200, r.text
    assert [(x["row"], x["reasons"]) for x in r.json()["rejected"]] == [
        (1, ["label: not 0 or 1 (a binary model)"]),
        (2, ["label: missing"]),
    ]


def test_big_integer_in_a_boolean_column_rejects_its_row(world: World) -> None:
    url = world.add_version("a", "bigint", "1")
    flags: list[Any] = [True, 2**63, False, 1, 2**64 + 5]
    n = len(flags)
    r = world.api.post(
        f"{url}/predictions",
        json={"columns": {"x": [1.0] * n, "city": ["a"] * n, "flag": flags, "score": [0.5] * n}},
        headers=world.auth(),
    )
    assert r.status_code == 200, r.text
    assert [x["row"] for x in r.json()["rejected"]] == [1, 4]
    assert r.json()["accepted"] == 3


def test_reference_target_is_checked_against_the_task(world: World) -> None:
    url = world.add_version("a", "reftarget", "1")
    n = 10
    reference = pa.table(
        {
            "x": [1.0] * n,
            "city": ["a"] * n,
            "flag": [True] * n,
            "score": [0.5] * n,
            "y": [0, 1, 0, 1, 2, 0, 1, 0, 1, 0],
        }
    )
    r = world.api.put(
        f"{url}/reference?target=y",
        content=parquet_bytes(reference),
        headers={**world.auth(), **PARQUET},
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"] == [
        {"row": 4, "reasons": ["y: not 0 or 1 (a binary model)"]}
    ]


def test_alert_history_since_that_overflows_is_422(world: World) -> None:
    r = world.api.get(
        f"{world.base()}/alerts",
        params={"since": "9999-12-31T23:59:59-01:00"},
        headers=world.auth(),
    )
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    ("start", "status"),
    [("9999-12-31T23:59:59-01:00", 422), ("9999-12-31T23:00:00Z", 422), ("1066-10-14", 422)],
)
def test_profile_start_out_of_range_is_422(world: World, start: str, status: int) -> None:
    from driftline.monitor import profile_rows
    from driftline.store import VersionSchema

    url = world.add_version("a", "profiles", "1")
    n = 20
    rows = pa.table({"x": [1.0] * n, "city": ["a"] * n, "flag": [True] * n, "score": [0.5] * n})
    profile = profile_rows(VersionSchema.from_dict({**SCHEMA}), rows).to_bytes()
    r = world.api.post(
        f"{url}/profiles",
        params={"start": start},
        content=profile,
        headers={**world.auth(), "content-type": "application/vnd.driftline.profile"},
    )
    assert r.status_code == status, r.text
