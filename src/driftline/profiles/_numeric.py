"""Numeric (and datetime) column profiles: counts, exact extremes, stable moments, KLL.

Mean and variance merge with the parallel formula of Chan, Golub and LeVeque (1979):
``M2 = M2_a + M2_b + delta**2 * n_a * n_b / n``, each batch's ``M2`` computed with two
passes, so that merged moments stay accurate even for large offsets. Datetimes are
profiled as float64 seconds since the Unix epoch (UTC); resolution about 0.5 µs today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

from driftline.profiles._column import ColumnKind, ColumnProfile, json_safe
from driftline.profiles._quantiles import DEFAULT_K, QuantileSketch
from driftline.profiles._scratch import scratch

__all__ = ["NumericProfile", "numeric_from_values"]

_SUMMARY_QS = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


def _chan(
    n_a: int, mean_a: float, m2_a: float, n_b: int, mean_b: float, m2_b: float
) -> tuple[float, float]:
    if n_a == 0:
        return mean_b, m2_b
    if n_b == 0:
        return mean_a, m2_a
    # Canonical operand order makes the merge exactly commutative.
    if (n_a, mean_a, m2_a) > (n_b, mean_b, m2_b):
        n_a, mean_a, m2_a, n_b, mean_b, m2_b = n_b, mean_b, m2_b, n_a, mean_a, m2_a
    n = n_a + n_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / n)
    m2 = m2_a + m2_b + delta * delta * (n_a * (n_b / n))
    return mean, m2


@dataclass(frozen=True, slots=True)
class NumericProfile(ColumnProfile):
    """Profile of a numeric or datetime column.

    ``count`` is the number of finite values; the moments, extremes, zero and
    negative counts and the quantile sketch cover finite values only. NaN and
    infinities are counted apart. For datetime columns values are seconds since
    the epoch (UTC).

    >>> import numpy as np
    >>> p = numeric_from_values("x", "numeric", np.array([1.0, 2.0, np.nan, 4.0]))
    >>> p.count, p.n_nan, p.mean, p.max
    (3, 1, 2.3333333333333335, 4.0)
    """

    count: int
    n_nan: int
    n_posinf: int
    n_neginf: int
    n_zero: int
    n_negative: int
    min: float
    max: float
    mean: float
    m2: float
    sketch: QuantileSketch

    kinds: ClassVar[tuple[str, ...]] = ("numeric", "datetime")

    @property
    def n_missing(self) -> int:
        """Nulls plus NaN values."""
        return self.n_null + self.n_nan

    @property
    def variance(self) -> float:
        """Sample variance (``ddof=1``) of the finite values; NaN below 2 values."""
        return self.m2 / (self.count - 1) if self.count > 1 else float("nan")

    @property
    def std(self) -> float:
        """Sample standard deviation (``ddof=1``)."""
        return float(np.sqrt(self.variance))

    @property
    def rank_error(self) -> float:
        """Normalized rank-error bound of :meth:`quantiles` / :meth:`cdf` (0 if exact)."""
        return self.sketch.rank_error

    def quantiles(self, qs: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Estimated values at normalized ranks ``qs`` (within ``rank_error`` in rank)."""
        return self.sketch.quantiles(qs)

    def cdf(self, xs: Any, *, inclusive: bool = True) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Estimated fraction of finite values ``<= x`` (``< x`` if not ``inclusive``)."""
        return self.sketch.cdf(xs, inclusive=inclusive)

    def histogram(self, edges: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Estimated counts of finite values in bins with the given edges (as numpy)."""
        return self.sketch.histogram(edges)

    @classmethod
    def empty(cls, name: str, kind: ColumnKind, *, n_null: int = 0) -> Self:
        """A profile of ``n_null`` missing rows."""
        nan = float("nan")
        return cls(
            name, kind, n_null, n_null, 0, 0, 0, 0, 0, 0, 0, nan, nan, nan, 0.0,
            QuantileSketch.empty(DEFAULT_K),
        )  # fmt: skip

    def merge(self, other: Self) -> Self:
        """Profile of both inputs: exact counts and extremes, Chan-merged moments."""
        base = self._base_merge(other)
        mean, m2 = _chan(self.count, self.mean, self.m2, other.count, other.mean, other.m2)
        return type(self)(
            **base,
            count=self.count + other.count,
            n_nan=self.n_nan + other.n_nan,
            n_posinf=self.n_posinf + other.n_posinf,
            n_neginf=self.n_neginf + other.n_neginf,
            n_zero=self.n_zero + other.n_zero,
            n_negative=self.n_negative + other.n_negative,
            min=float(np.fmin(self.min, other.min)),
            max=float(np.fmax(self.max, other.max)),
            mean=mean,
            m2=m2,
            sketch=self.sketch.merge(other.sketch),
        )

    def to_dict(self) -> dict[str, Any]:
        """Counts, moments and summary quantiles (datetimes as ISO 8601 strings)."""
        out = self._base_dict()
        qs = self.quantiles(_SUMMARY_QS) if self.count else [float("nan")] * len(_SUMMARY_QS)
        stats: dict[str, Any] = {"min": self.min, "max": self.max, "mean": self.mean}
        stats.update(
            {f"p{round(q * 100):02d}": float(v) for q, v in zip(_SUMMARY_QS, qs, strict=True)}
        )
        if self.kind == "datetime":
            stats = {k: _iso(v) for k, v in stats.items()}
            stats["std_seconds"] = self.std
        else:
            stats["std"] = self.std
        out.update(
            count=self.count,
            n_nan=self.n_nan,
            n_posinf=self.n_posinf,
            n_neginf=self.n_neginf,
            n_zero=self.n_zero,
            n_negative=self.n_negative,
            **stats,
            rank_error=self.rank_error,
        )
        return json_safe(out)

    def state(self) -> tuple[dict[str, Any], list[bytes]]:
        """Fields and the KLL bytes."""
        fields = {
            "count": self.count, "n_nan": self.n_nan, "n_posinf": self.n_posinf,
            "n_neginf": self.n_neginf, "n_zero": self.n_zero, "n_negative": self.n_negative,
            "min": self.min, "max": self.max, "mean": self.mean, "m2": self.m2,
            "k": self.sketch.k, "sketch_n": self.sketch.n, "sketch_var": self.sketch.var,
            "sketch_sizes": list(self.sketch.sizes),
        }  # fmt: skip
        return fields, [self.sketch.payload]

    @classmethod
    def from_state(cls, fields: dict[str, Any], blobs: list[bytes]) -> Self:
        """Rebuild from :meth:`state` output."""
        f = dict(fields)
        sketch = QuantileSketch.check_payload(
            int(f.pop("k")),
            int(f.pop("sketch_n")),
            float(f.pop("sketch_var")),
            tuple(int(s) for s in f.pop("sketch_sizes")),
            blobs[0],
        )
        return cls(**f, sketch=sketch)


