"""Batching, retries, backoff, refusals, queue limits and shutdown of the SDK's sender,
against a real local HTTP server whose failures are scripted (see conftest.py)."""

from __future__ import annotations

import logging
import statistics
import subprocess
import sys
import textwrap
import threading
import time

import pyarrow as pa
import pytest

from driftline.client import Client, ClientStats, ClientTimeoutError

TOKEN = "dl_0123456789abcdef_" + "x" * 43


def rows(n: int, start: int = 0, score: float = 0.5) -> dict[str, list[float]]:
    return {"x": [float(i) for i in range(start, start + n)], "score": [score] * n}


def accounted(stats: ClientStats) -> int:
    return stats.rows_sent + stats.rows_rejected + stats.rows_failed + stats.rows_dropped


def test_batches_of_batch_size_per_version_and_flush_sends_the_rest(fake) -> None:
    state, url = fake
    with Client(url, TOKEN, batch_size=1000, flush_interval=60) as client:
        ids = [i for k in range(25) for i in client.log_predictions("m", "1", rows(100, 100 * k))]
        other = client.log_predictions("m", "2", rows(10))
        client.flush(10)
        stats = client.stats
    sizes = sorted(r.rows for r in state.requests())
    assert sizes == [10, 500, 1000, 1000]
    assert {r.content_type for r in state.requests()} == {"application/vnd.apache.arrow.stream"}
    stored = state.stored("m", "1")
    assert sorted(stored) == sorted(ids)
    assert len(ids) == 2500
    assert [stored[i]["x"] for i in ids] == [float(v) for v in range(2500)]  # order and values
    assert sorted(state.stored("m", "2")) == sorted(other)
    assert stats.rows_sent == 2510
    assert stats.requests == 4
    assert stats.retries == 0
    assert stats.queue_rows == 0


def test_flush_interval_sends_a_partial_batch_without_flush(fake) -> None:
    state, url = fake
    with Client(url, TOKEN, batch_size=1000, flush_interval=0.2) as client:
        start = time.monotonic()
        client.log_predictions("m", "1", rows(3))
        while not state.requests() and time.monotonic() - start < 5:
            time.sleep(0.01)
        assert [r.rows for r in state.requests()] == [3]
        assert state.requests()[0].at - start >= 0.15


def test_5xx_is_retried_with_backoff_and_counted(fake) -> None:
    state, url = fake
    state.plan = [("status", 503), ("status", 502)]
    with Client(url, TOKEN, retries=3, backoff=0.2) as client:
        ids = client.log_predictions("m", "1", rows(50))
        client.flush(10)
        stats = client.stats
    reqs = state.requests()
    assert [r.status for r in reqs] == [503, 502, 200]
    assert reqs[1].at - reqs[0].at >= 0.1 - 0.01  # equal jitter: at least half of 0.2 s
    assert reqs[2].at - reqs[1].at >= 0.2 - 0.01  # then at least half of 0.4 s
    assert sorted(state.stored()) == sorted(ids)
    assert (stats.retries, stats.requests, stats.rows_sent, stats.rows_failed) == (2, 3, 50, 0)


def test_429_honours_retry_after(fake) -> None:
    state, url = fake
    state.plan = [("retry_after", 1)]
    with Client(url, TOKEN, backoff=0.01) as client:
        client.log_predictions("m", "1", rows(5))
        client.flush(10)
    first, second = state.requests()
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.95


def test_lost_acknowledgement_is_retried_without_double_counting(fake) -> None:
    state, url = fake
    state.plan = ["lost"]
    with Client(url, TOKEN, backoff=0.05) as client:
        ids = client.log_predictions("m", "1", rows(200))
        client.flush(10)
        stats = client.stats
    assert [r.status for r in state.requests()] == [500, 200]
    assert len(state.stored()) == 200
    assert sorted(state.stored()) == sorted(ids)
    assert stats.rows_sent == 200
    assert stats.rows_duplicate == 200
    assert stats.retries == 1


