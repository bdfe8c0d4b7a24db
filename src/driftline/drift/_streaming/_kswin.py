"""KSWIN: Kolmogorov–Smirnov windowing (Raab, Heusinger & Schleif 2020)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from driftline._params import Constraints, Interval, check, validate
from driftline.drift._streaming._base import FloatArray, StreamDetector
from driftline.drift._streaming._ks import ks_counts, ks_tail
from driftline.exceptions import ParameterError

__all__ = ["KSWIN"]


class KSWIN(StreamDetector):
    """KSWIN change detector: a Kolmogorov–Smirnov test inside a sliding window.

    Once the window holds ``window_size`` values, every update compares its newest
    ``stat_size`` values with ``stat_size`` values drawn at random (without replacement,
    from a seeded generator) from the older part of the window, using the exact two-sample
    KS test. A change is signalled when the p-value is ``<= alpha``; the window then keeps
    only its newest ``stat_size`` values and refills before testing again. Because the test
    compares whole distributions it also sees changes in spread or shape, not only the mean.

    Parameters
    ----------
    alpha
        Significance level of each test, in (0, 1); must be attainable with ``stat_size``.
    window_size
        Values kept in the window; >= 2 * ``stat_size``.
    stat_size
        Size of the recent sample and of the reference sample; >= 2.
    seed
        Seed of the generator that draws the reference sample (``None``: fresh entropy).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(2, 1, 1000)])
    >>> KSWIN(seed=1).update_many(stream).detections  # the change is at index 1000
    [1015, 1107]
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "alpha": [Interval("real", 0, 1, closed="neither")],
        "window_size": [Interval("int", 4, None)],
        "stat_size": [Interval("int", 2, 5000)],
        "seed": [Interval("int", 0, None), None],
    }

    def __init__(
        self,
        *,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        params = validate(self, locals())
        self.alpha: float = params["alpha"]
        self.stat_size: int = params["stat_size"]
        low = Interval("int", 2 * self.stat_size, None)  # twice the statistic's sample
        self.window_size: int = check(self, "window_size", window_size, low)
        self.seed = seed
        floor = ks_tail(self.stat_size, self.stat_size)
        if self.alpha < floor:
            raise ParameterError(
                f"The 'alpha' parameter of {name} must be a float in the range [{floor:.3g}, 1) "
                f"(the smallest p-value attainable with stat_size={self.stat_size}). Got "
                f"{alpha!r} instead. Raise alpha or stat_size."
            )
        self._k_crit = self._critical_count()
        self._rng = np.random.default_rng(seed)
        self._buf = np.empty(2 * self.window_size, dtype=np.float64)
        self._k_last = 0
        self._reset()

    def _critical_count(self) -> int:
        # Smallest k with P(D >= k/n) <= alpha; the tail decreases in k (binary search).
        lo, hi = 1, self.stat_size
        while lo < hi:
            mid = (lo + hi) // 2
            if ks_tail(self.stat_size, mid) <= self.alpha:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _reset(self) -> None:
        self._end = 0
        self._len = 0

    @property
    def statistic(self) -> float:
        """KS statistic ``D`` of the most recent test (0.0 before the first test)."""
        return self._k_last / self.stat_size

    @property
    def p_value(self) -> float:
        """Exact p-value of the most recent test (1.0 before the first test)."""
        return ks_tail(self.stat_size, self._k_last)

    def _step(self, x: float) -> bool:
        if self._end == self._buf.size:  # shift the window to the front of the buffer
            self._buf[: self._len] = self._buf[self._end - self._len : self._end]
            self._end = self._len
        self._buf[self._end] = x
        self._end += 1
        self._len = min(self._len + 1, self.window_size)
        if self._len < self.window_size:
            return False
        window = self._buf[self._end - self.window_size : self._end]
        self._k_last = int(self._test(window[np.newaxis, :])[0])
        if self._k_last < self._k_crit:
            return False
        self._keep_recent(window)
        return True

    def _test(self, windows: FloatArray) -> npt.NDArray[np.int64]:
        """KS counts ``n * D`` for each row (a full window), drawing one reference per row."""
        ss, m = self.stat_size, self.window_size - self.stat_size
        keys = self._rng.random((windows.shape[0], m))
        pick = np.argpartition(keys, ss - 1, axis=1)[:, :ss]
        reference = np.take_along_axis(windows[:, :m], pick, axis=1)
        return ks_counts(windows[:, m:], reference)

    def _keep_recent(self, window: FloatArray) -> None:
        self._buf[: self.stat_size] = window[-self.stat_size :]
        self._end = self._len = self.stat_size

    def _consume(self, arr: FloatArray) -> None:
        # Vectorized over blocks of consecutive full windows; the generator is rewound on a
        # detection so that the result equals calling update() value by value.
        hits: list[int] = []
        ws = self.window_size
        cap = max(1, min(2048, 2**22 // ws))  # keeps each block's arrays near 32 MB at most
        pos, block = 0, min(64, cap)
        while pos < arr.size:
            if self._len < ws:  # the window is filling: plain steps
                if self._step(float(arr[pos])):
                    hits.append(pos)
                pos += 1
                continue
            x = arr[pos : pos + block]
            ext = np.concatenate((self._buf[self._end - ws : self._end], x))
            state = self._rng.bit_generator.state
            counts = self._test(sliding_window_view(ext[1:], ws))
            alarm = counts >= self._k_crit
            j = int(np.argmax(alarm)) if alarm.any() else x.size - 1
            self._k_last = int(counts[j])
            window = ext[j + 1 : j + 1 + ws]
            if alarm[j]:
                self._rng.bit_generator.state = state
                self._rng.random((j + 1, ws - self.stat_size))
                self._keep_recent(window)
                hits.append(pos + j)
                block = min(64, cap)
            else:
                self._buf[:ws] = window
                self._end = self._len = ws
                block = min(2 * block, cap)
            pos += j + 1
        self._record(hits, arr.size)
