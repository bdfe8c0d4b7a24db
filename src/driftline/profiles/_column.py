"""The base class shared by every column profile, and the column kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from driftline.exceptions import SchemaMismatchError
from driftline.tabular import KINDS, ColumnKind, check_kind

__all__ = ["KINDS", "ColumnKind", "ColumnProfile", "check_kind", "json_safe", "merged_kind"]


def json_safe(d: dict[str, Any]) -> dict[str, Any]:
    """Replace NaN floats by None so that the dict is strict JSON.

    >>> json_safe({"a": float("nan"), "b": 1.5})
    {'a': None, 'b': 1.5}
    """
    return {k: None if isinstance(v, float) and v != v else v for k, v in d.items()}


def merged_kind(name: str, a: ColumnKind, b: ColumnKind) -> ColumnKind:
    """Kind of the merge of two profiles of column ``name``.

    ``categorical`` and ``text`` hold the same state and merge to ``text``; any other
    difference is a :class:`SchemaMismatchError`.
    """
    if a == b:
        return a
    if {a, b} == {"categorical", "text"}:
        return "text"
    raise SchemaMismatchError(
        f"Column {name!r} is {a!r} in one profile and {b!r} in the other; profiles of "
        "different kinds cannot be merged. Pass schema={...} to profile() to fix the kind."
    )


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """What every column profile records, whatever its kind.

    ``n_rows`` counts every row; ``n_null`` the missing ones; ``n_invalid`` values that
    are present but could not be read as the column's kind (unparseable strings,
    values of another type) and are otherwise ignored.
    """

    name: str
    kind: ColumnKind
    n_rows: int
    n_null: int
    n_invalid: int

    #: Subclasses list the kinds they implement.
    kinds: ClassVar[tuple[str, ...]] = ()

    @property
    def n_missing(self) -> int:
        """Rows without a usable value: nulls (and NaN for numeric columns)."""
        return self.n_null

    @property
    def missing_rate(self) -> float:
        """``n_missing / n_rows`` (0.0 for an empty profile)."""
        return self.n_missing / self.n_rows if self.n_rows else 0.0

    @property
    def invalid_rate(self) -> float:
        """``n_invalid / n_rows`` (0.0 for an empty profile)."""
        return self.n_invalid / self.n_rows if self.n_rows else 0.0

    @classmethod
    def empty(cls, name: str, kind: ColumnKind, *, n_null: int = 0) -> Self:
        """A profile of ``n_null`` rows that are all missing."""
        raise NotImplementedError

    def merge(self, other: Self) -> Self:
        """Profile of the union of the rows of both profiles."""
        raise NotImplementedError

    def __add__(self, other: Self) -> Self:
        return self.merge(other)

    def _base_merge(self, other: ColumnProfile) -> dict[str, Any]:
        if self.name != other.name:
            raise SchemaMismatchError(
                f"Cannot merge profiles of different columns {self.name!r} and {other.name!r}."
            )
        if type(self) is not type(other):
            merged_kind(self.name, self.kind, other.kind)
        return {
            "name": self.name,
            "kind": merged_kind(self.name, self.kind, other.kind),
            "n_rows": self.n_rows + other.n_rows,
            "n_null": self.n_null + other.n_null,
            "n_invalid": self.n_invalid + other.n_invalid,
        }

    def _base_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "n_rows": self.n_rows,
            "n_null": self.n_null,
            "n_invalid": self.n_invalid,
            "missing_rate": self.missing_rate,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python summary of the profile (JSON-friendly)."""
        return self._base_dict()

    def state(self) -> tuple[dict[str, Any], list[bytes]]:
        """Serializable state: JSON-safe fields and binary blobs (for ``to_bytes``)."""
        raise NotImplementedError

    @classmethod
    def from_state(cls, fields: dict[str, Any], blobs: list[bytes]) -> Self:
        """Inverse of :meth:`state`."""
        raise NotImplementedError