def _iso(seconds: float) -> str | None:
    if not np.isfinite(seconds):
        return None
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat()


def numeric_from_values(
    name: str,
    kind: ColumnKind,
    values: np.ndarray[Any, np.dtype[np.float64]],
    *,
    n_null: int = 0,
    n_invalid: int = 0,
    k: int = DEFAULT_K,
) -> NumericProfile:
    """Profile one batch. ``values`` holds every row; the ``n_null`` missing and
    ``n_invalid`` unreadable rows must be NaN in it (they are not counted as NaN)."""
    n_rows = len(values)
    with np.errstate(invalid="ignore", over="ignore"):
        total = float(np.add.reduce(values)) if n_rows else 0.0
    if np.isfinite(total):  # a finite sum means every value is finite
        finite = values
        n_nan = n_posinf = n_neginf = 0
    else:
        n_nan = int(np.count_nonzero(np.isnan(values))) - n_null - n_invalid
        n_posinf = int(np.count_nonzero(values == np.inf))
        n_neginf = int(np.count_nonzero(values == -np.inf))
        finite = values[np.isfinite(values)]
        total = float(np.add.reduce(finite))
    count = len(finite)
    if count:
        mean = total / count
        if not np.isfinite(mean):  # the sum overflowed: rescale
            mean = float(np.mean(finite / count) * count)
        dev = np.subtract(finite, mean, out=scratch("moments", count))
        m2 = float(np.dot(dev, dev))
        lo, hi = float(finite.min()), float(finite.max())
        n_zero = int(np.count_nonzero(finite == 0.0))
        n_negative = int(np.count_nonzero(finite < 0.0))
    else:
        mean = lo = hi = float("nan")
        m2 = 0.0
        n_zero = n_negative = 0
    return NumericProfile(
        name=name, kind=kind, n_rows=n_rows, n_null=n_null, n_invalid=n_invalid,
        count=count, n_nan=n_nan, n_posinf=n_posinf, n_neginf=n_neginf, n_zero=n_zero,
        n_negative=n_negative, min=lo, max=hi, mean=mean, m2=m2,
        sketch=QuantileSketch.from_values(finite, k),
    )  # fmt: skip
