"""Ingestion over HTTP on SQLite and PostgreSQL: every body format, per-row rejection,
all-or-nothing, idempotent retries, labels before and after their predictions, windows."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import func, select

from driftline.profiles import DatasetProfile, profile
from driftline.store import PredictionStore
from driftline.store._models import Prediction

from .conftest import ARROW, PARQUET, World, arrow_bytes, parquet_bytes

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _rows(n: int, seed: int = 0, ids: bool = True) -> pa.Table:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {
        "timestamp": pa.array(
            [T0 + timedelta(seconds=int(s)) for s in rng.integers(0, 3000, n)],
            pa.timestamp("us", tz="UTC"),
        ),
        "x": rng.normal(size=n),
        "city": rng.choice(["a", "b", "c"], size=n).tolist(),
        "flag": (rng.random(n) < 0.5).tolist(),
        "score": rng.random(n),
    }
    if ids:
        cols["prediction_id"] = [f"{seed}-{i}-{secrets.token_hex(3)}" for i in range(n)]
    return pa.table(cols)


@pytest.fixture(scope="module")
def version(world: World) -> str:
    return world.add_version("a", "ingest", "1")


def test_json_records_keep_valid_rows_and_list_bad_ones(world: World, version: str) -> None:
    records = [
        {"prediction_id": "r1", "x": 1.5, "city": "a", "flag": True, "score": 0.2},
        {"prediction_id": "r2", "x": "abc", "city": "b", "flag": False, "score": 0.4},
        {"prediction_id": "r3", "x": 2, "city": "c", "flag": "true", "score": 1.7},
        {"prediction_id": "r4", "x": "3.25", "city": 7, "flag": "false", "score": 0.9},
    ]
    r = world.api.post(f"{version}/predictions", json={"records": records}, headers=world.auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stored"] is True
    assert body["prediction_ids"] == ["r1", "r4"]
    reasons = {row["prediction_id"]: row["reasons"] for row in body["rejected"]}
    assert reasons == {"r2": ["x: not a number"], "r3": ["score: outside [0, 1]"]}
    # Retrying the same batch stores nothing twice.
    again = world.api.post(
        f"{version}/predictions", json={"records": records}, headers=world.auth()
    ).json()
    assert again["accepted"] == 0
    assert sorted(again["duplicates"]) == ["r1", "r4"]


def test_json_columns_and_generated_ids(world: World, version: str) -> None:
    columns = {"x": [1.0, None, 3.0], "city": ["a", "b", None], "flag": [True, None, False]}
    columns["score"] = [0.1, 0.2, 0.3]
    r = world.api.post(f"{version}/predictions", json={"columns": columns}, headers=world.auth())
    assert r.status_code == 200, r.text
    ids = r.json()["prediction_ids"]
    assert len(ids) == 3
    assert len(set(ids)) == 3
    assert all(len(i) == 36 and i[14] == "7" for i in ids)  # UUIDv7 strings


@pytest.mark.parametrize("fmt", ["arrow", "parquet"])
def test_binary_bodies_store_every_row_once(world: World, version: str, fmt: str) -> None:
    table = _rows(500, seed=1 if fmt == "arrow" else 2)
    body, headers = (
        (arrow_bytes(table), ARROW) if fmt == "arrow" else (parquet_bytes(table), PARQUET)
    )
    r = world.api.post(f"{version}/predictions", content=body, headers={**world.auth(), **headers})
    assert r.status_code == 200, r.text
    assert r.json()["prediction_ids"] == table["prediction_id"].to_pylist()
    r2 = world.api.post(f"{version}/predictions", content=body, headers={**world.auth(), **headers})
    assert r2.json()["accepted"] == 0
    assert len(r2.json()["duplicates"]) == 500
    engine = world.app.state.driftline.engine
    wanted = table["prediction_id"].to_pylist()
    with engine.connect() as conn:
        found = conn.execute(
            select(func.count()).select_from(Prediction).where(Prediction.prediction_id.in_(wanted))
        ).scalar_one()
    assert found == 500


def test_all_or_nothing_refuses_the_batch_with_reasons(world: World, version: str) -> None:
    columns = {
        "prediction_id": ["aon-1", "aon-2"],
        "x": [1.0, "nope"],
        "city": ["a", "b"],
        "flag": [True, False],
        "score": [0.5, 0.5],
    }
    r = world.api.post(
        f"{version}/predictions?all_or_nothing=true",
        json={"columns": columns},
        headers=world.auth(),
    )
    assert r.status_code == 422
    body = r.json()
    assert body["stored"] is False
    assert body["accepted"] == 0
    assert body["rejected"] == [
        {"row": 1, "prediction_id": "aon-2", "reasons": ["x: not a number"]}
    ]
    assert body["error"]["code"] == "rows_rejected"
    # Nothing was stored: the good row can still be sent and is accepted, not a duplicate.
    columns = {k: v[:1] for k, v in columns.items()}
    ok = world.api.post(f"{version}/predictions", json={"columns": columns}, headers=world.auth())
    assert ok.json()["prediction_ids"] == ["aon-1"]


def test_schema_mismatch_is_422(world: World, version: str) -> None:
    table = _rows(3).drop_columns(["city"])
    r = world.api.post(
        f"{version}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "schema_mismatch"
    assert "city" in r.json()["error"]["message"]


def test_labels_before_and_after_predictions(world: World, version: str) -> None:
    table = _rows(4, seed=7)
    ids = table["prediction_id"].to_pylist()
    # Two labels arrive before their predictions, as records.
    early = world.api.post(
        f"{version}/labels",
        json={
            "records": [
                {"prediction_id": ids[0], "label": 1},
                {"prediction_id": ids[1], "label": 0},
            ]
        },
        headers=world.auth(),
    )
    assert early.json() == {"joined": 0, "pending": 2, "rejected": []}
    world.api.post(
        f"{version}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    # The other two after, as an Arrow table.
    late = pa.table({"prediction_id": ids[2:], "label": [1.0, 1.0]})
    r = world.api.post(
        f"{version}/labels", content=arrow_bytes(late), headers={**world.auth(), **ARROW}
    )
    assert r.json() == {"joined": 2, "pending": 0, "rejected": []}
    r = world.api.post(
        f"{version}/labels", json={"prediction_ids": ids[:1], "labels": [0]}, headers=world.auth()
    )
    assert r.json() == {"joined": 1, "pending": 0, "rejected": []}
    engine = world.app.state.driftline.engine
    with engine.connect() as conn:
        labels = dict(
            conn.execute(
                select(Prediction.prediction_id, Prediction.label).where(
                    Prediction.prediction_id.in_(ids)
                )
            ).all()
        )
    assert labels == {ids[0]: 0.0, ids[1]: 0.0, ids[2]: 1.0, ids[3]: 1.0}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"prediction_ids": ["a"], "labels": [1, 2]}, "1 prediction ids but 2 labels"),
        ({"records": [{"prediction_id": "a"}]}, "lacks the key 'label'"),
        ({"labels": [1]}, "must be"),
        ({"prediction_ids": [], "labels": []}, "at least one"),
    ],
)
def test_unreadable_label_bodies_are_400(
    world: World, version: str, body: object, needle: str
) -> None:
    r = world.api.post(f"{version}/labels", json=body, headers=world.auth())
    assert r.status_code == 400, r.text
    assert needle in r.json()["error"]["message"]


def test_bad_labels_are_rejected_row_by_row(world: World, version: str) -> None:
    ids = ["ok-1", "ok-0", "bad-x", "bad-null", "", "bad-2"]
    labels: list[object] = [1, 0, "x", None, 1, 2]
    r = world.api.post(
        f"{version}/labels", json={"prediction_ids": ids, "labels": labels}, headers=world.auth()
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pending"] == 2
    assert [(x["row"], x["prediction_id"], x["reasons"]) for x in body["rejected"]] == [
        (2, "bad-x", ["label: not a number"]),
        (3, "bad-null", ["label: missing"]),
        (4, "", ["prediction_id: empty"]),
        (5, "bad-2", ["label: not 0 or 1 (a binary model)"]),
    ]


def test_windows_and_timeseries(world: World) -> None:
    url = world.add_version("a", "win", "1", window={"kind": "time", "size_seconds": 600})
    table = _rows(300, seed=11)
    world.api.post(
        f"{url}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    windows = world.api.get(f"{url}/windows", headers=world.auth("a", "viewer")).json()
    ts = table["timestamp"].cast(pa.int64()).to_numpy()
    keys, counts = np.unique((ts // 600_000_000) * 600_000_000, return_counts=True)
    assert [w["window_key"] for w in windows] == keys.tolist()
    assert [w["rows"] for w in windows] == counts.tolist()
    assert all(w["status"] == "open" and w["drifted"] is None for w in windows)
    # A computed result (as the monitor would store it) shows in the window and the series.
    engine = world.app.state.driftline.engine
    store = PredictionStore(engine)
    first = store.windows(_version_id(world, "win"))[0]
    results = {
        "drift": {"drifted": True, "share_drifted": 0.5, "drifted_columns": ["x"]},
        "estimated": {
            "method": "CBPE",
            "metrics": {
                "roc_auc": {
                    "value": 0.8,
                    "lower": 0.7,
                    "upper": 0.9,
                    "band_lower": 0.75,
                    "band_upper": 0.95,
                    "alert": False,
                }
            },
        },
    }
    assert store.save_window_results(first, results)
    one = world.api.get(
        f"{url}/windows/{first.window_key}", headers=world.auth("a", "viewer")
    ).json()
    assert one["drifted"] is True
    assert one["share_drifted"] == 0.5
    assert one["results"]["estimated"]["method"] == "CBPE"
    series = world.api.get(
        f"{url}/timeseries?series=volume.rows,drift.share_drifted,estimated.roc_auc",
        headers=world.auth("a", "viewer"),
    ).json()["series"]
    assert [p["value"] for p in series["volume.rows"]] == [float(c) for c in counts]
    assert series["drift.share_drifted"][0]["value"] == 0.5
    assert series["drift.share_drifted"][1]["value"] is None
    assert series["estimated.roc_auc"][0] == {
        "t": series["estimated.roc_auc"][0]["t"],
        "window_key": first.window_key,
        "value": 0.8,
        "lower": 0.75,
        "upper": 0.95,
    }
    missing = world.api.get(f"{url}/windows/12345", headers=world.auth("a", "viewer"))
    assert missing.status_code == 404


def _version_id(world: World, model: str) -> str:
    return world.version_id("a", model, "1")


def test_reference_from_rows_and_from_profile(world: World) -> None:
    url = world.add_version("a", "ref", "1")
    table = _rows(200, seed=5).append_column("y", pa.array(np.arange(200) % 2, pa.int64()))
    r = world.api.put(
        f"{url}/reference?target=y",
        content=parquet_bytes(table),
        headers={**world.auth(), **PARQUET},
    )
    assert r.status_code == 200, r.text
    assert r.json()["kept_columns"] == ["score", "label"]
    assert r.json()["rows"] == 200
    engine = world.app.state.driftline.engine
    from driftline.store import Catalog, session_factory

    with session_factory(engine)() as session:
        catalog = Catalog(session)
        vid = _version_id(world, "ref")
        kept = catalog.reference_data(vid)
        ref = catalog.reference_profile(vid)
    assert kept is not None
    assert kept["label"].to_pylist() == [float(i % 2) for i in range(200)]
    assert kept["score"].to_pylist() == table["score"].to_pylist()
    assert ref is not None
    assert ref["x"].count == 200
    assert ref.n_rows == 200
    got = world.api.get(url, headers=world.auth("a", "viewer")).json()
    assert got["has_reference_profile"]
    assert got["has_reference_data"]
    # A profile instead of rows.
    prof = profile(table.select(["x", "city", "flag"]))
    r = world.api.put(
        f"{url}/reference",
        content=prof.to_bytes(),
        headers={**world.auth(), "content-type": "application/vnd.driftline.profile"},
    )
    assert r.status_code == 200
    assert r.json()["kind"] == "profile"
    with session_factory(engine)() as session:
        stored = Catalog(session).reference_profile(_version_id(world, "ref"))
    assert isinstance(stored, DatasetProfile)
    assert stored.to_bytes() == prof.to_bytes()
    bad = world.api.put(
        f"{url}/reference",
        content=b"not a profile",
        headers={**world.auth(), "content-type": "application/vnd.driftline.profile"},
    )
    assert bad.status_code == 400
    no_target = world.api.put(
        f"{url}/reference?target=nope",
        content=arrow_bytes(table),
        headers={**world.auth(), **ARROW},
    )
    assert no_target.status_code == 422
    assert "nope" in no_target.json()["error"]["message"]


def test_window_export_has_every_row_with_its_label(world: World) -> None:
    url = world.add_version("a", "export", "1", window={"kind": "rows", "size": 1000})
    table = _rows(120, seed=21)
    r = world.api.post(
        f"{url}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    assert r.status_code == 200, r.text
    ids = table["prediction_id"].to_pylist()
    labels = [i % 2 for i in range(40)]
    r = world.api.post(
        f"{url}/labels",
        json={"prediction_ids": ids[:40], "labels": labels},
        headers=world.auth(),
    )
    assert r.json()["joined"] == 40
    key = world.api.get(f"{url}/windows", headers=world.auth()).json()[0]["window_key"]
    exported = world.api.get(f"{url}/windows/{key}/predictions", headers=world.auth("a", "viewer"))
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "application/vnd.apache.arrow.stream"
    got = pa.ipc.open_stream(exported.content).read_all()
    assert got["prediction_id"].to_pylist() == ids  # arrival order
    assert got["label"].to_pylist() == [float(v) for v in labels] + [None] * 80
    np.testing.assert_allclose(got["x"].to_numpy(), table["x"].to_numpy())
    parquet = world.api.get(
        f"{url}/windows/{key}/predictions?format=parquet", headers=world.auth("a", "viewer")
    )
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    import io

    import pyarrow.parquet as pq

    assert pq.read_table(io.BytesIO(parquet.content)).equals(got)
    missing = world.api.get(f"{url}/windows/999999/predictions", headers=world.auth())
    assert missing.status_code == 404
    assert missing.json()["error"]["message"].startswith("No window with key 999999")


def test_window_export_uses_the_versions_column_names(world: World) -> None:
    """Issue 13.23: the export returned ``score``/``prediction_id`` instead of the names the
    rows were sent with."""
    schema = {
        "features": {"x": "numeric"},
        "id_column": "request_id",
        "timestamp_column": "ts",
        "score_column": "proba",
        "prediction_column": None,
    }
    url = world.add_version("a", "named", "1", schema=schema, window={"kind": "rows", "size": 1000})
    sent = pa.table(
        {
            "request_id": [f"r{i}" for i in range(150)],
            "ts": pa.array([datetime(2026, 1, 1, tzinfo=UTC)] * 150, pa.timestamp("us", "UTC")),
            "x": np.arange(150.0),
            "proba": np.linspace(0, 1, 150),
        }
    )
    r = world.api.post(
        f"{url}/predictions", content=arrow_bytes(sent), headers={**world.auth(), **ARROW}
    )
    assert r.status_code == 200, r.text
    key = world.api.get(f"{url}/windows", headers=world.auth()).json()[0]["window_key"]
    exported = world.api.get(f"{url}/windows/{key}/predictions", headers=world.auth())
    got = pa.ipc.open_stream(exported.content).read_all()
    assert {"request_id", "ts", "x", "proba", "label", "label_at"} <= set(got.column_names)
    assert not {"prediction_id", "timestamp", "score"} & set(got.column_names)
    assert got["request_id"].to_pylist() == sent["request_id"].to_pylist()
    np.testing.assert_allclose(got["proba"].to_numpy(), sent["proba"].to_numpy())
