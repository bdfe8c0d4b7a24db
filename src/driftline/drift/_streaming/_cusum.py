"""Two-sided tabular CUSUM for a shift in the mean of a stream (Page 1954)."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np

from driftline._params import Constraints, Interval, Options, validate
from driftline.drift._streaming._base import (
    FloatArray,
    StreamDetector,
)

__all__ = ["CUSUM"]

_MAX_BLOCK = 8192


class CUSUM(StreamDetector):
    """Tabular CUSUM control chart on standardized values ``z = (x - mean) / sd``.

    ``S+ = max(0, S+ + z - k)`` and ``S- = max(0, S- - z - k)``; a change is signalled
    when either exceeds ``h``, and both restart from zero. ``k`` and ``h`` are in standard
    deviations: ``k`` is about half the shift worth detecting, ``h`` trades false alarms
    against delay (``k=0.5, h=5`` gives an in-control average run length near 465 for
    Gaussian data with known mean and sd).

    When ``mean`` or ``sd`` is ``None`` it is estimated from the first ``warmup`` values
    (and again after each detection, so the new level becomes the reference); no detection
    is signalled during the warm-up. If the warm-up values are all equal and ``sd`` is
    estimated, the warm-up continues until a second distinct value arrives.

    Parameters
    ----------
    mean, sd
        In-control mean and standard deviation (``sd > 0``), or ``None`` to estimate.
    k
        Slack in standard deviations, >= 0.
    h
        Decision threshold in standard deviations, > 0.
    warmup
        Values used to estimate ``mean``/``sd`` when either is ``None``; >= 2.
    mode
        ``"both"`` (default), ``"up"`` or ``"down"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 1000)])
    >>> cusum = CUSUM().update_many(stream)  # mean and sd estimated from 100 values
    >>> [i for i in cusum.detections if i >= 1000][0]  # the change is at index 1000
    1010
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "mean": [Interval("real", None, None), None],
        "sd": [Interval("real", 0, None, closed="neither"), None],
        "k": [Interval("real", 0, None, closed="left")],
        "h": [Interval("real", 0, None, closed="neither")],
        "warmup": [Interval("int", 2, None)],
        "mode": [Options("both", "up", "down")],
    }

    def __init__(
        self,
        *,
        mean: float | None = None,
        sd: float | None = None,
        k: float = 0.5,
        h: float = 5.0,
        warmup: int = 100,
        mode: Literal["both", "up", "down"] = "both",
    ) -> None:
        super().__init__()
        params = validate(self, locals())
        self.mean: float | None = params["mean"]
        self.sd: float | None = params["sd"]
        self.k: float = params["k"]
        self.h: float = params["h"]
        self.warmup: int = params["warmup"]
        self.mode: Literal["both", "up", "down"] = params["mode"]
        self._reset()

    def _reset(self) -> None:
        self._pos = 0.0
        self._neg = 0.0
        self._w_n = 0
        self._w_mean = 0.0
        self._w_m2 = 0.0
        self._mu = self.mean
        self._sigma = self.sd
        if self.mean is not None and self.sd is not None:
            self._monitoring = True
        else:
            self._monitoring = False

    @property
    def in_warmup(self) -> bool:
        """Whether the detector is still estimating the in-control mean or sd."""
        return not self._monitoring

    @property
    def location(self) -> float | None:
        """In-control mean in use (given or estimated); ``None`` during the warm-up."""
        return self._mu if self._monitoring else None

    @property
    def scale(self) -> float | None:
        """In-control sd in use (given or estimated); ``None`` during the warm-up."""
        return self._sigma if self._monitoring else None

    @property
    def statistic(self) -> float:
        """Largest of the monitored CUSUM sums (in sd units)."""
        return max(
            self._pos if self.mode != "down" else 0.0, self._neg if self.mode != "up" else 0.0
        )

    def _absorb(self, n: int, mean: float, m2: float) -> None:
        # Chan et al. merge of warm-up moments; switch to monitoring once they suffice.
        total = self._w_n + n
        diff = mean - self._w_mean
        self._w_m2 += m2 + diff * diff * self._w_n * n / total
        self._w_mean += diff * n / total
        self._w_n = total
        if self._w_n >= self.warmup and (self.sd is not None or self._w_m2 > 0.0):
            self._mu = self._w_mean if self.mean is None else self.mean
            self._sigma = math.sqrt(self._w_m2 / (self._w_n - 1)) if self.sd is None else self.sd
            self._monitoring = True

    def _step(self, x: float) -> bool:
        if not self._monitoring:
            self._absorb(1, x, 0.0)
            return False
        z = (x - self._mu) / self._sigma  # type: ignore[operator]
        self._pos = max(0.0, self._pos + z - self.k)
        self._neg = max(0.0, self._neg - z - self.k)
        if self.statistic <= self.h:
            return False
        self._reset()
        return True

    def _consume(self, arr: FloatArray) -> None:
        # Vectorized: S_t = D_t - min(-S_0, min_{j<=t} D_j) with D the cumulative sum of z - k.
        hits: list[int] = []
        pos, block = 0, 256
        while pos < arr.size:
            if not self._monitoring:
                chunk = arr[pos : pos + max(self.warmup - self._w_n, 1)]
                mean = float(chunk.mean())
                self._absorb(chunk.size, mean, float(((chunk - mean) ** 2).sum()))
                pos += chunk.size
                continue
            z = (arr[pos : pos + block] - self._mu) / self._sigma  # type: ignore[operator]
            d_up = np.cumsum(z - self.k)
            d_down = np.cumsum(-z - self.k)
            s_up = d_up - np.minimum(np.minimum.accumulate(d_up), -self._pos)
            s_down = d_down - np.minimum(np.minimum.accumulate(d_down), -self._neg)
            stat = np.zeros(z.size)
            if self.mode != "down":
                stat = s_up
            if self.mode != "up":
                stat = np.maximum(stat, s_down)
            alarm = stat > self.h
            if alarm.any():
                j = int(np.argmax(alarm))
                hits.append(pos + j)
                self._reset()
                pos, block = pos + j + 1, 256
                continue
            self._pos, self._neg = float(s_up[-1]), float(s_down[-1])
            pos, block = pos + z.size, min(2 * block, _MAX_BLOCK)
        self._record(hits, arr.size)
