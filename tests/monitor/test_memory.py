"""The monitor's memory does not grow with the length of the stream."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import numpy as np
import pandas as pd
import psutil
from sqlalchemy import Engine

from driftline.monitor import Monitor
from driftline.store import VersionSchema

SCHEMA = VersionSchema({"x": "numeric", "c": "categorical"}, task="binary")


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1.0 / (1.0 + np.exp(-x))
    return pd.DataFrame(
        {"x": x, "c": rng.choice(["a", "b", "c", "d"], n), "proba": p,
         "y_pred": (p >= 0.5).astype(np.int64), "target": (rng.random(n) < p).astype(np.int64)}
    )  # fmt: skip


def test_memory_stays_flat_over_many_windows(sqlite_engine: Engine, h: Any) -> None:
    n_windows, size = 75, 400
    setup = h.make_version(sqlite_engine, _frame(20_000, 0), schema=SCHEMA, window_size=size)
    frame = _frame(size * n_windows, 1)
    stream = h.as_rows(frame, ids="s")
    ids = setup.ingest(stream, batch_rows=400)  # the whole stream first: only the monitor runs
    labelled = np.arange(len(ids)) % size < 300  # 300 labels per window
    setup.store.ingest_labels(
        setup.version_id,
        [i for i, keep in zip(ids, labelled, strict=True) if keep],
        frame["target"].to_numpy()[labelled],
    )
    monitor = Monitor(sqlite_engine, alerts=False, max_windows_per_run=1)  # one window a pass

    def windows(count: int) -> None:
        for _ in range(count):
            stats = monitor.run_once()
            assert stats.errors == 0
            assert stats.windows_computed == 1

    windows(15)  # warm up caches (imports, compiled statements, the fitted estimator)
    gc.collect()
    tracemalloc.start()
    try:
        process = psutil.Process()
        base_rss = process.memory_info().rss
        sizes = []
        for _ in range(2):
            windows(30)
            gc.collect()
            sizes.append(tracemalloc.get_traced_memory()[0])
        end_rss = process.memory_info().rss
    finally:
        tracemalloc.stop()
    first, second = sizes
    # 30 more windows add (almost) nothing: keeping one window's results or profile per
    # window (tens of kB each) would add about a megabyte.
    assert second - first < 64 * 1024, sizes
    assert end_rss - base_rss < 32 * 1024 * 1024
    assert monitor.totals.windows_computed == n_windows
    assert monitor.run_once().windows_computed == 0
    assert len(monitor.estimators) == 1  # one version, one chunk size