def test_a_hanging_server_times_out_and_the_batch_is_resent(fake) -> None:
    state, url = fake
    state.plan = [("hang", 2.0)]
    with Client(url, TOKEN, timeout=0.5, backoff=0.05) as client:
        ids = client.log_predictions("m", "1", rows(20))
        client.flush(15)
        stats = client.stats
    assert sorted(state.stored()) == sorted(ids)
    assert stats.retries >= 1
    assert stats.rows_sent == 20


def test_other_4xx_is_not_retried_and_is_surfaced(fake, caplog) -> None:
    state, url = fake
    state.plan = [("status", 403)]
    with caplog.at_level(logging.WARNING, logger="driftline.client"), Client(url, TOKEN) as client:
        ids = client.log_predictions("m", "1", rows(30))
        client.flush(10)
        stats, rejections = client.stats, client.rejections
    assert [r.status for r in state.requests()] == [403]
    assert (stats.rows_rejected, stats.rows_sent, stats.retries) == (30, 0, 0)
    assert len(rejections) == 1
    assert rejections[0].status == 403
    assert "scripted failure 403" in rejections[0].message
    assert list(rejections[0].prediction_ids) == ids
    assert "scripted failure 403" in caplog.text


def test_rows_refused_by_the_server_are_listed_with_their_ids(fake) -> None:
    state, url = fake
    with Client(url, TOKEN) as client:
        ids = client.log_predictions("m", "1", {"x": [1.0, 2.0, 3.0], "score": [0.1, 7.0, 0.2]})
        client.flush(10)
        stats, rejections = client.stats, client.rejections
    assert (stats.rows_sent, stats.rows_rejected) == (2, 1)
    assert rejections[0].row_reasons == ((ids[1], ("score: outside [0, 1]",)),)
    assert sorted(state.stored()) == sorted([ids[0], ids[2]])


def test_413_halves_the_batch_until_it_fits(fake) -> None:
    state, url = fake
    state.max_rows = 300
    with Client(url, TOKEN, batch_size=1000) as client:
        ids = client.log_predictions("m", "1", rows(1000))
        client.flush(10)
        stats = client.stats
    assert sorted(state.stored()) == sorted(ids)
    assert [r.rows for r in state.requests() if r.status == 200] == [250, 250, 250, 250]
    assert stats.rows_sent == 1000
    assert stats.rows_rejected == 0


def test_retries_exhausted_count_as_failed_and_flush_returns(dead_url) -> None:
    with Client(dead_url, TOKEN, project="p", retries=2, backoff=0.01) as client:
        ids = client.log_predictions("m", "1", rows(40))
        client.flush(10)
        stats, rejections = client.stats, client.rejections
    assert (stats.rows_failed, stats.requests, stats.retries, stats.queue_rows) == (40, 3, 2, 0)
    assert rejections[-1].status is None
    assert "gave up after 2 retries" in rejections[-1].message
    assert list(rejections[-1].prediction_ids) == ids


def test_non_blocking_with_the_server_down_never_waits_and_counts_drops(dead_url, caplog) -> None:
    client = Client(dead_url, TOKEN, project="p", block=False, max_queue_rows=500, backoff=5)
    durations = []
    with caplog.at_level(logging.WARNING, logger="driftline.client"):
        for k in range(40):
            start = time.perf_counter()
            ids = client.log_predictions("m", "1", rows(100, 100 * k))
            durations.append(time.perf_counter() - start)
            assert len(ids) == 100
    stats = client.stats
    assert stats.queue_rows == 500
    assert stats.rows_dropped == 3500
    assert accounted(stats) + stats.queue_rows == 4000
    # connection attempts and backoff (5 s) happen in the sender thread, never here
    assert statistics.median(durations) < 0.05
    assert max(durations) < 1.0
    assert caplog.text.count("queue is full") == 1  # rate-limited: one warning per 10 s
    start = time.monotonic()
    client.close(timeout=0.2)
    assert time.monotonic() - start < 3
    stats = client.stats
    assert stats.rows_failed == 500
    assert stats.queue_rows == 0
    assert accounted(stats) == 4000


