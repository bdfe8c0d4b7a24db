"""Conformance checks for mergeable, serializable sketches and profiles.

Any object with ``merge`` (or ``+``) and ``to_bytes`` / ``from_bytes`` can be checked:
merge commutativity and associativity, agreement with the profile of the union,
serialization round trips and size bounds. Each check raises ``AssertionError``
with a message naming the first difference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from driftline.profiles import (
    BooleanProfile,
    CategoricalProfile,
    ColumnProfile,
    DatasetProfile,
    NumericProfile,
)

__all__ = [
    "assert_profiles_equivalent",
    "check_mergeable",
    "check_roundtrip",
    "check_size_bound",
]

T = TypeVar("T")
_GRID = np.linspace(0.0, 1.0, 41)


def _close(a: float, b: float, *, rtol: float, atol: float) -> bool:
    if np.isnan(a) and np.isnan(b):
        return True
    return bool(np.isclose(a, b, rtol=rtol, atol=atol))


def _fail(where: str, what: str, a: object, b: object) -> AssertionError:
    return AssertionError(f"{where}: {what} differs: {a!r} != {b!r}")


def _same(where: str, what: str, a: object, b: object) -> None:
    if a != b and not (isinstance(a, float) and isinstance(b, float) and a != a and b != b):
        raise _fail(where, what, a, b)


def _numeric(a: NumericProfile, b: NumericProfile, rtol: float) -> None:
    where = f"column {a.name!r}"
    for f in ("count", "n_nan", "n_posinf", "n_neginf", "n_zero", "n_negative", "min", "max"):
        _same(where, f, getattr(a, f), getattr(b, f))
    scale = max(abs(a.mean) if np.isfinite(a.mean) else 0.0, a.std if a.count > 1 else 0.0)
    if not _close(a.mean, b.mean, rtol=rtol, atol=rtol * scale):
        raise _fail(where, "mean", a.mean, b.mean)
    if not _close(a.m2, b.m2, rtol=rtol, atol=rtol * (scale**2) * max(a.count, 1)):
        raise _fail(where, "m2", a.m2, b.m2)
    _same(where, "sketch.n", a.sketch.n, b.sketch.n)
    if a.count == 0:
        return
    xs = np.unique(np.concatenate([a.quantiles(_GRID), b.quantiles(_GRID)]))
    tolerance = a.rank_error + b.rank_error
    gap = float(np.max(np.abs(a.cdf(xs) - b.cdf(xs))))
    if gap > tolerance + 1e-12:
        raise AssertionError(
            f"{where}: quantile sketches disagree by {gap:.5f} in rank, "
            f"more than their combined bound {tolerance:.5f}"
        )


def _categorical(a: CategoricalProfile, b: CategoricalProfile) -> None:
    where = f"column {a.name!r}"
    for f in ("count", "n_empty", "len_min", "len_max", "len_sum", "registers"):
        _same(where, f, getattr(a, f), getattr(b, f))
    fa, fb = a.frequent, b.frequent
    if fa.is_exact and fb.is_exact:
        _same(where, "frequent items", fa.as_dict(), fb.as_dict())
        return
    da, db = fa.as_dict(), fb.as_dict()
    slack = fa.max_error + fb.max_error
    for key in set(da) | set(db):
        if abs(da.get(key, 0) - db.get(key, 0)) > slack:
            raise AssertionError(
                f"{where}: count of {key!r} differs by more than the bound {slack}: "
                f"{da.get(key, 0)} vs {db.get(key, 0)}"
            )


def _column(a: ColumnProfile, b: ColumnProfile, rtol: float) -> None:
    where = f"column {a.name!r}"
    for f in ("name", "kind", "n_rows", "n_null", "n_invalid"):
        _same(where, f, getattr(a, f), getattr(b, f))
    _same(where, "profile type", type(a).__name__, type(b).__name__)
    if isinstance(a, NumericProfile) and isinstance(b, NumericProfile):
        _numeric(a, b, rtol)
    elif isinstance(a, CategoricalProfile) and isinstance(b, CategoricalProfile):
        _categorical(a, b)
    elif isinstance(a, BooleanProfile) and isinstance(b, BooleanProfile):
        _same(where, "n_true", a.n_true, b.n_true)
        _same(where, "n_false", a.n_false, b.n_false)


def assert_profiles_equivalent(a: Any, b: Any, *, rtol: float = 1e-9) -> None:
    """Assert two profiles describe the same data: exact fields equal, floating
    moments within ``rtol``, sketches within their documented bounds.

    >>> import numpy as np
    >>> from driftline.profiles import profile
    >>> x = np.arange(10.0)
    >>> assert_profiles_equivalent(profile({"x": x[:4]}) + profile({"x": x[4:]}), profile({"x": x}))
    """
    if isinstance(a, DatasetProfile) and isinstance(b, DatasetProfile):
        _same("profile", "n_rows", a.n_rows, b.n_rows)
        _same("profile", "columns", sorted(a.column_names), sorted(b.column_names))
        for col in a.columns:
            _column(col, b[col.name], rtol)
        return
    if isinstance(a, ColumnProfile) and isinstance(b, ColumnProfile):
        _column(a, b, rtol)
        return
    if a != b:
        raise AssertionError(f"objects differ: {a!r} != {b!r}")


def _merge(a: T, b: T) -> T:
    return a.merge(b) if hasattr(a, "merge") else a + b  # type: ignore[no-any-return, operator]


def check_mergeable(
    make: Callable[[Any], T],
    data_a: Any,
    data_b: Any,
    data_c: Any = None,
    *,
    union: Callable[[Any, Any], Any] | None = None,
    equivalent: Callable[[T, T], None] = assert_profiles_equivalent,
) -> T:
    """Check that ``make(data)`` objects merge like sets of rows.

    Checks that merging is commutative, associative (when ``data_c`` is given), leaves
    its inputs unchanged, and, when ``union`` concatenates two data sets, that
    ``make(a) + make(b)`` is equivalent to ``make(union(a, b))``. Returns the merge.

    >>> import numpy as np
    >>> from driftline.profiles import profile
    >>> cat = lambda a, b: {k: np.concatenate([a[k], b[k]]) for k in a}
    >>> data = [{"x": np.arange(i, i + 5.0)} for i in (0, 5, 10)]
    >>> merged = check_mergeable(profile, *data, union=cat)
    >>> merged.n_rows
    10
    """
    pa_, pb = make(data_a), make(data_b)
    before = [_snapshot(p) for p in (pa_, pb)]
    ab = _merge(pa_, pb)
    equivalent(ab, _merge(pb, pa_))
    if [_snapshot(p) for p in (pa_, pb)] != before:
        raise AssertionError("merge modified one of its inputs")
    if data_c is not None:
        pc_ = make(data_c)
        equivalent(_merge(ab, pc_), _merge(pa_, _merge(pb, pc_)))
    if union is not None:
        equivalent(ab, make(union(data_a, data_b)))
    return ab


def _snapshot(obj: object) -> object:
    to_bytes = getattr(obj, "to_bytes", None)
    return to_bytes() if callable(to_bytes) else repr(obj)


def check_roundtrip(obj: T) -> T:
    """Check ``type(obj).from_bytes(obj.to_bytes())`` reproduces ``obj`` byte for byte.

    >>> import numpy as np
    >>> from driftline.profiles import profile
    >>> check_roundtrip(profile({"x": np.arange(3.0)})).n_rows
    3
    """
    payload = obj.to_bytes()  # type: ignore[attr-defined]
    restored: T = type(obj).from_bytes(payload)  # type: ignore[attr-defined]
    again = restored.to_bytes()  # type: ignore[attr-defined]
    if again != payload:
        raise AssertionError("to_bytes(from_bytes(b)) != b: serialization is not a round trip")
    equivalent = assert_profiles_equivalent
    equivalent(obj, restored, rtol=0.0)
    return restored


def check_size_bound(obj: object, max_bytes: int) -> int:
    """Check ``len(obj.to_bytes()) <= max_bytes``; returns the size.

    >>> import numpy as np
    >>> from driftline.profiles import profile
    >>> check_size_bound(profile({"x": np.arange(3.0)}), 100_000) < 100_000
    True
    """
    size = len(obj.to_bytes())  # type: ignore[attr-defined]
    if size > max_bytes:
        raise AssertionError(f"serialized size {size:,} bytes exceeds the bound {max_bytes:,}")
    return size
