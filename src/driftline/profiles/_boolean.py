"""Boolean column profiles: true / false counts (exact)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import pyarrow as pa
import pyarrow.compute as pc

from driftline.profiles._column import ColumnKind, ColumnProfile, json_safe

__all__ = ["BooleanProfile", "boolean_from_array"]


@dataclass(frozen=True, slots=True)
class BooleanProfile(ColumnProfile):
    """Profile of a boolean column; every field is exact.

    >>> import pyarrow as pa
    >>> p = boolean_from_array("b", pa.array([True, False, True, None]))
    >>> p.n_true, p.n_false, p.n_null, p.true_rate
    (2, 1, 1, 0.6666666666666666)
    """

    n_true: int
    n_false: int

    kinds: ClassVar[tuple[str, ...]] = ("boolean",)

    @property
    def count(self) -> int:
        """Number of present values."""
        return self.n_true + self.n_false

    @property
    def true_rate(self) -> float:
        """Share of ``True`` among present values (NaN without values)."""
        return self.n_true / self.count if self.count else float("nan")

    @classmethod
    def empty(cls, name: str, kind: ColumnKind, *, n_null: int = 0) -> Self:
        """A profile of ``n_null`` missing rows."""
        return cls(name, kind, n_null, n_null, 0, 0, 0)

    def merge(self, other: Self) -> Self:
        """Profile of both inputs (sums of counts)."""
        base = self._base_merge(other)
        return type(self)(
            **base, n_true=self.n_true + other.n_true, n_false=self.n_false + other.n_false
        )

    def to_dict(self) -> dict[str, Any]:
        """Counts and the share of ``True``."""
        out = self._base_dict()
        out.update(
            count=self.count, n_true=self.n_true, n_false=self.n_false, true_rate=self.true_rate
        )
        return json_safe(out)

    def state(self) -> tuple[dict[str, Any], list[bytes]]:
        """Fields only."""
        return {"n_true": self.n_true, "n_false": self.n_false}, []

    @classmethod
    def from_state(cls, fields: dict[str, Any], blobs: list[bytes]) -> Self:
        """Rebuild from :meth:`state` output."""
        return cls(**fields)


def boolean_from_array(name: str, arr: pa.Array, *, n_invalid: int = 0) -> BooleanProfile:
    """Profile one batch of an Arrow boolean array (``n_invalid`` rows are null in it)."""
    n_true = int(pc.sum(arr).as_py() or 0) if len(arr) else 0
    n_present = len(arr) - arr.null_count
    return BooleanProfile(
        name=name,
        kind="boolean",
        n_rows=len(arr),
        n_null=arr.null_count - n_invalid,
        n_invalid=n_invalid,
        n_true=n_true,
        n_false=n_present - n_true,
    )
