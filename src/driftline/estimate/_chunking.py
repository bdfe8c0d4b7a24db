"""Split rows into chunks: by size, by count, or by time period.

Both estimators (CBPE, DLE) chunk the reference and the current data with the
same rule, so that the reference chunks give the alert band for chunks of the
same kind.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from driftline.exceptions import DataError, InsufficientDataError, ParameterError

__all__ = ["ChunkRows", "Chunking", "make_chunks"]

#: Chunks used when no rule is given (as NannyML does).
DEFAULT_CHUNK_NUMBER = 10


@dataclass(frozen=True)
class Chunking:
    """A validated chunking rule (exactly one of the three is set)."""

    kind: Literal["size", "number", "period"]
    size: int | None = None
    number: int | None = None
    period: str | None = None

    @classmethod
    def from_options(
        cls, chunk_size: int | None, chunk_number: int | None, chunk_period: str | None
    ) -> Chunking:
        if chunk_size is not None:
            return cls("size", size=chunk_size)
        if chunk_period is not None:
            return cls("period", period=chunk_period)
        return cls("number", number=chunk_number or DEFAULT_CHUNK_NUMBER)


@dataclass(frozen=True)
class ChunkRows:
    """One chunk: its key, its start and end (row index or time) and its rows."""

    key: str
    start: int | pd.Timestamp
    end: int | pd.Timestamp
    rows: slice | npt.NDArray[np.intp]

    @property
    def n_rows(self) -> int:
        if isinstance(self.rows, slice):
            return int(self.rows.stop - self.rows.start)
        return int(self.rows.size)


def _by_size(n: int, size: int) -> list[ChunkRows]:
    # The last, incomplete chunk is kept as its own chunk: its band is wider.
    out = []
    for i, start in enumerate(range(0, n, size)):
        stop = min(start + size, n)
        out.append(ChunkRows(f"chunk_{i}", start, stop - 1, slice(start, stop)))
    return out


def _by_number(n: int, number: int) -> list[ChunkRows]:
    if number > n:
        raise InsufficientDataError(
            f"Cannot split {n} rows into chunk_number={number} chunks; give at most {n} chunks."
        )
    bounds = np.linspace(0, n, number + 1).round().astype(np.intp)
    return [
        ChunkRows(f"chunk_{i}", int(a), int(b) - 1, slice(int(a), int(b)))
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    ]


def _by_period(timestamps: object, period: str) -> list[ChunkRows]:
    try:
        ts = pd.to_datetime(pd.Series(timestamps))
    except (ValueError, TypeError) as exc:
        raise DataError(f"The timestamp column cannot be read as datetimes: {exc}") from exc
    if ts.isna().any():
        raise DataError(
            f"The timestamp column has {int(ts.isna().sum())} missing values; "
            "every row needs a time to be put in a period chunk."
        )
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    try:
        periods = ts.dt.to_period(period)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ParameterError(
            "The 'chunk_period' parameter must be a pandas period alias such as 'D', 'W' or "
            f"'h'; got {period!r} instead ({exc})."
        ) from exc
    codes, uniques = pd.factorize(periods, sort=True)
    order = np.argsort(codes, kind="stable")
    splits = np.searchsorted(codes[order], np.arange(1, len(uniques)))
    out = []
    for p, rows in zip(uniques, np.split(order, splits), strict=True):
        out.append(ChunkRows(str(p), p.start_time, p.end_time, rows.astype(np.intp)))
    return out


def make_chunks(n: int, rule: Chunking, *, timestamps: object = None) -> list[ChunkRows]:
    """Chunk ``n`` rows by ``rule``.

    >>> [c.n_rows for c in make_chunks(10, Chunking("size", size=4))]
    [4, 4, 2]
    >>> [c.start for c in make_chunks(10, Chunking("number", number=3))]
    [0, 3, 7]
    """
    if n < 1:
        raise InsufficientDataError("There are no rows to chunk; give at least one row.")
    if rule.kind == "size":
        return _by_size(n, rule.size or n)
    if rule.kind == "number":
        return _by_number(n, rule.number or DEFAULT_CHUNK_NUMBER)
    if timestamps is None or rule.period is None:
        raise ParameterError(
            "Chunking by 'chunk_period' needs a data frame holding 'timestamp_column'."
        )
    return _by_period(timestamps, rule.period)
