"""The example job of docs/scale-out.md: hourly window profiles computed on a Dask
cluster and merged into a real server with ``Client.log_profile``; drift on them."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline.profiles import profile

pytest.importorskip("httpx")
_spec = importlib.util.spec_from_file_location(
    "_driftline_client_conftest_for_integrations",
    Path(__file__).resolve().parents[1] / "client" / "conftest.py",
)
assert _spec is not None
assert _spec.loader is not None
_client_conftest = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _client_conftest  # dataclasses look their module up
_spec.loader.exec_module(_client_conftest)
deployment = _client_conftest.deployment

FEATURES = {"x": "numeric", "city": "categorical", "flag": "boolean"}
DAY = datetime(2026, 11, 1, tzinfo=UTC)


def _rows(n: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    return pd.DataFrame(
        {
            "ts": DAY + pd.to_timedelta(np.sort(rng.uniform(0, 3 * 3600, n)), unit="s"),
            "x": x,
            "city": rng.choice(["oslo", "lima", "pune"], n),
            "flag": rng.random(n) < 0.3,
            "score": 1.0 / (1.0 + np.exp(-x)),
        }
    )


def test_dask_job_uploads_window_profiles(dask_client: Any, deployment: Any) -> None:
    import dask.dataframe as dd

    from driftline.client import Client
    from driftline.drift import DriftDetector
    from driftline.integrations import merge_profiles
    from driftline.integrations.dask import profile as dask_profile

    reference = _rows(3000, seed=1, shift=0.0)
    current = _rows(3000, seed=2, shift=1.0)
    rows = dd.from_pandas(current, npartitions=4)
    uploaded = []
    with Client(deployment.url, deployment.token) as client:
        client.create_model("cluster")
        client.register_version(
            "cluster", "1", schema=FEATURES,
            reference_profile=profile(reference[list(FEATURES)], schema=FEATURES),
        )  # fmt: skip
        for hour in range(3):
            start = DAY + timedelta(hours=hour)
            window = rows[(rows.ts >= start) & (rows.ts < start + timedelta(hours=1))]
            p = dask_profile(window, columns=[*FEATURES, "score"], schema=FEATURES)
            if p.n_rows:
                receipt = client.log_profile("cluster", "1", p, start=start)
                assert receipt.rows == p.n_rows
                uploaded.append(p)
        windows = client.windows("cluster", "1")
    assert sorted(w.rows for w in windows) == sorted(p.n_rows for p in uploaded)
    assert sum(w.rows for w in windows) == len(current)
    # drift from the cluster profiles: the shifted feature drifts, the others do not
    day = merge_profiles(uploaded)
    detector = DriftDetector().fit(profile(reference[list(FEATURES)], schema=FEATURES))
    drifted = set(detector.compare(day).drifted_columns)
    assert "x" in drifted
    assert "city" not in drifted
