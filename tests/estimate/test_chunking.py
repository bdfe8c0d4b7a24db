"""Chunking by size, count and period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftline.estimate._chunking import Chunking, make_chunks
from driftline.exceptions import DataError, InsufficientDataError, ParameterError


def _covered(chunks: list, n: int) -> np.ndarray:
    seen = np.zeros(n, dtype=np.int64)
    for c in chunks:
        np.add.at(seen, np.arange(n)[c.rows], 1)
    return seen


@given(n=st.integers(1, 500), size=st.integers(1, 600))
def test_size_chunks_partition_the_rows_in_order(n: int, size: int) -> None:
    chunks = make_chunks(n, Chunking("size", size=size))
    assert (_covered(chunks, n) == 1).all()
    assert all(c.n_rows == size for c in chunks[:-1])
    assert 1 <= chunks[-1].n_rows <= size
    assert [c.start for c in chunks] == list(range(0, n, size))
    assert all(c.end == c.start + c.n_rows - 1 for c in chunks)


@given(n=st.integers(1, 500), number=st.integers(1, 50))
def test_number_chunks_are_balanced(n: int, number: int) -> None:
    if number > n:
        with pytest.raises(InsufficientDataError, match="chunk_number"):
            make_chunks(n, Chunking("number", number=number))
        return
    chunks = make_chunks(n, Chunking("number", number=number))
    sizes = [c.n_rows for c in chunks]
    assert len(chunks) == number
    assert max(sizes) - min(sizes) <= 1
    assert (_covered(chunks, n) == 1).all()


def test_period_chunks_group_by_calendar_day_in_time_order() -> None:
    rng = np.random.default_rng(0)
    ts = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 72, 500), unit="h")
    chunks = make_chunks(500, Chunking("period", period="D"), timestamps=ts)
    assert [c.key for c in chunks] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert (_covered(chunks, 500) == 1).all()
    for c in chunks:
        rows_ts = pd.DatetimeIndex(ts[c.rows])
        assert (rows_ts >= c.start).all()
        assert (rows_ts <= c.end).all()
    hourly = make_chunks(500, Chunking("period", period="h"), timestamps=ts)
    assert len(hourly) == len(pd.DatetimeIndex(ts).floor("h").unique())


def test_period_chunks_accept_time_zones_and_reject_bad_input() -> None:
    ts = pd.date_range("2026-01-01", periods=48, freq="h", tz="Europe/Paris")
    chunks = make_chunks(48, Chunking("period", period="D"), timestamps=ts)
    assert sum(c.n_rows for c in chunks) == 48
    with pytest.raises(ParameterError, match="chunk_period"):
        make_chunks(48, Chunking("period", period="not-a-period"), timestamps=ts)
    with pytest.raises(DataError, match="missing"):
        make_chunks(2, Chunking("period", period="D"), timestamps=[pd.NaT, ts[0]])
    with pytest.raises(InsufficientDataError):
        make_chunks(0, Chunking("size", size=3))
