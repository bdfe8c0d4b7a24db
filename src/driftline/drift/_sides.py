"""One side (reference or current) of one column, from raw values or from a profile.

A side answers the questions the comparisons ask — CDF and quantiles for numeric
columns, category counts for categorical ones — exactly when it holds raw values and
within the sketch's documented error when it comes from a profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from driftline.drift._bucketed import BucketedSample, BucketLayout, finite_values
from driftline.exceptions import DataError
from driftline.profiles import BooleanProfile, CategoricalProfile, NumericProfile
from driftline.tabular import boolean_values as _to_booleans
from driftline.tabular import infer_kind
from driftline.tabular import numeric_values as _numeric_input
from driftline.tabular import string_values as _to_strings

__all__ = [
    "BUCKETED_MIN_N",
    "DISCRETE_MAX_VALUES",
    "KINDS",
    "CategoricalSide",
    "ColumnKind",
    "NumericSide",
    "Side",
    "empty_side",
    "numeric_values",
    "pandas_float_columns",
    "side_from_array",
    "side_from_profile",
    "side_from_values",
]

#: Column kinds as :func:`driftline.profile` names them; drift tests all but ``"text"``.
ColumnKind = Literal["numeric", "datetime", "categorical", "boolean", "text"]
KINDS: Final[tuple[ColumnKind, ...]] = ("numeric", "datetime", "categorical", "boolean", "text")
NumericKind = Literal["numeric", "datetime"]
CategoricalKind = Literal["categorical", "boolean"]

#: Large raw columns with at most this many distinct values (judged on a sample) get a
#: tie-aware KS p-value; below ``BUCKETED_MIN_N`` values ties are always taken into account.
DISCRETE_MAX_VALUES: Final = 100
#: A sample with more than DISCRETE_MAX_VALUES distinct values proves a column continuous.
_DISCRETE_SAMPLE: Final = 1 << 12


#: Raw reference columns with at least this many finite values are bucketed at fit time
#: (exact KS and Wasserstein-1 without sorting; :mod:`driftline.drift._bucketed`);
#: smaller ones are sorted, which is as cheap.
BUCKETED_MIN_N: Final = 20_000


@dataclass(frozen=True)
class NumericSide:
    """Finite values of a numeric (or datetime) column: raw values or a sketch.

    A raw side holds its finite ``values`` in their original order; a large raw side
    also holds them counted into buckets (``buckets``: the reference's layout, shared by
    the current side at compare time). ``sorted_values`` is computed on first use.
    """

    n: int
    n_rows: int
    mean: float
    std: float
    values: NDArray[np.float64] | None = None
    profile: NumericProfile | None = None
    buckets: BucketedSample | None = None
    kind: NumericKind = "numeric"

    family: ClassVar[Literal["numeric"]] = "numeric"

    @property
    def exact(self) -> bool:
        """True when the side holds every value (no sketch error)."""
        return self.values is not None

    @cached_property
    def distinct(self) -> tuple[NDArray[np.float64], NDArray[np.int64]] | None:
        """Distinct values and their counts of a raw side with few distinct values.

        ``None`` for a sketch, and for a large side whose sample of about 4,096 values
        (every k-th) already holds more than ``DISCRETE_MAX_VALUES`` distinct values
        (continuous data: no sort of the whole column is spent on it).
        """
        values = self.values
        if values is None or values.size == 0:
            return None
        if not self._sorted_is_cheap():  # large: judge on a sample before sorting everything
            # every k-th value: a sample never holds more distinct values than the column
            sample = values[:: max(values.size // _DISCRETE_SAMPLE, 1)]
            if np.unique(sample).size > DISCRETE_MAX_VALUES:
                return None
        ordered = self.sorted_values if self._sorted_is_cheap() else np.sort(values)
        assert ordered is not None
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        counts = np.diff(np.append(starts, ordered.size)).astype(np.int64)
        if values.size > BUCKETED_MIN_N and counts.size > DISCRETE_MAX_VALUES:
            return None
        return ordered[starts], counts

    @cached_property
    def sorted_values(self) -> NDArray[np.float64] | None:
        """The finite values sorted ascending (``None`` for a sketch); sorted once, on use."""
        if self.values is None:
            return None
        return np.sort(self.values)

    def _sorted_is_cheap(self) -> bool:
        return "sorted_values" in self.__dict__ or self.buckets is None

    @property
    def rank_error(self) -> float:
        """Normalized rank error of :meth:`cdf` and :meth:`quantiles` (0 when exact)."""
        if self.profile is None:
            return 0.0
        return float(self.profile.rank_error)

    def _count_below(self, xs: NDArray[np.float64], inclusive: bool) -> NDArray[np.float64]:
        xs = np.asarray(xs, dtype=np.float64)
        if self.buckets is not None and not self._sorted_is_cheap():
            return np.asarray(self.buckets.below(xs, inclusive=inclusive) / self.n)
        ordered = self.sorted_values
        if ordered is None:
            return np.asarray(self._sketch().cdf(xs, inclusive=inclusive), dtype=np.float64)
        idx = np.searchsorted(ordered, xs, side="right" if inclusive else "left")
        return np.asarray(idx / self.n, dtype=np.float64)

    def cdf(self, xs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Share of values ``<= x`` for each ``x``."""
        return self._count_below(xs, True)

    def cdf_below(self, xs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Share of values ``< x`` for each ``x``."""
        return self._count_below(xs, False)

    def quantiles(self, qs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values at normalized ranks ``qs`` (inverted-CDF definition)."""
        qs = np.asarray(qs, dtype=np.float64)
        if self.buckets is not None and not self._sorted_is_cheap():
            return self.buckets.quantiles(qs)
        ordered = self.sorted_values
        if ordered is None:
            return np.asarray(self._sketch().quantiles(qs), dtype=np.float64)
        idx = np.clip(np.ceil(qs * self.n).astype(np.int64) - 1, 0, self.n - 1)
        return np.asarray(ordered[idx], dtype=np.float64)

    def _sketch(self) -> NumericProfile:
        if self.profile is None:
            raise RuntimeError("A NumericSide needs either raw values or a profile.")
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
    kind: CategoricalKind = "categorical"

    family: ClassVar[Literal["categorical"]] = "categorical"

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


def _numeric_side(
    values: NDArray[np.float64],
    n_rows: int,
    layout: BucketLayout | None,
    bucket: bool,
    kind: NumericKind = "numeric",
) -> NumericSide:
    """A raw side: finite values, counted into ``layout`` (the reference's, at compare
    time) or, with ``bucket``, into a layout placed from these values when they are many."""
    finite = finite_values(values)
    if layout is None and bucket and finite.size >= BUCKETED_MIN_N:
        layout = BucketLayout.from_values(finite)
    buckets = BucketedSample.build(finite, layout) if layout is not None else None
    if buckets is not None:
        mean, std = buckets.mean, buckets.std
    else:
        mean, std = _moments(finite)
    return NumericSide(
        n=finite.size,
        n_rows=n_rows,
        mean=mean,
        std=std,
        values=finite,
        buckets=buckets,
        kind=kind,
    )


def _value_counts(arr: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    counted = pc.value_counts(arr)  # nulls come out as one entry (dropped below), no copy
    values = counted.field("values").to_pylist()
    counts = counted.field("counts").to_numpy()
    return {str(v): int(c) for v, c in zip(values, counts, strict=True) if v is not None}


def empty_side(kind: ColumnKind, n_rows: int) -> Side | None:
    """A side with no values (every row missing) of a column of ``kind``."""
    if kind in ("numeric", "datetime"):
        empty = np.empty(0, dtype=np.float64)
        numeric_kind: NumericKind = "datetime" if kind == "datetime" else "numeric"
        nan = float("nan")
        return NumericSide(n=0, n_rows=n_rows, mean=nan, std=nan, values=empty, kind=numeric_kind)
    if kind in ("categorical", "boolean"):
        cat_kind: CategoricalKind = "boolean" if kind == "boolean" else "categorical"
        return CategoricalSide(n=0, n_rows=n_rows, counts={}, kind=cat_kind)
    return None


def _nulls(arr: pa.Array) -> NDArray[np.bool_]:
    return np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _unreadable(name: str, kind: str, arr: pa.Array, bad: NDArray[np.bool_]) -> DataError:
    example = arr.filter(pa.array(bad)).slice(0, 1).to_pylist()
    return DataError(
        f"Column {name!r} is declared {kind} in the schema, but {int(bad.sum()):,} of its "
        f"values cannot be read as {kind} (e.g. {example[0]!r}). Fix the values or "
        "declare the column with another kind."
    )


def _declared_numeric(name: str, arr: pa.Array, kind: NumericKind) -> NDArray[np.float64]:
    values = _numeric_input(arr, kind)
    if not (pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type)):
        bad = np.isnan(values) & ~_nulls(arr)
        if bad.any():
            raise _unreadable(name, kind, arr, bad)
    return values


_PER_SECOND: Final = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def numeric_values(arr: pa.Array, kind: NumericKind) -> NDArray[np.float64]:
    """float64 values of a numeric or datetime column (seconds since the epoch), NaN missing."""
    if pa.types.is_temporal(arr.type):
        return _temporal_seconds(arr)
    return _numeric_input(arr, kind)


def _temporal_seconds(arr: pa.Array) -> NDArray[np.float64]:
    """Seconds since the epoch (durations: seconds), NaN where missing.

    Nanosecond timestamps exceed float64's exact integer range, so the cast to float is
    numpy's (rounding to ~0.2 us), not Arrow's safe cast (which refuses them).
    """
    t = arr.type
    if pa.types.is_date32(t):
        ints, per_second = pc.cast(arr, pa.int32()), 1.0 / 86_400.0
    elif pa.types.is_date64(t):
        ints, per_second = pc.cast(arr, pa.int64()), 1e3
    elif pa.types.is_timestamp(t) or pa.types.is_duration(t):
        ints, per_second = pc.cast(arr, pa.int64()), _PER_SECOND[t.unit]
    else:  # time of day
        ints, per_second = pc.cast(pc.cast(arr, pa.time64("us")), pa.int64()), 1e6
    values = np.asarray(ints.to_numpy(zero_copy_only=False), dtype=np.float64)
    return values / per_second


def _decoded(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr


def side_from_array(
    field: pa.Field,
    arr: pa.Array | pa.ChunkedArray,
    *,
    layout: BucketLayout | None = None,
    bucket: bool = False,
    kind: ColumnKind | None = None,
) -> Side | None:
    """Build a side from one Arrow column; ``None`` for kinds drift does not test (text).

    ``kind`` overrides the inferred kind (a schema); values that cannot be read as that
    kind raise :class:`~driftline.exceptions.DataError`. Numeric columns are counted into
    ``layout`` when given (a current side compared with a bucketed reference), or into
    their own layout with ``bucket`` (a large reference).
    """
    if isinstance(arr, pa.ChunkedArray):
        # One chunk: a zero-copy view. Several chunks of strings (e.g. Parquet row groups)
        # are counted chunk by chunk; numbers need one contiguous buffer.
        if arr.num_chunks == 1:
            arr = arr.chunk(0)
        elif not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = arr.combine_chunks()
    declared = kind is not None
    if kind is None:
        kind = infer_kind(field, arr)
    elif arr.null_count == len(arr):
        return empty_side(kind, len(arr))
    if isinstance(arr, pa.ChunkedArray) and kind not in ("categorical", "boolean"):
        arr = arr.combine_chunks()
    if kind in ("numeric", "datetime"):
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        numeric_kind: NumericKind = "datetime" if kind == "datetime" else "numeric"
        if pa.types.is_temporal(arr.type):
            values = _temporal_seconds(arr)
        elif declared:
            values = _declared_numeric(field.name, arr, numeric_kind)
        else:
            values = _numeric_input(arr, numeric_kind)
        return _numeric_side(values, len(arr), layout, bucket, numeric_kind)
    if kind == "boolean":
        flags = _to_booleans(arr)
        if declared and flags.null_count > arr.null_count:
            bad = _nulls(flags) & ~_nulls(_decoded(arr))
            raise _unreadable(field.name, "boolean", _decoded(arr), bad)
        counts = _value_counts(flags)
        return CategoricalSide(
            n=sum(counts.values()), n_rows=len(arr), counts=counts, kind="boolean"
        )
    if kind == "categorical":
        counts = _value_counts(_to_strings(arr))
        return CategoricalSide(n=sum(counts.values()), n_rows=len(arr), counts=counts)
    return None


def side_from_values(
    values: NDArray[np.floating[Any]], *, layout: BucketLayout | None = None, bucket: bool = False
) -> NumericSide:
    """A numeric side from a numpy array of floats (NaN and infinities are missing)."""
    floats = np.asarray(values, dtype=np.float64)
    return _numeric_side(floats, floats.size, layout, bucket)


def pandas_float_columns(
    data: object, names: Sequence[str] | None
) -> dict[str, NDArray[np.floating[Any]]]:
    """Numpy-backed float columns of a pandas DataFrame, as zero-copy arrays.

    Reading them through Arrow would only add a pass that turns NaN into nulls (and a
    copy back when there are any); drift treats NaN as missing either way. Returns ``{}``
    for anything but a pandas DataFrame with unique column names (``to_table`` then
    reads, or rejects, the data as usual).
    """
    if not (type(data).__module__.startswith("pandas") and hasattr(data, "dtypes")):
        return {}
    labels = list(data.columns)  # type: ignore[attr-defined]
    by_name = {str(c): c for c in labels}
    if len(by_name) != len(labels):
        return {}
    wanted = list(by_name) if names is None else [n for n in names if n in by_name]
    out: dict[str, NDArray[np.floating[Any]]] = {}
    for name in wanted:
        series = data[by_name[name]]  # type: ignore[index]
        dtype = series.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            out[name] = np.asarray(series.to_numpy(copy=False))
    return out


def side_from_profile(column: Any) -> Side | None:
    """Build a side from a column profile; ``None`` for kinds drift does not test (text)."""
    if isinstance(column, NumericProfile):
        return NumericSide(
            n=int(column.count),
            n_rows=int(column.n_rows),
            mean=float(column.mean),
            std=float(column.std),
            profile=column,
            kind="datetime" if column.kind == "datetime" else "numeric",
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
            kind="boolean",
        )
    return None


def aligned_counts(
    ref: CategoricalSide, cur: CategoricalSide
) -> tuple[list[str], NDArray[np.float64], NDArray[np.float64]]:
    """Counts of both sides over the union of their categories (most frequent first).

    When either side is a sketch, rows in untracked categories form a last bucket
    named ``"(other)"``.
    """
    totals = dict(ref.counts)
    for key, count in cur.counts.items():
        totals[key] = totals.get(key, 0) + count
    # Most frequent first, ties by label: a stable sort by label, then by total (reverse
    # keeps stability), with C-level keys (no tuple per category).
    labels = sorted(sorted(totals), key=totals.__getitem__, reverse=True)
    r = np.fromiter((ref.counts.get(k, 0) for k in labels), np.float64, len(labels))
    c = np.fromiter((cur.counts.get(k, 0) for k in labels), np.float64, len(labels))
    if not (ref.exact and cur.exact):
        labels = [*labels, "(other)"]
        r = np.append(r, ref.untracked)
        c = np.append(c, cur.untracked)
    return labels, r, c
