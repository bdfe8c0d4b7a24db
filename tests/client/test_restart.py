"""A SIGKILLed and restarted driftline server loses no acknowledged row and counts none twice."""

from __future__ import annotations

import threading
import time

import pyarrow as pa

from driftline.client import Client

from .conftest import RealServer, bootstrap, count, frame, stored


def test_a_server_restart_does_not_lose_or_double_count_rows(tmp_path) -> None:
    url, engine, _, token = bootstrap(tmp_path)
    server = RealServer(url).start()
    logged: list[str] = []
    stop = threading.Event()
    try:
        client = Client(server.url, token, batch_size=200, flush_interval=0.05,
                        retries=40, backoff=0.05)  # fmt: skip
        client.create_model("restart")
        client.register_version("restart", "1", reference=frame(200, seed=8), target="label")

        batch = pa.Table.from_pandas(frame(50, seed=100).drop(columns="label"))

        def produce() -> None:
            while not stop.is_set():
                logged.extend(client.log_predictions("restart", "1", batch))
                time.sleep(0.01)

        producer = threading.Thread(target=produce)
        producer.start()
        deadline = time.monotonic() + 30
        while client.stats.rows_sent < 600 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill()  # SIGKILL, mid-stream
        time.sleep(0.5)  # the client keeps logging and retrying while it is down
        server.start()
        time.sleep(0.5)
        stop.set()
        producer.join()
        client.flush(60)
        stats = client.stats
        client.close()
    finally:
        stop.set()
        server.stop()
    assert stats.retries > 0
    assert len(logged) == len(set(logged)) > 600
    assert count(engine, "restart", "1") == len(logged)
    assert sorted(stored(engine, "restart", "1")) == sorted(logged)
    assert stats.rows_sent == len(logged)
    assert stats.rows_failed == stats.rows_dropped == 0
    engine.dispose()
