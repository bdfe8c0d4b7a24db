"""Categorical and text-like column profiles: frequent items, HLL distinct count, lengths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.exceptions import SerializationError
from driftline.profiles._column import ColumnKind, ColumnProfile, json_safe
from driftline.profiles._frequent import DEFAULT_CAP, FrequentItems
from driftline.profiles._hll import DEFAULT_PRECISION, hash_strings, hll_estimate, hll_update

__all__ = ["MAX_KEY_CHARS", "CategoricalProfile", "categorical_from_array"]

#: Values longer than this many characters are truncated in the frequent-items table
#: (the distinct count and the length statistics use the full value).
MAX_KEY_CHARS: Final = 200
_M: Final = 1 << DEFAULT_PRECISION
_HLL_SE: Final = 1.04 / np.sqrt(_M)


@dataclass(frozen=True, slots=True)
class CategoricalProfile(ColumnProfile):
    """Profile of a categorical or text-like column (values as strings).

    ``count`` is the number of present values. ``frequent`` holds exact counts while
    the column has at most ``cap`` distinct values, then a Misra–Gries summary.
    ``distinct`` is exact while ``frequent`` is exact, else a HyperLogLog estimate
    with relative standard error 1.6 %. Lengths are in UTF-8 bytes.

    >>> import pyarrow as pa
    >>> p = categorical_from_array("c", "categorical", pa.array(["a", "b", "a", None]))
    >>> p.count, p.n_null, p.distinct, p.frequent.top(1)
    (3, 1, 2, [('a', 2)])
    """

    count: int
    n_empty: int
    len_min: int
    len_max: int
    len_sum: int
    frequent: FrequentItems
    registers: bytes

    kinds: ClassVar[tuple[str, ...]] = ("categorical", "text")

    @property
    def distinct(self) -> int:
        """Number of distinct values: exact if :attr:`distinct_is_exact`, else estimated."""
        if self.frequent.is_exact:
            return len(self.frequent.keys)
        regs = np.frombuffer(self.registers, dtype=np.uint8)
        return max(round(hll_estimate(regs)), len(self.frequent.keys))

    @property
    def distinct_is_exact(self) -> bool:
        """True when :attr:`distinct` is an exact count."""
        return self.frequent.is_exact

    @property
    def distinct_relative_error(self) -> float:
        """Relative standard error of :attr:`distinct` (0 when exact)."""
        return 0.0 if self.distinct_is_exact else float(_HLL_SE)

    @property
    def mean_length(self) -> float:
        """Mean value length in bytes (NaN without values)."""
        return self.len_sum / self.count if self.count else float("nan")

    def frequencies(self) -> dict[str, int]:
        """Counts of the kept values (exact, or lower bounds within ``frequent.max_error``)."""
        return self.frequent.as_dict()

    @classmethod
    def empty(cls, name: str, kind: ColumnKind, *, n_null: int = 0) -> Self:
        """A profile of ``n_null`` missing rows."""
        return cls(
            name, kind, n_null, n_null, 0, 0, 0, 0, 0, 0,
            FrequentItems.empty(DEFAULT_CAP), bytes(_M),
        )  # fmt: skip

    def merge(self, other: Self) -> Self:
        """Profile of both inputs; register-wise maximum for the HLL."""
        base = self._base_merge(other)
        regs = np.maximum(
            np.frombuffer(self.registers, dtype=np.uint8),
            np.frombuffer(other.registers, dtype=np.uint8),
        )
        return type(self)(
            **base,
            count=self.count + other.count,
            n_empty=self.n_empty + other.n_empty,
            len_min=_min_len(self, other),
            len_max=max(self.len_max, other.len_max),
            len_sum=self.len_sum + other.len_sum,
            frequent=self.frequent.merge(other.frequent),
            registers=regs.tobytes(),
        )

    def to_dict(self) -> dict[str, Any]:
        """Counts, distinct count, top values and lengths."""
        out = self._base_dict()
        out.update(
            count=self.count,
            distinct=self.distinct,
            distinct_is_exact=self.distinct_is_exact,
            top=[[k, v] for k, v in self.frequent.top(10)],
            top_max_error=self.frequent.max_error,
            n_empty=self.n_empty,
            len_min=self.len_min if self.count else None,
            len_max=self.len_max if self.count else None,
            len_mean=self.mean_length,
        )
        return json_safe(out)

    def state(self) -> tuple[dict[str, Any], list[bytes]]:
        """Fields (frequent items inline) and the HLL registers."""
        f = self.frequent
        fields = {
            "count": self.count, "n_empty": self.n_empty, "len_min": self.len_min,
            "len_max": self.len_max, "len_sum": self.len_sum, "cap": f.cap, "freq_n": f.n,
            "max_error": f.max_error, "keys": list(f.keys), "counts": list(f.counts),
        }  # fmt: skip
        return fields, [self.registers]

    @classmethod
    def from_state(cls, fields: dict[str, Any], blobs: list[bytes]) -> Self:
        """Rebuild from :meth:`state` output."""
        f = dict(fields)
        if len(blobs[0]) != _M:
            raise SerializationError(f"HLL registers must be {_M} bytes; got {len(blobs[0])}.")
        freq = FrequentItems(
            cap=int(f.pop("cap")),
            n=int(f.pop("freq_n")),
            max_error=int(f.pop("max_error")),
            keys=tuple(f.pop("keys")),
            counts=tuple(int(c) for c in f.pop("counts")),
        )
        return cls(**f, frequent=freq, registers=blobs[0])


def _min_len(a: CategoricalProfile, b: CategoricalProfile) -> int:
    if a.count == 0:
        return b.len_min
    if b.count == 0:
        return a.len_min
    return min(a.len_min, b.len_min)


def _truncate(values: pa.Array, counts: np.ndarray[Any, Any]) -> tuple[pa.Array, Any]:
    """Truncate long keys and re-aggregate the counts of keys that became equal."""
    short = pc.utf8_slice_codeunits(values, 0, MAX_KEY_CHARS)
    table = pa.table({"k": short, "c": pa.array(counts, type=pa.int64())})
    grouped = table.group_by("k").aggregate([("c", "sum")])
    return grouped.column("k").combine_chunks(), grouped.column("c_sum").to_numpy()


def categorical_from_array(
    name: str,
    kind: ColumnKind,
    arr: pa.Array,
    *,
    n_invalid: int = 0,
    cap: int = DEFAULT_CAP,
) -> CategoricalProfile:
    """Profile one batch of a (large_)string Arrow array."""
    n_rows = len(arr)
    n_null = arr.null_count
    count = n_rows - n_null
    registers = np.zeros(_M, dtype=np.uint8)
    if count == 0:
        return CategoricalProfile(
            name, kind, n_rows, n_null, n_invalid, 0, 0, 0, 0, 0,
            FrequentItems.empty(cap), registers.tobytes(),
        )  # fmt: skip
    vc = pc.value_counts(arr)
    values = vc.field("values")
    counts = vc.field("counts").to_numpy()
    if values.null_count:
        valid = values.is_valid()
        values = values.filter(valid)
        counts = counts[valid.to_numpy(zero_copy_only=False)]
    # Length statistics from the distinct values and their counts: O(distinct), not O(n).
    lengths = np.asarray(pc.binary_length(values).to_numpy(zero_copy_only=False), dtype=np.int64)
    len_min, len_max = int(lengths.min()), int(lengths.max())
    len_sum = int(np.dot(lengths, counts))
    n_empty = int(counts[lengths == 0].sum())
    hll_update(registers, hash_strings(values))
    if len_max > MAX_KEY_CHARS:
        values, counts = _truncate(values, counts)
    sub = 0
    if len(counts) > cap:
        threshold = int(np.partition(counts, len(counts) - cap - 1)[len(counts) - cap - 1])
        keep = counts > threshold
        values = values.filter(pa.array(keep))
        counts = counts[keep] - threshold
        sub = threshold
    freq = FrequentItems.from_counts(np.asarray(values.to_pylist(), dtype=object), counts, cap=cap)
    freq = FrequentItems(cap, count, sub, freq.keys, freq.counts)
    return CategoricalProfile(
        name, kind, n_rows, n_null, n_invalid, count, n_empty, len_min, len_max, len_sum,
        freq, registers.tobytes(),
    )  # fmt: skip
