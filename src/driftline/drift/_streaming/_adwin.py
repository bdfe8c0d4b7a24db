"""ADWIN: adaptive windowing (Bifet & Gavaldà 2007), with exponential-histogram buckets."""

from __future__ import annotations

import math
from typing import ClassVar

from driftline._params import Constraints, Interval, validate
from driftline.drift._streaming._base import StreamDetector

__all__ = ["ADWIN"]


class ADWIN(StreamDetector):
    """ADWIN change detector: keeps the longest recent window whose mean looks stable.

    The window is stored as an exponential histogram: level ``i`` holds at most
    ``max_buckets`` buckets summarizing ``2**i`` values each (count, sum and sum of squared
    deviations), so memory is ``O(max_buckets * log(width))``. Every ``clock`` values the
    detector tries each bucket boundary as a split into an older and a newer part and drops
    the oldest bucket while some split has means further apart than

    ``eps = sqrt(2 * v * ln(2 ln(W) / delta) / m) + 2 ln(2 ln(W) / delta) / (3 m)``

    where ``W`` is the window width, ``v`` its variance and ``1/m = 1/n0 + 1/n1``
    (ADWIN2 with the variance-based bound). A detection is signalled when the window shrinks.
    Unlike the other detectors it does not restart: the recent part of the window is kept.

    Parameters
    ----------
    delta
        Confidence parameter in (0, 1); smaller means fewer false alarms and longer delays.
    clock
        Check for a change every ``clock`` values (>= 1).
    max_buckets
        Buckets kept per level (>= 2); more buckets give finer split points.
    min_window_length
        Smallest size of either side of a split (>= 1).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 1000)])
    >>> adwin = ADWIN().update_many(stream)
    >>> adwin.detections  # the change is at index 1000
    [1055]
    >>> adwin.width, round(adwin.estimation, 2)  # the window kept only the new level
    (1024, 0.97)
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "delta": [Interval("real", 0, 1, closed="neither")],
        "clock": [Interval("int", 1, None)],
        "max_buckets": [Interval("int", 2, None)],
        "min_window_length": [Interval("int", 1, None)],
    }

    def __init__(
        self,
        *,
        delta: float = 0.002,
        clock: int = 32,
        max_buckets: int = 5,
        min_window_length: int = 5,
    ) -> None:
        super().__init__()
        params = validate(self, locals())
        self.delta: float = params["delta"]
        self.clock: int = params["clock"]
        self.max_buckets: int = params["max_buckets"]
        self.min_window_length: int = params["min_window_length"]
        self._reset()

    def _reset(self) -> None:
        # _sums[i] / _m2s[i]: buckets of 2**i values at level i, oldest first.
        self._sums: list[list[float]] = []
        self._m2s: list[list[float]] = []
        self._width = 0
        self._mean = 0.0
        self._m2 = 0.0
        self._tick = 0

    @property
    def width(self) -> int:
        """Number of values in the current window."""
        return self._width

    @property
    def estimation(self) -> float:
        """Mean of the current window (0.0 when empty)."""
        return self._mean

    @property
    def variance(self) -> float:
        """Population variance of the current window (0.0 when empty)."""
        return self._m2 / self._width if self._width else 0.0

    @property
    def n_buckets(self) -> int:
        """Number of buckets held: at most ``max_buckets * (log2(width) + 1)``."""
        return sum(len(level) for level in self._sums)

    def _step(self, x: float) -> bool:
        self._width += 1
        diff = x - self._mean
        self._mean += diff / self._width
        self._m2 += diff * (x - self._mean)
        self._insert(x)
        self._tick += 1
        if self._tick < self.clock:
            return False
        self._tick = 0
        detected = False
        while self._width >= 2 * self.min_window_length and self._find_cut():
            self._drop_oldest()
            detected = True
        return detected

    def _insert(self, x: float) -> None:
        if not self._sums:
            self._sums.append([])
            self._m2s.append([])
        self._sums[0].append(x)
        self._m2s[0].append(0.0)
        level = 0
        while len(self._sums[level]) > self.max_buckets:
            size = 2.0**level
            s1, s2 = self._sums[level].pop(0), self._sums[level].pop(0)
            v1, v2 = self._m2s[level].pop(0), self._m2s[level].pop(0)
            gap = (s1 - s2) / size
            if level + 1 == len(self._sums):
                self._sums.append([])
                self._m2s.append([])
            self._sums[level + 1].append(s1 + s2)
            self._m2s[level + 1].append(v1 + v2 + gap * gap * size / 2.0)
            level += 1

    def _find_cut(self) -> bool:
        width, total = self._width, self._mean * self._width
        log_term = math.log(2.0 * math.log(width) / self.delta)
        variance = self._m2 / width
        n0, s0 = 0, 0.0
        for level in range(len(self._sums) - 1, -1, -1):
            size = 1 << level
            for bucket_sum in self._sums[level]:
                n0 += size
                s0 += bucket_sum
                n1 = width - n0
                if n1 < self.min_window_length:
                    return False
                if n0 < self.min_window_length:
                    continue
                inv_m = 1.0 / n0 + 1.0 / n1
                eps = math.sqrt(2.0 * variance * log_term * inv_m) + 2.0 / 3.0 * log_term * inv_m
                if abs(s0 / n0 - (total - s0) / n1) > eps:
                    return True
        return False

    def _drop_oldest(self) -> None:
        level = len(self._sums) - 1
        size = 1 << level
        bucket_sum, bucket_m2 = self._sums[level].pop(0), self._m2s[level].pop(0)
        if not self._sums[level]:
            self._sums.pop()
            self._m2s.pop()
        rest = self._width - size
        rest_mean = (self._mean * self._width - bucket_sum) / rest
        gap = bucket_sum / size - rest_mean
        self._m2 = max(0.0, self._m2 - bucket_m2 - gap * gap * size * rest / self._width)
        self._mean, self._width = rest_mean, rest
