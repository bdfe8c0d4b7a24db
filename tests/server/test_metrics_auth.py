"""``/metrics`` lists every project's model names and results: it is off unless a scrape
token is set, and then answers only requests that send that token (API tokens do not)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError

from driftline._config import Settings, load_settings
from driftline.exceptions import ParameterError

from .conftest import ROLES, SCRAPE_TOKEN, World, start_world


def test_metrics_are_off_without_a_scrape_token(new_database_url: Callable[[str], str]) -> None:
    for settings in (Settings(), Settings(metrics_enabled=False, metrics_token=SCRAPE_TOKEN)):
        for world in start_world(new_database_url("sqlite"), settings):
            assert "/metrics" not in {getattr(r, "path", None) for r in world.app.routes}
            r = world.api.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
            assert r.status_code == 404  # was 200 for anyone


def test_metrics_need_the_scrape_token(sqlite_world: World) -> None:
    world = sqlite_world
    r = world.api.get("/metrics")
    assert r.status_code == 401
    assert "metrics_token" in r.json()["error"]["message"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    for key in ("a", "b"):
        for role in ROLES:  # API tokens of any role do not open it
            assert world.api.get("/metrics", headers=world.auth(key, role)).status_code == 401
    wrong = {"Authorization": f"Bearer {SCRAPE_TOKEN}x"}
    assert world.api.get("/metrics", headers=wrong).status_code == 401
    r = world.api.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert r.status_code == 200
    assert "driftline_http_requests_total" in r.text


def test_failed_scrapes_count_as_failed_authentications(
    new_database_url: Callable[[str], str],
) -> None:
    settings = Settings(rate_limit_per_second=0, metrics_token=SCRAPE_TOKEN,
                        auth_failure_rate_per_second=0.01, auth_failure_burst=3)  # fmt: skip
    for world in start_world(new_database_url("sqlite"), settings):
        codes = [world.api.get("/metrics").status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]


def test_the_scrape_token_is_a_secret_setting() -> None:
    loaded = load_settings(environ={"DRIFTLINE_METRICS_TOKEN": SCRAPE_TOKEN}, config_path=None)
    assert loaded.values.metrics_token is not None
    assert loaded.values.metrics_token.get_secret_value() == SCRAPE_TOKEN
    assert SCRAPE_TOKEN not in str(loaded.to_dict())  # `driftline config show` masks it
    with pytest.raises(ParameterError, match="metrics_token"):
        load_settings(environ={"DRIFTLINE_METRICS_TOKEN": "short"}, config_path=None)
    with pytest.raises(ValidationError):
        Settings(metrics_token="short")
