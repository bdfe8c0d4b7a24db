"""The real server's per-token rate limit (429 + Retry-After) is honoured by the SDK."""

from __future__ import annotations

import time

from driftline.client import Client

from .conftest import RealServer, bootstrap, stored


def test_rate_limited_requests_wait_for_retry_after(tmp_path) -> None:
    url, engine, _, token = bootstrap(tmp_path)
    server = RealServer(url, rate=2.0).start()
    try:
        with Client(server.url, token, project="acme", retries=10) as client:
            client.create_model("limited")  # resource calls also wait out a 429
            client.register_version("limited", "1", schema={"x": "numeric"})
            start = time.monotonic()
            ids = []
            for k in range(6):
                ids += client.log_predictions(
                    "limited", "1", {"x": [float(k)] * 10, "score": [0.5] * 10}
                )
                client.flush(30)
            elapsed = time.monotonic() - start
            stats = client.stats
    finally:
        server.stop()
    assert stats.retries >= 1
    assert stats.rows_sent == 60
    assert stats.rows_failed == 0
    assert elapsed >= 1.0  # waited as Retry-After asked
    assert sorted(stored(engine, "limited", "1")) == sorted(ids)
    engine.dispose()