def test_blocking_mode_waits_for_space_then_times_out(dead_url) -> None:
    client = Client(dead_url, TOKEN, project="p", max_queue_rows=300, timeout=0.5, backoff=5)
    client.log_predictions("m", "1", rows(300))
    start = time.monotonic()
    with pytest.raises(ClientTimeoutError, match="queue stayed full") as info:
        client.log_predictions("m", "1", rows(10))
    assert 0.45 <= time.monotonic() - start < 3
    assert info.value.pending == {"m/1": 300}
    client.close(timeout=0.1)


def test_blocking_mode_waits_until_a_slow_server_drains_the_queue(fake) -> None:
    state, url = fake
    state.plan = [("hang", 0.3)] * 3
    with Client(url, TOKEN, batch_size=100, max_queue_rows=100, flush_interval=0.05) as client:
        start = time.monotonic()
        ids = client.log_predictions("m", "1", rows(350))  # 4 pieces through a 100-row queue
        waited = time.monotonic() - start
        client.flush(10)
    assert waited >= 0.5  # had to wait for the first requests to be acknowledged
    assert sorted(state.stored()) == sorted(ids)


def test_flush_timeout_reports_what_is_pending(dead_url) -> None:
    client = Client(dead_url, TOKEN, project="p", retries=10, backoff=5)
    client.log_predictions("m", "1", rows(7))
    client.log_labels("m", "1", ["a", "b"], [1, 0])
    with pytest.raises(ClientTimeoutError) as info:
        client.flush(0.3)
    assert info.value.pending == {"m/1": 7, "m/1 labels": 2}
    client.close(timeout=0.1)
    assert client.stats.rows_failed == 7
    assert client.stats.labels_failed == 2


def test_labels_are_sent_as_json_batches(fake) -> None:
    state, url = fake
    with Client(url, TOKEN, batch_size=3) as client:
        ids = client.log_predictions("m", "1", rows(5))
        client.log_labels("m", "1", ids, [1, 0, 1, 1, 0])
        client.flush(10)
        stats = client.stats
    assert state.labels == dict(zip(ids, [1, 0, 1, 1, 0], strict=True))
    assert [r.rows for r in state.requests("labels")] == [3, 2]
    assert {r.content_type for r in state.requests("labels")} == {"application/json"}
    assert stats.labels_sent == 5
    assert stats.rows_sent == 5


def test_schemas_are_unified_or_sent_apart(fake) -> None:
    state, url = fake
    with Client(url, TOKEN, flush_interval=60) as client:
        a = client.log_predictions("m", "1", {"x": 1, "score": 0.5})  # int64
        b = client.log_predictions("m", "1", {"x": 2.5, "score": 0.5})  # double: unified
        c = client.log_predictions("m", "1", {"x": "three", "score": 0.5})  # string: apart
        client.flush(10)
    assert [r.rows for r in state.requests()] == [2, 1]
    stored = state.stored()
    assert (stored[a[0]]["x"], stored[b[0]]["x"], stored[c[0]]["x"]) == (1.0, 2.5, "three")


def test_compression_is_transparent_to_the_server(fake) -> None:
    state, url = fake
    with Client(url, TOKEN, compression="zstd") as client:
        ids = client.log_predictions("m", "1", pa.table(rows(100)))
        client.flush(10)
    assert sorted(state.stored()) == sorted(ids)


def test_project_is_asked_from_the_server_when_not_given(fake) -> None:
    state, url = fake
    with Client(url + "/api/v1/", TOKEN) as client:
        ids = client.log_predictions("m", "1", rows(3))
        client.flush(10)
        assert client.project == "p"
    assert sorted(state.stored()) == sorted(ids)


