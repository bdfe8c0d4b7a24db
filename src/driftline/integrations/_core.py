"""What the Dask and Spark jobs share: kinds decided on the driver, the per-partition
profile (bytes), and the tree merge of partition profiles.

The kind of every column is decided once, on the driver, before any partition is
profiled: from the schema given, else from the column's type, else (strings, untyped
object columns) by :func:`driftline.tabular.infer_kind` over the first
:data:`~driftline.tabular.DEFAULT_BATCH_SIZE` rows of the data — the rows
:func:`driftline.profile` decides from for in-memory data. A column without any value in
those rows takes its kind from the first partition that has values. The kinds travel to
the partitions as field metadata (:data:`~driftline.tabular.KIND_KEY`), so a partition
whose column is all null, or holds another Arrow type, profiles it with the same kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final, TypedDict

import pyarrow as pa

from driftline.exceptions import ParameterError, SchemaMismatchError
from driftline.profiles import ColumnKind, DatasetProfile, profile
from driftline.tabular import (
    DEFAULT_BATCH_SIZE,
    KIND_KEY,
    check_schema,
    infer_kind,
    to_table,
)

__all__ = [
    "HEAD_ROWS",
    "Kinds",
    "SketchOptions",
    "check_options",
    "decide_kinds",
    "empty_profile",
    "merge_profiles",
    "needs_values",
    "profile_partition",
    "sketch_options",
]

#: Rows at the start of the data whose values decide the kind of untyped columns.
HEAD_ROWS: Final = DEFAULT_BATCH_SIZE
#: Column name -> kind (None: the column has no value anywhere; profiled as missing).
Kinds = dict[str, ColumnKind | None]


class SketchOptions(TypedDict, total=False):
    """The sketch sizes passed to :func:`driftline.profile` (absent: its defaults)."""

    category_cap: int
    quantile_k: int


def sketch_options(category_cap: int | None, quantile_k: int | None) -> SketchOptions:
    """The sketch sizes given (None: :func:`driftline.profile`'s default), checked by it."""
    options = SketchOptions()
    if category_cap is not None:
        options["category_cap"] = category_cap
    if quantile_k is not None:
        options["quantile_k"] = quantile_k
    profile({"x": pa.array([], type=pa.float64())}, **options)  # its own parameter errors
    return options


def check_options(
    columns: Sequence[str] | None, schema: Mapping[str, str] | None, fan_in: int
) -> tuple[list[str] | None, dict[str, ColumnKind]]:
    """Validate the options shared by the engines."""
    if columns is not None and (
        isinstance(columns, str) or not all(isinstance(c, str) for c in columns)
    ):
        raise ParameterError(
            "The 'columns' parameter must be None or a sequence of column names (str); "
            f"got {columns!r} instead."
        )
    if isinstance(fan_in, bool) or not isinstance(fan_in, int) or fan_in < 2:
        raise ParameterError(f"The 'fan_in' parameter must be an int >= 2; got {fan_in!r} instead.")
    return (None if columns is None else list(columns)), check_schema(schema)


def needs_values(field: pa.Field, forced: Mapping[str, ColumnKind]) -> bool:
    """True when ``field``'s kind cannot be told from its type (strings, untyped objects)."""
    if field.name in forced:
        return False
    return infer_kind(field, pa.array([], type=field.type)) is None


def decide_kinds(
    types: pa.Schema,
    forced: Mapping[str, ColumnKind],
    head: Callable[[list[str]], pa.Table],
    first_values: Callable[[list[str]], Mapping[str, pa.Table]],
) -> Kinds:
    """The kind of every column of ``types``, decided on the driver.

    ``head(names)`` returns the first :data:`HEAD_ROWS` rows of those columns;
    ``first_values(names)`` returns, per column, a one-column table of its first (up
    to :data:`HEAD_ROWS`) non-null values, or nothing for a column without any; it is
    called only for columns all null in the head.
    """
    unknown = [c for c in forced if c not in types.names]
    if unknown:
        raise SchemaMismatchError(
            f"The schema names column(s) {unknown} that are not in the data; its columns: "
            f"{types.names}. Fix the names in the schema."
        )
    kinds: Kinds = {}
    pending: list[str] = []
    for field in types:
        if needs_values(field, forced):
            pending.append(field.name)
        else:
            kinds[field.name] = forced.get(field.name) or infer_kind(
                field, pa.array([], type=field.type)
            )
    if pending:
        table = head(pending)
        empty = []
        for name in pending:
            kinds[name] = infer_kind(table.schema.field(name), table.column(name))
            if kinds[name] is None:
                empty.append(name)
        if empty:
            later = first_values(empty)
            for name in empty:
                found = later.get(name)
                if found is not None and found.num_rows:
                    kinds[name] = infer_kind(found.schema.field(name), found.column(name))
    return {f.name: kinds[f.name] for f in types}


def _with_kinds(table: pa.Table, kinds: Kinds) -> pa.Table:
    fields = []
    for field in table.schema:
        kind = kinds.get(field.name)
        if kind is not None:
            field = field.with_metadata({**(field.metadata or {}), KIND_KEY: kind.encode()})
        fields.append(field)
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields))


