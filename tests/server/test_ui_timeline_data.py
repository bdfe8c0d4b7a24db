"""The version page reads every window's numbers with one JSON extraction per row (SQLite
``json_extract`` with many paths, PostgreSQL a ``jsonb`` cast): the same numbers as parsing
the full results in Python, on both databases; the timeline is rebuilt when a window is
added or marked for recomputation, and at the latest after the cache's time limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from driftline.server._ui._data import timeline_rows, window_row
from driftline.store import Window

from .conftest import World


def _results(i: int) -> dict[str, Any]:
    acc = 0.9 - 0.01 * i
    return {
        "schema": 1,
        "drift": {
            "drifted": i % 2 == 1,
            "n_columns": 3,
            "share_drifted": (i % 2) / 3,
            "columns": {"x": {"drifted": i % 2 == 1, "effect_size": 0.2}},
        },
        "quality": {
            "n_findings": i % 3,
            "findings": [{"column": "x", "severity": "warning", "message": "m"}] * (i % 3),
        },
        "estimated": {
            "metrics": {
                "accuracy": {
                    "value": acc,
                    "lower": acc - 0.02,
                    "upper": acc + 0.02,
                    "band_lower": 0.86,
                    "band_upper": 0.93,
                    "alert": acc < 0.86,
                },
            }
        },
        "realized": {"n_labels": 40, "metrics": {"accuracy": {"value": acc, "lower": 0.8}}}
        if i < 3
        else None,
    }


def _windows(world: World, n: int) -> str:
    world.add_version("a", "m", "1")
    version_id = world.version_id("a")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with world.app.state.driftline.writes.begin() as session:
        for i in range(n):
            moment = start + timedelta(hours=i)
            session.add(
                Window(
                    model_version_id=version_id,
                    window_key=int(moment.timestamp() * 1_000_000),
                    start_at=moment,
                    end_at=moment + timedelta(hours=1),
                    row_count=100 + i,
                    label_count=40 if i < 3 else 0,
                    status="closed",
                    dirty=False,
                    results=_results(i) if i != 4 else None,  # one not computed yet
                    version=1,
                )
            )
    return version_id


def test_extracted_numbers_equal_the_parsed_results(world: World) -> None:
    version_id = _windows(world, 7)
    with world.app.state.driftline.sessions() as session:
        light = timeline_rows(session, version_id, "accuracy", "accuracy")
        full = [window_row(w) for w in session.query(Window).order_by(Window.window_key)]
    assert [r.key for r in light] == [r.key for r in full]
    for a, b in zip(light, full, strict=True):
        for name in ("start", "end", "status", "rows", "labels", "computed", "failed"):
            assert getattr(a, name) == getattr(b, name), name
        assert a.drift_share == b.drift_share
        assert a.drifted == b.drifted
        assert a.n_columns == b.n_columns
        assert a.n_findings == b.n_findings
        assert a.estimated == b.estimated
        assert a.realized == b.realized
    assert light[4].computed is False
    assert light[6].estimated["accuracy"].outside is True


def test_version_page_is_served_and_cached_until_a_window_changes(world: World) -> None:
    version_id = _windows(world, 5) if not _has_windows(world) else world.version_id("a")
    secret = world.tokens[("a", "viewer")]
    cookie, _ = world.app.state.ui_sessions.create(secret, secret.split("_")[1])
    headers = {"Cookie": f"driftline_session={cookie}"}
    url = f"/ui/projects/{world.projects['a']}/models/m/versions/1"
    first = world.api.get(url, headers=headers)
    assert first.status_code == 200
    assert "timeline-data" in first.text
    again = world.api.get(url, headers=headers)
    assert again.text == first.text
    # late labels mark a window for recomputation: the page is rebuilt
    with world.app.state.driftline.writes.begin() as session:
        session.execute(
            update(Window)
            .where(Window.model_version_id == version_id)
            .values(row_count=Window.row_count + 1000, dirty=True)
        )
    changed = world.api.get(url, headers=headers)
    assert changed.text != first.text
    # a recomputation that no page view saw is shown after the cache's time limit
    with world.app.state.driftline.writes.begin() as session:
        session.execute(
            update(Window)
            .where(Window.model_version_id == version_id)
            .values(row_count=Window.row_count + 1000, dirty=False)
        )
    world.app.state.ui_timelines.ttl = 0.0
    later = world.api.get(url, headers=headers)
    assert later.text != changed.text
    world.app.state.ui_timelines.ttl = 30.0


def _has_windows(world: World) -> bool:
    try:
        version_id = world.version_id("a")
    except AssertionError:
        return False
    with world.app.state.driftline.sessions() as session:
        return session.query(Window).filter(Window.model_version_id == version_id).count() > 0


def test_pages_of_a_version_without_windows(world: World) -> None:
    world.add_version("a", "empty", "1")
    secret = world.tokens[("a", "viewer")]
    cookie, _ = world.app.state.ui_sessions.create(secret, secret.split("_")[1])
    headers = {"Cookie": f"driftline_session={cookie}"}
    base = f"/ui/projects/{world.projects['a']}"
    page = world.api.get(f"{base}/models/empty/versions/1", headers=headers)
    assert page.status_code == 200
    assert "No window has been computed yet" in page.text
    overview = world.api.get(base, headers=headers)
    assert overview.status_code == 200
    assert "no data" in overview.text
    missing = world.api.get(f"{base}/models/empty/versions/1/windows/123", headers=headers)
    assert missing.status_code == 404
    bad = world.api.get(f"{base}/models/empty/versions/1/windows/abc", headers=headers)
    assert bad.status_code == 404