def test_many_caller_threads(fake) -> None:
    state, url = fake
    collected: list[list[str]] = []
    with Client(url, TOKEN, batch_size=500, flush_interval=0.05) as client:

        def work(k: int) -> None:
            collected.append(
                [i for j in range(20) for i in client.log_predictions("m", "1", rows(25, j))]
            )

        threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        client.flush(20)
        stats = client.stats
    everything = [i for ids in collected for i in ids]
    assert len(everything) == len(set(everything)) == 3000
    assert sorted(state.stored()) == sorted(everything)
    assert stats.rows_sent == 3000
    assert stats.queue_rows == 0


def test_closed_client_refuses_to_log(fake) -> None:
    _, url = fake
    client = Client(url, TOKEN)
    client.close()
    client.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        client.log_predictions("m", "1", rows(1))


def test_the_sender_thread_does_not_keep_the_interpreter_alive_and_flushes_at_exit(fake) -> None:
    state, url = fake
    script = textwrap.dedent(
        f"""
        from driftline.client import Client
        client = Client({url!r}, {TOKEN!r}, flush_interval=60)
        ids = client.log_predictions("m", "1", {{"x": [1.0, 2.0], "score": [0.1, 0.2]}})
        print(",".join(ids))
        """
    )  # no close(), no flush(): the atexit hook must deliver the rows
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert time.monotonic() - start < 30
    ids = done.stdout.strip().split(",")
    assert sorted(state.stored()) == sorted(ids)


def test_exit_with_the_server_down_is_bounded(dead_url) -> None:
    script = textwrap.dedent(
        f"""
        from driftline.client import Client
        client = Client({dead_url!r}, {TOKEN!r}, project="p", block=False, backoff=30)
        client.log_predictions("m", "1", {{"x": [1.0], "score": [0.1]}})
        """
    )
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=True)
    assert time.monotonic() - start < 15  # the atexit flush waits at most 2 s


def test_records_are_converted_in_the_sender_and_a_bad_one_is_refused_alone(fake) -> None:
    state, url = fake
    good = [{"x": float(i), "score": 0.5} for i in range(5)]
    with Client(url, TOKEN, flush_interval=60) as client:
        ids = client.log_predictions("m", "1", good[:2])
        ids += client.log_predictions("m", "1", good[2])
        bad = client.log_predictions("m", "1", [good[3], {"x": object(), "score": 0.5}])
        ids += bad[:1] + client.log_predictions("m", "1", good[4])
        client.flush(10)
        stats, rejections = client.stats, client.rejections
    assert [r.rows for r in state.requests()] == [5]  # one body for all five good records
    assert sorted(state.stored()) == sorted(ids)
    assert [state.stored()[i]["x"] for i in ids] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert (stats.rows_sent, stats.rows_rejected) == (5, 1)
    assert rejections[0].status is None
    assert rejections[0].prediction_ids == (bad[1],)
    assert "could not be converted" in rejections[0].message


def test_a_full_queue_drops_without_converting_the_rows(dead_url) -> None:
    import pandas as pd

    from driftline.exceptions import DataError

    client = Client(dead_url, TOKEN, project="p", block=False, max_queue_rows=100, backoff=30)
    client.log_predictions("m", "1", rows(100))  # fills the queue (the server is down)
    unconvertible = pd.DataFrame({"x": [object(), object()], "score": [0.5, 0.5]})
    ids = client.log_predictions("m", "1", unconvertible)  # dropped before conversion
    assert len(ids) == 2
    assert len(set(ids)) == 2
    given = client.log_predictions("m", "1", [{"x": 1.0, "score": 0.5}], ids=["mine"])
    assert given == ["mine"]
    stats = client.stats
    assert (stats.rows_dropped, stats.queue_rows) == (3, 100)
    client.close(timeout=0.1)
    fresh = Client(dead_url, TOKEN, project="p", block=False, backoff=30)
    with pytest.raises(DataError, match="Arrow"):
        fresh.log_predictions("m", "1", unconvertible)  # with room, it is converted: error
    fresh.close(timeout=0.1)
