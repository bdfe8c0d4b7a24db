"""Issue 13.23: weekly windows start on Mondays (ISO weeks), not on Thursdays (the epoch's
weekday); ``align: "epoch"`` keeps the old rule, and versions stored before keep theirs."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from sqlalchemy import select, update

from driftline.profiles import profile
from driftline.store import Model, ModelVersion, create_engine_from_url, session_factory

from .conftest import ARROW, World, arrow_bytes

WEEK = 7 * 86_400
WEDNESDAY = datetime(2024, 3, 6, 12, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _send(world: World, url: str, moment: datetime) -> int:
    rows = pa.table(
        {
            "x": np.arange(5.0),
            "city": ["a"] * 5,
            "flag": [True] * 5,
            "score": np.full(5, 0.5),
            "timestamp": pa.array([moment] * 5, pa.timestamp("us", "UTC")),
        }
    )
    r = world.api.post(
        f"{url}/predictions", content=arrow_bytes(rows), headers={**world.auth(), **ARROW}
    )
    assert r.status_code == 200, r.text
    keys = [w["window_key"] for w in world.api.get(f"{url}/windows", headers=world.auth()).json()]
    assert len(keys) == 1
    return int(keys[0])


def test_weekly_windows_start_on_monday(world: World) -> None:
    url = world.add_version("a", "weekly", "1", window={"kind": "time", "size_seconds": WEEK})
    version = world.api.get(url, headers=world.auth()).json()
    assert version["window"] == {"kind": "time", "size_seconds": WEEK, "align": "calendar"}
    assert _send(world, url, WEDNESDAY) == _micros(datetime(2024, 3, 4, tzinfo=UTC))
    # a profile uploaded for a moment of that week lands in the same window
    body = profile({"x": [1.0, 2.0], "city": ["a", "b"], "flag": [True, False],
                    "score": [0.1, 0.2]}).to_bytes()  # fmt: skip
    r = world.api.post(
        f"{url}/profiles?start=2024-03-10T23:00:00Z",
        content=body,
        headers={**world.auth(), "Content-Type": "application/vnd.driftline.profile"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["window_key"] == _micros(datetime(2024, 3, 4, tzinfo=UTC))
    # a window_key that is not a Monday is refused with the rule in the message
    thursday = _micros(datetime(2024, 2, 29, tzinfo=UTC))
    r = world.api.post(
        f"{url}/profiles?window_key={thursday}",
        content=body,
        headers={**world.auth(), "Content-Type": "application/vnd.driftline.profile"},
    )
    assert r.status_code in (400, 422), r.text
    assert "is not the start" in r.json()["error"]["message"]


def test_epoch_alignment_on_request_and_for_versions_stored_before(world: World) -> None:
    window = {"kind": "time", "size_seconds": WEEK, "align": "epoch"}
    url = world.add_version("a", "weekly-epoch", "1", window=window)
    assert world.api.get(url, headers=world.auth()).json()["window"]["align"] == "epoch"
    assert _send(world, url, WEDNESDAY) == _micros(datetime(2024, 2, 29, tzinfo=UTC))
    # a version registered before the migration has origin 0: it keeps Thursday weeks
    url = world.add_version("a", "weekly-old", "1", window={"kind": "time", "size_seconds": WEEK})
    engine = create_engine_from_url(world.url)
    old = select(Model.id).where(Model.name == "weekly-old").scalar_subquery()
    with session_factory(engine).begin() as session:
        session.execute(
            update(ModelVersion).where(ModelVersion.model_id == old).values(window_origin=0)
        )
    engine.dispose()
    assert world.api.get(url, headers=world.auth()).json()["window"]["align"] == "epoch"


def test_days_and_hours_are_aligned_either_way(world: World) -> None:
    url = world.add_version("a", "daily", "1", window={"kind": "time", "size_seconds": 86_400})
    assert _send(world, url, WEDNESDAY) == _micros(datetime(2024, 3, 6, tzinfo=UTC))
