"""Which window a row or a profile goes to: the window-key rule, in one place.

Time windows are ``size`` seconds aligned to the Unix epoch and keyed by their start in
microseconds; row windows hold ``size`` rows each in arrival order and are keyed by their
index.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, select

from driftline.exceptions import ParameterError
from driftline.store._models import ModelVersion, Window

__all__ = [
    "assign_window_keys",
    "check_time_key",
    "micros",
    "newest_window",
    "profile_window_key",
    "time_window_keys",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def time_window_keys(ts_us: npt.ArrayLike, size_seconds: int) -> npt.NDArray[np.int64]:
    """The keys of the time windows that hold the timestamps ``ts_us``.

    Timestamps are microseconds since the Unix epoch (UTC). A time window of
    ``size_seconds`` starts at a multiple of its width since the epoch, and its key is
    that start in microseconds. Ingested rows and precomputed profiles both use this
    rule (they used to compute it each on their own).

    >>> time_window_keys([0, 3_599_999_999, 3_600_000_000, -1], 3600).tolist()
    [0, 0, 3600000000, -3600000000]
    """
    width = int(size_seconds) * 1_000_000
    return np.asarray((np.asarray(ts_us, dtype=np.int64) // width) * width, dtype=np.int64)


def micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch (a naive ``moment`` is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive times are UTC, as for prediction rows
    return (moment - _EPOCH) // timedelta(microseconds=1)


def check_time_key(key: int, size: int) -> None:
    """A time window must start and end inside the datetime range (years 1 to 9999)."""
    try:
        _EPOCH + timedelta(microseconds=key) + timedelta(seconds=size)
    except OverflowError:
        raise ParameterError(
            f"Time window {key} (a {size}-second window starting {key} microseconds after "
            "the Unix epoch) lies outside the supported range of years 1 to 9999."
        ) from None


def newest_window(conn: Connection, version_id: str) -> tuple[int, int] | None:
    """(key, row count) of the version's window with the highest key, if any."""
    last = conn.execute(
        select(Window.window_key, Window.row_count)
        .where(Window.model_version_id == version_id)
        .order_by(Window.window_key.desc())
        .limit(1)
    ).first()
    return None if last is None else (int(last[0]), int(last[1]))


def lock_version(conn: Connection, version_id: str) -> None:
    """Serialize row-window assignment per version (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(ModelVersion.id).where(ModelVersion.id == version_id).with_for_update())


def assign_window_keys(
    conn: Connection, version_id: str, ts_us: np.ndarray, kind: str, size: int
) -> npt.NDArray[np.int64]:
    """The window key of each new row: by timestamp (time windows) or by arrival order,
    continuing the newest window (row windows; call inside the writing transaction)."""
    if kind == "time":
        return time_window_keys(ts_us, size)
    lock_version(conn, version_id)
    last = newest_window(conn, version_id)
    before = 0 if last is None else last[0] * size + last[1]
    return np.asarray((before + np.arange(len(ts_us))) // size, dtype=np.int64)


def profile_window_key(
    conn: Connection,
    version_id: str,
    kind: str,
    size: int,
    start: datetime | None,
    window_key: int | None,
) -> int:
    """The key of the window a precomputed profile goes to: a time window by ``start`` (any
    moment inside; naive = UTC) or by ``window_key``; a row window by ``window_key``, or the
    newest window when neither is given."""
    if kind == "time":
        if start is None and window_key is None:
            raise ParameterError(
                "Time windows need 'start' (a moment inside the window) or 'window_key'."
            )
        if start is not None:
            key = int(time_window_keys([micros(start)], size)[0])
        else:
            key = int(window_key or 0)
            width = size * 1_000_000
            if key % width:
                raise ParameterError(
                    f"window_key {key} is not the start of a {size}-second window "
                    f"(a multiple of {width} microseconds); pass 'start' instead."
                )
        check_time_key(key, size)
        return key
    if start is not None:
        raise ParameterError("Row windows are addressed by 'window_key' (an index).")
    if window_key is None:
        newest = newest_window(conn, version_id)
        key = 0 if newest is None else newest[0]
    else:
        key = int(window_key)
    if key < 0:
        raise ParameterError(f"Row window keys are >= 0; got {key}.")
    return key
