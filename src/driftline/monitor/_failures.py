"""When computing a window fails: exponential backoff, quarantine, and logs that do not flood.

A window whose computation raises is retried on the next pass (a crash or a lost
connection heals at once), then after ``base``, ``2 * base``, ``4 * base``, ... seconds up
to ``cap``. From ``quarantine_after`` failures in a row it is marked quarantined (the
window listing shows it, with the error) and retried every ``cap`` seconds. Each failure
logs one line at WARNING, at most ``burst`` lines a minute; the traceback goes to DEBUG.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

__all__ = ["RateLimitedLog", "one_line", "retry_delay"]

_LINE: Final = 300


def retry_delay(failures: int, *, base: float, cap: float) -> float:
    """Seconds to wait after the ``failures``-th failure in a row.

    >>> [retry_delay(n, base=30.0, cap=3600.0) for n in range(1, 10)]
    [0.0, 30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0]
    """
    if failures <= 1:
        return 0.0
    return float(min(cap, base * 2.0 ** min(failures - 2, 64)))


def one_line(exc: BaseException) -> str:
    """``Type: message`` of an exception on one line, at most 300 characters.

    >>> one_line(ValueError("bad\\nvery bad"))
    'ValueError: bad very bad'
    """
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= _LINE else text[: _LINE - 3] + "..."


class RateLimitedLog:
    """A logger's WARNING lines, at most ``burst`` per ``per_seconds`` (a token bucket).

    Lines over the limit are counted, and the next line let through says how many were
    suppressed.

    >>> import logging
    >>> log = RateLimitedLog(logging.getLogger("doctest"), burst=2, per_seconds=60.0)
    >>> [log.warning("window %s failed", i) for i in range(4)]
    [True, True, False, False]
    >>> log.suppressed
    2
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = 10,
        per_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.burst = burst
        self.per_seconds = per_seconds
        self.clock = clock
        self.suppressed = 0
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def warning(self, message: str, *args: object) -> bool:
        """Log ``message % args`` at WARNING unless over the limit; True if it was logged."""
        with self._lock:
            now = self.clock()
            rate = self.burst / self.per_seconds
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * rate)
            self._last = now
            if self._tokens < 1.0:
                self.suppressed += 1
                return False
            self._tokens -= 1.0
            suppressed, self.suppressed = self.suppressed, 0
        if suppressed:
            message += f" ({suppressed} similar lines suppressed)"
        self.logger.warning(message, *args)
        return True
