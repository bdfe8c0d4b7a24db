"""Profiles that contradict the schema are a 422; a failing window shows its error in the API."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from sqlalchemy import update

from driftline.monitor import Monitor, profile_rows
from driftline.profiles import profile
from driftline.store import VersionSchema, Window

from .conftest import SCHEMA, World

PROFILE = {"content-type": "application/vnd.driftline.profile"}
START = datetime(2024, 3, 1, 10, 30, tzinfo=UTC)


def _rows(n: int) -> pa.Table:
    rng = np.random.default_rng(n)
    return pa.table(
        {"x": rng.normal(size=n), "city": ["a"] * n, "flag": [True] * n, "score": rng.random(n)}
    )


def test_a_profile_whose_kinds_contradict_the_schema_is_a_422(world: World) -> None:
    url = world.add_version("a", "kinds", "1")
    rows = _rows(20)
    as_text = rows.set_column(0, "x", rows["x"].cast(pa.string()))
    wrong = profile(
        as_text,
        schema={"x": "categorical", "city": "categorical", "flag": "boolean", "score": "numeric"},
    )
    r = world.api.post(
        f"{url}/profiles",
        params={"start": START.isoformat()},
        content=wrong.to_bytes(),
        headers={**world.auth("a", "editor"), **PROFILE},
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"]["code"] == "schema_mismatch"
    assert "'x' is 'categorical' in the profile but 'numeric'" in body["error"]["message"]
    windows = world.api.get(f"{url}/windows", headers=world.auth("a", "viewer"))
    assert windows.json() == []  # nothing was stored
    good = profile_rows(VersionSchema.from_dict(SCHEMA), rows)
    ok = world.api.post(
        f"{url}/profiles",
        params={"start": START.isoformat()},
        content=good.to_bytes(),
        headers={**world.auth("a", "editor"), **PROFILE},
    )
    assert ok.status_code == 200, ok.text


def test_the_window_listing_shows_a_failing_window(world: World) -> None:
    url = world.add_version("a", "failing", "1")
    good = profile_rows(VersionSchema.from_dict(SCHEMA), _rows(20))
    r = world.api.post(
        f"{url}/profiles",
        params={"start": START.isoformat()},
        content=good.to_bytes(),
        headers={**world.auth("a", "editor"), **PROFILE},
    )
    assert r.status_code == 200, r.text
    key = r.json()["window_key"]
    # a stored profile no merge can extend (as unchecked uploads could leave before)
    bad = profile(pa.table({"x": ["a"]}), schema={"x": "categorical"}).to_bytes()
    engine = world.app.state.driftline.engine
    with engine.begin() as conn:
        conn.execute(
            update(Window)
            .where(Window.model_version_id == world.version_id("a", "failing", "1"))
            .values(profile=bad)
        )
    r = world.api.post(
        f"{url}/profiles",
        params={"start": START.isoformat()},
        content=good.to_bytes(),
        headers={**world.auth("a", "editor"), **PROFILE},
    )
    assert r.status_code == 422, r.text  # the stored profile refuses the merge, not a 500
    clean = world.api.get(f"{url}/windows", headers=world.auth("a", "viewer")).json()
    assert [(w["failures"], w["error"], w["retry_at"], w["quarantined"]) for w in clean] == [
        (0, None, None, False)
    ]
    with engine.begin() as conn:  # rows land on top of the poisoned profile
        conn.execute(update(Window).values(profile=bad))
    world.api.post(
        f"{url}/predictions",
        json={"records": [{"timestamp": START.isoformat(), "x": 1.0, "city": "a", "flag": True,
                           "score": 0.5}]},
        headers=world.auth("a", "editor"),
    )  # fmt: skip
    stats = Monitor(engine, alerts=False).run_once()
    assert stats.windows_failed >= 1
    listed = world.api.get(f"{url}/windows", headers=world.auth("a", "viewer")).json()
    (window,) = [w for w in listed if w["window_key"] == key]
    assert window["failures"] == 1
    assert window["error"].startswith("SchemaMismatchError: Column 'x' is 'categorical'")
    assert window["retry_at"] is not None
    assert window["quarantined"] is False
    one = world.api.get(f"{url}/windows/{key}", headers=world.auth("a", "viewer")).json()
    assert (one["failures"], one["error"]) == (1, window["error"])
