"""Page–Hinkley test for a change in the mean of a stream (Page 1954; Hinkley 1971)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from driftline._params import Constraints, Interval, Options, validate
from driftline.drift._streaming._base import (
    FloatArray,
    StreamDetector,
)

__all__ = ["PageHinkley"]

_MAX_BLOCK = 8192


class PageHinkley(StreamDetector):
    """Page–Hinkley change detector for the mean of a univariate stream.

    The detector keeps the running mean of the values seen since the last reset and the
    cumulative sum ``S_t = alpha * S_{t-1} + (x_t - mean_t - delta)`` (and its mirror for
    decreases). A change is signalled when ``S_t - min S`` (increase) or ``max S' - S'_t``
    (decrease) exceeds ``threshold``; the statistics then restart from the next value.

    ``delta`` (tolerated drift per step) and ``threshold`` are in the units of the data:
    the defaults suit a stream with a standard deviation near 1. For an error rate or any
    stream on another scale, scale both with the standard deviation (see docs/streaming.md).

    Parameters
    ----------
    min_instances
        Values needed after a reset before a detection may be signalled.
    delta
        Magnitude of change tolerated per value (a slack, in data units), >= 0.
    threshold
        Detection threshold ``lambda`` (data units), > 0.
    alpha
        Forgetting factor in (0, 1]; 1 gives the classical test.
    mode
        ``"both"`` (default), ``"up"`` (increases only) or ``"down"`` (decreases only).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 1000)])
    >>> PageHinkley().update_many(stream).detections[0]  # the change is at index 1000
    1048
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "min_instances": [Interval("int", 1, None)],
        "delta": [Interval("real", 0, None, closed="left")],
        "threshold": [Interval("real", 0, None, closed="neither")],
        "alpha": [Interval("real", 0, 1, closed="right")],
        "mode": [Options("both", "up", "down")],
    }

    def __init__(
        self,
        *,
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        mode: Literal["both", "up", "down"] = "both",
    ) -> None:
        super().__init__()
        params = validate(self, locals())
        self.min_instances: int = params["min_instances"]
        self.delta: float = params["delta"]
        self.threshold: float = params["threshold"]
        self.alpha: float = params["alpha"]
        self.mode: Literal["both", "up", "down"] = params["mode"]
        self._up = self.mode != "down"
        self._down = self.mode != "up"
        self._reset()

    def _reset(self) -> None:
        self._n = 0
        self._mean = 0.0
        self._sum_up = 0.0
        self._min_up = 0.0
        self._sum_down = 0.0
        self._max_down = 0.0

    @property
    def statistic(self) -> float:
        """Current test statistic (largest of the monitored directions); 0 right after a reset."""
        up = self._sum_up - self._min_up if self._up else 0.0
        down = self._max_down - self._sum_down if self._down else 0.0
        return max(up, down)

    def _step(self, x: float) -> bool:
        self._n += 1
        self._mean += (x - self._mean) / self._n
        dev = x - self._mean
        self._sum_up = self.alpha * self._sum_up + dev - self.delta
        self._min_up = min(self._min_up, self._sum_up)
        self._sum_down = self.alpha * self._sum_down + dev + self.delta
        self._max_down = max(self._max_down, self._sum_down)
        if self._n < self.min_instances or self.statistic <= self.threshold:
            return False
        self._reset()
        return True

    def _consume(self, arr: FloatArray) -> None:
        # Vectorized: run a block in closed form, cut it at the first detection, reset, resume.
        from scipy.signal import lfilter  # imported here: keeps scipy.signal off import time

        hits: list[int] = []
        pos, block = 0, 256
        while pos < arr.size:
            x = arr[pos : pos + block]
            n = self._n + np.arange(1, x.size + 1, dtype=np.float64)
            mean = (self._n * self._mean + np.cumsum(x)) / n
            dev = x - mean
            coeffs = ([1.0], [1.0, -self.alpha])
            s_up = lfilter(*coeffs, dev - self.delta, zi=[self.alpha * self._sum_up])[0]
            s_down = lfilter(*coeffs, dev + self.delta, zi=[self.alpha * self._sum_down])[0]
            min_up = np.minimum(np.minimum.accumulate(s_up), self._min_up)
            max_down = np.maximum(np.maximum.accumulate(s_down), self._max_down)
            stat = np.zeros(x.size)
            if self._up:
                stat = s_up - min_up
            if self._down:
                stat = np.maximum(stat, max_down - s_down)
            alarm = (stat > self.threshold) & (n >= self.min_instances)
            if alarm.any():
                j = int(np.argmax(alarm))
                hits.append(pos + j)
                self._reset()
                pos, block = pos + j + 1, 256
                continue
            self._n += x.size
            self._mean = float(mean[-1])
            self._sum_up, self._min_up = float(s_up[-1]), float(min_up[-1])
            self._sum_down, self._max_down = float(s_down[-1]), float(max_down[-1])
            pos, block = pos + x.size, min(2 * block, _MAX_BLOCK)
        self._record(hits, arr.size)
