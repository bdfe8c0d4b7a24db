"""The protocol every streaming change detector follows and the shared base class.

Input policy (the same for every detector): each value must be a finite real number.
``nan`` or ``±inf`` raises :class:`~driftline.exceptions.DataError` and leaves the detector's
state untouched (for ``update_many`` the whole batch is rejected before anything is
consumed). A missing value is a data-quality problem to handle upstream, not evidence of a
change, so it is never skipped silently. Values that are not real numbers at all raise
:class:`~driftline.exceptions.UnsupportedInputError`.
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt

from driftline.exceptions import DataError, UnsupportedInputError

__all__ = ["ChangeDetector"]

FloatArray = npt.NDArray[np.float64]


@runtime_checkable
class ChangeDetector(Protocol):
    """What every streaming change detector offers.

    ``update`` feeds one value, ``update_many`` a batch; ``drift_detected`` is ``True``
    right after the value that triggered a detection; ``detections`` lists the 0-based
    stream indices of every detection so far and ``n_seen`` counts the values consumed.

    >>> from driftline.drift import PageHinkley, ChangeDetector
    >>> isinstance(PageHinkley(), ChangeDetector)
    True
    """

    @property
    def drift_detected(self) -> bool: ...

    @property
    def n_seen(self) -> int: ...

    @property
    def detections(self) -> list[int]: ...

    def update(self, x: float) -> Self: ...

    def update_many(self, xs: npt.ArrayLike) -> Self: ...


class StreamDetector(ABC):
    """Bookkeeping shared by the detectors; subclasses implement ``_step`` and ``_reset``."""

    def __init__(self) -> None:
        self._n_seen = 0
        self._detections: list[int] = []
        self._drift_detected = False

    def __repr__(self) -> str:
        names = inspect.signature(type(self).__init__).parameters
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in names if n != "self")
        return f"{type(self).__name__}({args})"

    @property
    def drift_detected(self) -> bool:
        """Whether the most recent value triggered a detection."""
        return self._drift_detected

    @property
    def n_seen(self) -> int:
        """Number of values consumed since construction."""
        return self._n_seen

    @property
    def detections(self) -> list[int]:
        """0-based stream indices of the values that triggered a detection (a copy)."""
        return list(self._detections)

    def update(self, x: float) -> Self:
        """Consume one value and return the detector, so that calls can be chained."""
        value = _finite_float(x, self._n_seen)
        detected = self._step(value)
        if detected:
            self._detections.append(self._n_seen)
        self._drift_detected = detected
        self._n_seen += 1
        return self

    def update_many(self, xs: npt.ArrayLike) -> Self:
        """Consume a 1-D batch in order; same result as calling ``update`` on each value."""
        arr = _finite_array(xs, self._n_seen)
        if arr.size:
            self._consume(arr)
        return self

    def _consume(self, arr: FloatArray) -> None:
        step = self._step
        start = self._n_seen
        hits = [start + i for i, value in enumerate(arr.tolist()) if step(value)]
        self._detections.extend(hits)
        self._n_seen = start + arr.size
        self._drift_detected = bool(hits) and hits[-1] == self._n_seen - 1

    def _record(self, offsets: Sequence[int], n: int) -> None:
        """Book ``n`` consumed values, with detections at ``offsets`` from the batch start."""
        start = self._n_seen
        self._detections.extend(start + i for i in offsets)
        self._n_seen = start + n
        self._drift_detected = bool(offsets) and offsets[-1] == n - 1

    @abstractmethod
    def _step(self, x: float) -> bool:
        """Consume one finite value; return whether it triggers a detection."""

    @abstractmethod
    def _reset(self) -> None:
        """Forget the detection statistic (not ``n_seen`` nor ``detections``)."""


def _finite_float(x: object, index: int) -> float:
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise UnsupportedInputError(
            f"update() needs a real number; got {x!r} of type {type(x).__name__} "
            f"at stream index {index}."
        ) from exc
    if not math.isfinite(value):
        raise DataError(
            f"update() needs a finite value; got {value!r} at stream index {index}. "
            "Drop or impute missing and infinite values before feeding the detector."
        )
    return value


def _finite_array(xs: npt.ArrayLike, start: int) -> FloatArray:
    try:
        arr = np.asarray(xs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UnsupportedInputError(
            f"update_many() needs a 1-D array of real numbers; got {type(xs).__name__} "
            "that cannot be converted to float64."
        ) from exc
    if arr.ndim != 1:
        raise UnsupportedInputError(
            f"update_many() needs a 1-D array; got an array of shape {arr.shape}. "
            "Feed one stream at a time (use .ravel() if the shape is (n, 1))."
        )
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise DataError(
            f"update_many() needs finite values; got {arr[bad]!r} at batch position {bad} "
            f"(stream index {start + bad}). Nothing was consumed. Drop or impute missing and "
            "infinite values before feeding the detector."
        )
    return arr