def profile_partition(
    parts: Iterable[object],
    kinds: Kinds,
    forced: Mapping[str, ColumnKind],
    options: SketchOptions,
) -> bytes:
    """Profile one partition (its pieces: data frames, Arrow tables or batches) as bytes.

    ``options`` are :func:`driftline.profile`'s sketch sizes (``category_cap``,
    ``quantile_k``; absent: its defaults). Columns ``forced`` names are conformed to their kinds as :func:`driftline.profile`
    does with a schema; every column is profiled with its kind from ``kinds``. Pieces
    are profiled in order and merged, so any piece size gives the same exact fields.
    """
    names = list(kinds)
    result: DatasetProfile | None = None
    for part in parts:
        table = _with_kinds(to_table(part, columns=names, schema=forced), kinds)
        piece = profile(table, **options)
        result = piece if result is None else result.merge(piece)
    if result is None:
        result = empty_profile(kinds, options)
    return result.to_bytes()


def empty_profile(kinds: Kinds, options: SketchOptions) -> DatasetProfile:
    """The profile of no rows, with every column of ``kinds`` (checks ``options``)."""
    types = {
        None: pa.null(), "numeric": pa.float64(), "boolean": pa.bool_(),
        "datetime": pa.timestamp("us"),
    }  # fmt: skip
    arrays = [pa.array([], type=types.get(k, pa.string())) for k in kinds.values()]
    table = _with_kinds(pa.Table.from_arrays(arrays, names=list(kinds)), kinds)
    return profile(table, **options)


def merge_profiles(
    profiles: Iterable[DatasetProfile | bytes], *, fan_in: int = 2
) -> DatasetProfile:
    """Merge profiles (or their bytes) in a balanced tree, keeping their order.

    Consecutive groups of ``fan_in`` profiles are merged, then groups of those, and so
    on, so floating-point moments accumulate over ``log(n)`` merges instead of ``n``.
    Profiles are decoded as they come and merged as soon as a group is complete: the
    driver holds ``fan_in * log(n)`` profiles at most, not ``n``. An empty input raises
    :class:`~driftline.exceptions.ParameterError`.

    >>> import numpy as np
    >>> from driftline.profiles import profile
    >>> parts = [profile({"x": np.arange(i, i + 10.0)}) for i in range(0, 50, 10)]
    >>> merged = merge_profiles(p.to_bytes() for p in parts)
    >>> merged.n_rows, merged["x"].min, merged["x"].max
    (50, 0.0, 49.0)
    """
    if isinstance(fan_in, bool) or not isinstance(fan_in, int) or fan_in < 2:
        raise ParameterError(f"The 'fan_in' parameter must be an int >= 2; got {fan_in!r} instead.")
    # stack[h]: the finished subtrees of height h not yet grouped, oldest first.
    stack: list[list[DatasetProfile]] = []
    for p in profiles:
        if isinstance(p, bytes | bytearray | memoryview):
            item = DatasetProfile.from_bytes(bytes(p))
        elif isinstance(p, DatasetProfile):
            item = p
        else:
            raise ParameterError(
                f"merge_profiles() takes DatasetProfile objects or their bytes; got "
                f"{type(p).__name__}."
            )
        height = 0
        while True:
            if height == len(stack):
                stack.append([])
            stack[height].append(item)
            if len(stack[height]) < fan_in:
                break
            item = _merge_in_order(stack[height])
            stack[height] = []
            height += 1
    pending = [p for level in reversed(stack) for p in level]  # oldest (tallest) first
    if not pending:
        raise ParameterError("merge_profiles() needs at least one profile; got none.")
    return _merge_in_order(pending)


def _merge_in_order(group: list[DatasetProfile]) -> DatasetProfile:
    acc = group[0]
    for other in group[1:]:
        acc = acc.merge(other)
    return acc
