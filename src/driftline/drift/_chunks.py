"""Splitting current data into chunks: by calendar period of a timestamp column, or by size.

Periods are calendar units of the timestamp's wall-clock time (UTC for zone-aware
timestamps): ``"H"`` hours, ``"D"`` days, ``"W"`` ISO weeks (Monday to Sunday, labelled
``2024-W05``), ``"M"`` months, ``"Q"`` quarters, ``"Y"`` years. Rows are ordered by the
timestamp first; rows without one are left out and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from driftline._params import Interval, Options, check
from driftline.exceptions import DataError, ParameterError, SchemaMismatchError

__all__ = ["MAX_CHUNKS", "PERIODS", "Chunk", "ChunkPeriod", "split"]

ChunkPeriod = Literal["H", "D", "W", "M", "Q", "Y"]
PERIODS: Final[dict[str, str]] = {
    "H": "hour",
    "D": "day",
    "W": "ISO week",
    "M": "month",
    "Q": "quarter",
    "Y": "year",
}
#: More chunks than this is refused (choose a longer period or a larger size).
MAX_CHUNKS: Final = 1_000
_US_PER_DAY: Final = 86_400_000_000


@dataclass(frozen=True)
class Chunk:
    """One chunk: its label, first and last timestamp (ISO, or ``None``) and its rows."""

    label: str
    start: str | None
    end: str | None
    offset: int
    length: int


def _microseconds(arr: pa.ChunkedArray, name: str) -> NDArray[np.int64]:
    """Timestamps as int64 microseconds of wall-clock time; NaT as the minimum int64."""
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        try:
            arr = pc.cast(arr, pa.timestamp("us"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            import pandas as pd  # only for formats Arrow cannot parse

            parsed = pd.to_datetime(
                pd.Series(arr.to_pylist(), dtype=object), errors="coerce", utc=True, format="mixed"
            )
            bad = parsed.isna().to_numpy() & ~np.asarray(
                arr.is_null().to_numpy(zero_copy_only=False)
            )
            if bad.any():
                example = arr.filter(pa.array(bad)).slice(0, 1).to_pylist()[0]
                raise DataError(
                    f"The timestamp column {name!r} holds values that are not dates or times "
                    f"(e.g. {example!r})."
                ) from None
            values = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
            return values.view(np.int64)
        t = arr.type
    if pa.types.is_date(t):
        arr = pc.cast(arr, pa.timestamp("us"))
    elif pa.types.is_timestamp(t):  # nanoseconds are truncated: chunks need no finer grain
        arr = pc.cast(arr, pa.timestamp("us", tz=t.tz), safe=False)
    else:
        raise ParameterError(
            f"The timestamp column {name!r} must hold dates or times; it holds {t}. Numbers "
            "are ambiguous (seconds? milliseconds?): convert them to timestamps first."
        )
    filled = pc.fill_null(pc.cast(arr, pa.int64()), np.iinfo(np.int64).min)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.int64)


def _period_keys(us: NDArray[np.int64], period: str) -> NDArray[np.int64]:
    stamps = us.astype("datetime64[us]")
    if period == "H":
        return stamps.astype("datetime64[h]").astype(np.int64)
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if period == "D":
        return days
    if period == "W":  # 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier
        return (days + 3) // 7
    months = stamps.astype("datetime64[M]").astype(np.int64)
    if period == "M":
        return months
    if period == "Q":
        return months // 3
    return stamps.astype("datetime64[Y]").astype(np.int64)


def _label(key: int, period: str) -> str:
    if period == "H":
        return str(np.datetime64(key, "h")).replace("T", " ") + ":00"
    if period == "D":
        return str(np.datetime64(key, "D"))
    if period == "W":
        monday = datetime.fromtimestamp((key * 7 - 3) * 86_400, tz=UTC).date()
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "M":
        return str(np.datetime64(key, "M"))
    if period == "Q":
        return f"{1970 + key // 4}-Q{key % 4 + 1}"
    return str(1970 + key)


def _iso(us: int) -> str:
    return str(np.datetime64(us, "us").astype("datetime64[s]"))


def split(
    table: pa.Table,
    *,
    timestamp: str | None,
    period: str | None,
    size: int | None,
) -> tuple[pa.Table, list[Chunk], int]:
    """Order ``table`` by ``timestamp`` and cut it into chunks; also the rows left out."""
    if (period is None) == (size is None):
        raise ParameterError(
            "Chunking needs exactly one of chunk_period (with a timestamp) and chunk_size; "
            f"got chunk_period={period!r}, chunk_size={size!r}."
        )
    if period is not None:
        check("DriftDetector.compare", "chunk_period", period, Options(*PERIODS))
    if period is not None and timestamp is None:
        raise ParameterError("chunk_period needs a timestamp column: pass timestamp='...'.")
    if size is not None:
        check("DriftDetector.compare", "chunk_size", size, Interval("int", 1, None))
    dropped = 0
    us: NDArray[np.int64] | None = None
    if timestamp is not None:
        if timestamp not in table.column_names:
            raise SchemaMismatchError(
                f"The current data has no timestamp column {timestamp!r}; it has "
                f"{table.column_names[:20]}."
            )
        us = _microseconds(table.column(timestamp), timestamp)
        valid = us != np.iinfo(np.int64).min
        dropped = int(valid.size - np.count_nonzero(valid))
        order = np.flatnonzero(valid)
        order = order[np.argsort(us[order], kind="stable")]
        if dropped or bool((np.diff(order) < 0).any()):
            table = table.take(pa.array(order))
        us = us[order]
    n = table.num_rows
    if period is not None:
        assert us is not None
        keys = _period_keys(us, period)
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        bounds = [*(int(s) for s in starts), n] if n else [0]
        labels = [_label(int(keys[s]), period) for s in bounds[:-1]]
    else:
        assert size is not None
        bounds = [*range(0, n, size), n] if n else [0]
        labels = [str(i + 1) for i in range(len(bounds) - 1)]
    if len(labels) > MAX_CHUNKS:
        raise ParameterError(
            f"Chunking gives {len(labels):,} chunks; at most {MAX_CHUNKS:,} are allowed. "
            "Choose a longer chunk_period or a larger chunk_size."
        )
    chunks = []
    for label, lo, hi in zip(labels, bounds[:-1], bounds[1:], strict=True):
        first = None if us is None else _iso(int(us[lo]))
        last = None if us is None else _iso(int(us[hi - 1]))
        chunks.append(Chunk(label=label, start=first, end=last, offset=lo, length=hi - lo))
    return table, chunks, dropped
