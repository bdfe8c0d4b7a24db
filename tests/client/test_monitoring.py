"""The SDK reads what the real server's monitor loop computes: window results, time series,
and the alert that a drifted stream fires."""

from __future__ import annotations

import time

from driftline.client import Client

from .conftest import RealServer, bootstrap, frame


def test_windows_timeseries_and_alerts_from_the_monitor(tmp_path) -> None:
    url, engine, _, token = bootstrap(tmp_path)
    server = RealServer(url, monitor=True).start()
    try:
        with Client(server.url, token) as client:
            client.create_model("m")
            rule = client.create_alert_rule("drift on m", "drift", {"min_drifted": 1}, model="m")
            client.register_version("m", "1", reference=frame(2000, seed=1), target="label",
                                    window="500 rows")  # fmt: skip
            current = frame(1000, seed=2, shift=1.5)  # the mean of x moves 1.5 sd
            ids = client.log_predictions("m", "1", current.drop(columns="label"))
            client.log_labels("m", "1", ids, current["label"].to_numpy())
            client.flush(30)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                windows = client.windows("m", "1")
                alerts = client.alerts(model="m")
                done = len(windows) == 2 and all(
                    w.computed_at is not None and not w.dirty for w in windows
                )
                if done and alerts:
                    break
                time.sleep(0.5)
            first = client.window("m", "1", windows[0].window_key)
            series = client.timeseries("m", "1", ["volume.rows", "realized.roc_auc"])
    finally:
        server.stop()
        engine.dispose()
    assert [(w.rows, w.labels) for w in windows] == [(500, 500), (500, 500)]
    results = first.results
    assert results is not None
    assert results["drift"]["drifted"] is True
    assert "x" in results["drift"]["drifted_columns"]
    assert 0.5 < results["realized"]["metrics"]["roc_auc"]["value"] < 1.0
    assert [p.value for p in series["volume.rows"]] == [500.0, 500.0]
    assert all(p.value is not None for p in series["realized.roc_auc"])
    assert alerts
    assert alerts[0].status == "firing"
    assert alerts[0].rule_id == rule.id
    assert alerts[0].model == "m"
    assert first.drifted is True
