"""One side (reference or current) of one column, from raw values or from a profile.

A side answers the questions the comparisons ask — CDF and quantiles for numeric
columns, category counts for categorical ones — exactly when it holds raw values and
within the sketch's documented error when it comes from a profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from driftline.profiles._boolean import BooleanProfile
from driftline.profiles._build import _numeric_input, _to_booleans, _to_strings, infer_kind
from driftline.profiles._categorical import CategoricalProfile
from driftline.profiles._numeric import NumericProfile

__all__ = ["CategoricalSide", "NumericSide", "Side", "side_from_array", "side_from_profile"]

SideKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class NumericSide:
    """Finite values of a numeric (or datetime) column: sorted raw values or a sketch."""

    n: int
    n_rows: int
    mean: float
    std: float
    sorted_values: NDArray[np.float64] | None = None
    profile: NumericProfile | None = None

    kind: SideKind = "numeric"

    @property
    def exact(self) -> bool:
        """True when the side holds every value (no sketch error)."""
        return self.sorted_values is not None

    @property
    def rank_error(self) -> float:
        """Normalized rank error of :meth:`cdf` and :meth:`quantiles` (0 when exact)."""
        if self.profile is None:
            return 0.0
        return float(self.profile.rank_error)

    def cdf(self, xs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Share of values ``<= x`` for each ``x``."""
        if self.sorted_values is not None:
            idx = np.searchsorted(self.sorted_values, xs, side="right")
            return np.asarray(idx / self.n, dtype=np.float64)
        return np.asarray(self._sketch().cdf(xs, inclusive=True), dtype=np.float64)

    def cdf_below(self, xs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Share of values ``< x`` for each ``x``."""
        if self.sorted_values is not None:
            idx = np.searchsorted(self.sorted_values, xs, side="left")
            return np.asarray(idx / self.n, dtype=np.float64)
        return np.asarray(self._sketch().cdf(xs, inclusive=False), dtype=np.float64)

    def quantiles(self, qs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values at normalized ranks ``qs`` (inverted-CDF definition)."""
        if self.sorted_values is not None:
            idx = np.clip(np.ceil(qs * self.n).astype(np.int64) - 1, 0, self.n - 1)
            return np.asarray(self.sorted_values[idx], dtype=np.float64)
        return np.asarray(self._sketch().quantiles(qs), dtype=np.float64)

    def _sketch(self) -> NumericProfile:
        if self.profile is None:
            raise RuntimeError("A NumericSide needs either sorted values or a profile.")
        return self.profile


@dataclass(frozen=True)
class CategoricalSide:
    """Category counts of a categorical or boolean column.

    ``counts`` are exact when ``exact``; otherwise they are a frequent-items summary and
    ``n - sum(counts)`` rows belong to categories that were not kept.
    """

    n: int
    n_rows: int
    counts: Mapping[str, int]
    exact: bool = True

    kind: SideKind = "categorical"

    @property
    def untracked(self) -> int:
        """Rows whose category is not in :attr:`counts` (0 when exact)."""
        return max(self.n - sum(self.counts.values()), 0)


Side = NumericSide | CategoricalSide


def _moments(values: NDArray[np.float64]) -> tuple[float, float]:
    if values.size == 0:
        return float("nan"), float("nan")
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return mean, std


def _numeric_side(values: NDArray[np.float64], n_rows: int) -> NumericSide:
    # Sort first: NaN sort last and infinities to the ends, so the finite values are one
    # slice of the sorted copy (cheaper than masking before the sort).
    ordered = np.sort(values)
    lo = int(np.searchsorted(ordered, -np.inf, side="right"))
    hi = int(np.searchsorted(ordered, np.inf, side="left"))
    finite = ordered[lo:hi]
    mean, std = _moments(finite)
    return NumericSide(n=finite.size, n_rows=n_rows, mean=mean, std=std, sorted_values=finite)


def _value_counts(arr: pa.Array) -> dict[str, int]:
    counted = pc.value_counts(pc.drop_null(arr))
    values = counted.field("values").to_pylist()
    counts = counted.field("counts").to_numpy()
    return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def side_from_array(field: pa.Field, arr: pa.Array | pa.ChunkedArray) -> Side | None:
    """Build a side from one Arrow column; ``None`` for kinds drift does not test (text)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    kind = infer_kind(field, arr)
    if kind in ("numeric", "datetime"):
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        return _numeric_side(_numeric_input(arr, kind), len(arr))
    if kind == "boolean":
        values = _to_booleans(arr)
        counts = _value_counts(values)
        return CategoricalSide(n=sum(counts.values()), n_rows=len(arr), counts=counts)
    if kind == "categorical":
        counts = _value_counts(_to_strings(arr))
        return CategoricalSide(n=sum(counts.values()), n_rows=len(arr), counts=counts)
    return None


def side_from_profile(column: Any) -> Side | None:
    """Build a side from a column profile; ``None`` for kinds drift does not test (text)."""
    if isinstance(column, NumericProfile):
        return NumericSide(
            n=int(column.count),
            n_rows=int(column.n_rows),
            mean=float(column.mean),
            std=float(column.std),
            profile=column,
        )
    if isinstance(column, CategoricalProfile):
        if column.kind == "text":
            return None
        counts = column.frequencies()
        return CategoricalSide(
            n=int(column.count),
            n_rows=int(column.n_rows),
            counts=counts,
            exact=bool(column.frequent.is_exact),
        )
    if isinstance(column, BooleanProfile):
        return CategoricalSide(
            n=int(column.count),
            n_rows=int(column.n_rows),
            counts={"True": int(column.n_true), "False": int(column.n_false)},
        )
    return None


def aligned_counts(
    ref: CategoricalSide, cur: CategoricalSide
) -> tuple[list[str], NDArray[np.float64], NDArray[np.float64]]:
    """Counts of both sides over the union of their categories (most frequent first).

    When either side is a sketch, rows in untracked categories form a last bucket
    named ``"(other)"``.
    """
    labels = sorted(
        set(ref.counts) | set(cur.counts),
        key=lambda k: (-(ref.counts.get(k, 0) + cur.counts.get(k, 0)), k),
    )
    r = np.array([ref.counts.get(k, 0) for k in labels], dtype=np.float64)
    c = np.array([cur.counts.get(k, 0) for k in labels], dtype=np.float64)
    if not (ref.exact and cur.exact):
        labels = [*labels, "(other)"]
        r = np.append(r, ref.untracked)
        c = np.append(c, cur.untracked)
    return labels, r, c
