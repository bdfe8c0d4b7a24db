"""Which window a row or a profile goes to: the window-key rule, in one place.

Time windows are ``size`` seconds long, start at ``origin`` plus a multiple of their width
(``origin`` is 0, the Unix epoch, except for weekly windows, which start on Mondays as ISO
8601 weeks do) and are keyed by their start in microseconds; row windows hold ``size`` rows
each in arrival order and are keyed by their index.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, select

from driftline._params import Options, check
from driftline.exceptions import ParameterError
from driftline.store._models import ModelVersion, Window

__all__ = [
    "WEEK_ORIGIN",
    "assign_window_keys",
    "check_time_key",
    "micros",
    "newest_window",
    "profile_window_key",
    "time_window_keys",
    "window_origin",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_WEEK: Final = 7 * 86_400
#: Seconds from the epoch (a Thursday) to Monday 1970-01-05, where ISO weeks start.
WEEK_ORIGIN: Final = 4 * 86_400


def window_origin(size_seconds: int, align: str = "calendar") -> int:
    """Where time windows of ``size_seconds`` start, in seconds from the epoch.

    ``"calendar"``: windows of whole weeks start on Mondays 00:00 UTC (ISO 8601 weeks);
    days, hours and minutes are aligned to midnight, the hour and the minute by the epoch
    itself. ``"epoch"``: every window starts at a multiple of its width since the epoch
    (weekly windows then begin on Thursdays, as they did before version 0.1).

    >>> window_origin(7 * 86_400), window_origin(14 * 86_400), window_origin(86_400)
    (345600, 345600, 0)
    >>> window_origin(7 * 86_400, "epoch")
    0
    """
    check("window_origin", "align", align, Options("calendar", "epoch"))
    if align == "calendar" and size_seconds % _WEEK == 0:
        return WEEK_ORIGIN
    return 0


def time_window_keys(
    ts_us: npt.ArrayLike, size_seconds: int, origin_seconds: int = 0
) -> npt.NDArray[np.int64]:
    """The keys of the time windows that hold the timestamps ``ts_us``.

    Timestamps are microseconds since the Unix epoch (UTC). A time window of
    ``size_seconds`` starts at ``origin_seconds`` plus a multiple of its width, and its key
    is that start in microseconds. Ingested rows and precomputed profiles both use this
    rule (they used to compute it each on their own).

    >>> time_window_keys([0, 3_599_999_999, 3_600_000_000, -1], 3600).tolist()
    [0, 0, 3600000000, -3600000000]
    >>> week = 7 * 86_400  # Wednesday 2024-03-06 12:00 UTC is in the ISO week of Mon 4 March
    >>> key = time_window_keys([1_709_726_400_000_000], week, WEEK_ORIGIN)[0]
    >>> str(np.datetime64(int(key), "us"))
    '2024-03-04T00:00:00.000000'
    """
    width = int(size_seconds) * 1_000_000
    shift = int(origin_seconds) * 1_000_000
    ts = np.asarray(ts_us, dtype=np.int64)
    return np.asarray(((ts - shift) // width) * width + shift, dtype=np.int64)


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
    conn: Connection, version_id: str, ts_us: np.ndarray, kind: str, size: int, origin: int = 0
) -> npt.NDArray[np.int64]:
    """The window key of each new row: by timestamp (time windows) or by arrival order,
    continuing the newest window (row windows; call inside the writing transaction)."""
    if kind == "time":
        return time_window_keys(ts_us, size, origin)
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
    origin: int = 0,
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
            key = int(time_window_keys([micros(start)], size, origin)[0])
        else:
            key = int(window_key or 0)
            width = size * 1_000_000
            if (key - origin * 1_000_000) % width:
                raise ParameterError(
                    f"window_key {key} is not the start of a {size}-second window "
                    f"({origin * 1_000_000} plus a multiple of {width} microseconds); pass "
                    "'start' instead."
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
