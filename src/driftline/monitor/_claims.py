"""Claiming a window before computing it, so that several monitors share the work.

On PostgreSQL a monitor takes a session-level advisory lock on the window
(``pg_try_advisory_lock``, never waiting): a window another monitor holds is skipped
and left to it. Once the lock is taken the window is checked to be still due, since
another monitor may have computed it between this monitor's plan and the lock. A monitor
that dies releases its locks with its connection. Elsewhere (SQLite has one writer at a
time) every claim succeeds and the optimistic writes of :mod:`driftline.monitor._window`
keep concurrent monitors correct.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy import Engine, text

__all__ = ["LOCK_NAMESPACE", "claim", "lock_key"]

#: First key of the two-key advisory lock: the windows of driftline's monitors.
LOCK_NAMESPACE: Final = 0x64_6C_6D_6E  # "dlmn"


def lock_key(window_id: str) -> int:
    """A signed 32-bit key for ``window_id`` (a collision only serializes two windows).

    >>> lock_key("w1") == lock_key("w1"), -(2**31) <= lock_key("w1") < 2**31
    (True, True)
    """
    digest = hashlib.blake2b(window_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def claim(engine: Engine, window_id: str) -> Iterator[bool]:
    """Yield True when this monitor holds ``window_id`` (always, except on PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    params = {"ns": LOCK_NAMESPACE, "key": lock_key(window_id)}
    with engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"), params).scalar())
        conn.commit()
        if not got:
            yield False
            return
        try:
            yield True
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), params)
            conn.commit()
