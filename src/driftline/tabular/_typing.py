"""Giving columns their kind: one plan per column, then values typed to match.

A text column (from CSV) is planned once — its kind from a schema or from
:func:`~driftline.tabular.infer_kind`, and whether it holds numbers written in the file's
number format (``"1.303,48"``) — and then every batch is typed by the same plan.
Columns of any source whose kind a schema fixes are *conformed*: strings parsed, integer
codes that are categories dictionary-encoded (so pandas keeps them as ``category``).
Every typed field carries its kind (:data:`~driftline.tabular.KIND_KEY`) and, when some
values could not be read as that kind, their count (:data:`INVALID_KEY`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from driftline.exceptions import DataWarning
from driftline.tabular._csv import CsvFormat
from driftline.tabular._kinds import KIND_KEY, ColumnKind, infer_kind, is_string_type
from driftline.tabular._patterns import number_format_re
from driftline.tabular._values import (
    boolean_values,
    parse_booleans,
    parse_datetimes,
    parse_numbers,
    string_values,
)

__all__ = [
    "INVALID_KEY",
    "ColumnPlan",
    "conform",
    "invalid_count",
    "plan_columns",
    "type_table",
    "with_kind",
]

#: Field-metadata key: values of this column (in this table or batch) that could not be
#: read as its kind and were set to missing.
INVALID_KEY: Final = b"driftline.invalid"
_SHARE: Final = 0.95


@dataclass(frozen=True)
class ColumnPlan:
    """How one text column is typed: its kind, and the number format to undo first."""

    kind: ColumnKind | None
    forced: bool = False
    number_format: tuple[str, str | None] | None = None


def with_kind(field: pa.Field, kind: ColumnKind | None, n_invalid: int = 0) -> pa.Field:
    """``field`` with its kind (and count of unreadable values) in the metadata."""
    meta = {k: v for k, v in (field.metadata or {}).items() if k not in (KIND_KEY, INVALID_KEY)}
    if kind is not None:
        meta[KIND_KEY] = kind.encode()
    if n_invalid:
        meta[INVALID_KEY] = str(n_invalid).encode()
    return field.with_metadata(meta or None)


def invalid_count(field: pa.Field) -> int:
    """Values set to missing because they could not be read as the column's kind.

    >>> invalid_count(pa.field("x", pa.float64(), metadata={INVALID_KEY: b"3"}))
    3
    """
    return int((field.metadata or {}).get(INVALID_KEY, b"0"))


def _uses_format(
    sample: pa.Array, column: pa.ChunkedArray, fmt: CsvFormat
) -> tuple[str, str | None] | None:
    """The number format to undo for this column, if its values are written in it: most
    of the sample fits the format, and some value of the column uses its marks."""
    if (fmt.decimal == "." and fmt.thousands is None) or not len(sample):
        return None
    pattern = number_format_re(fmt.decimal, fmt.thousands)
    matched = pc.sum(pc.match_substring_regex(pc.utf8_trim_whitespace(sample), pattern))
    if (matched.as_py() or 0) < _SHARE * len(sample):
        return None
    marks = [m for m in (fmt.thousands, "," if fmt.decimal == "," else None) if m]
    if not any(pc.any(pc.match_substring(column, m)).as_py() for m in marks):
        return None
    return fmt.decimal, fmt.thousands


def undo_number_format(
    arr: pa.Array | pa.ChunkedArray, number_format: tuple[str, str | None]
) -> pa.Array | pa.ChunkedArray:
    """Values written as ``1.303,48`` (decimal ``","``, thousands ``"."``) as ``1303.48``.

    Only values in that format change; the others are left for the parser to count.

    >>> undo_number_format(pa.array(["1.303,48", "x", None]), (",", ".")).to_pylist()
    ['1303.48', 'x', None]
    """
    decimal, thousands = number_format
    trimmed = pc.utf8_trim_whitespace(arr)
    ok = pc.match_substring_regex(trimmed, number_format_re(decimal, thousands))
    out = trimmed
    if thousands:
        out = pc.replace_substring(out, thousands, "")
    if decimal != ".":
        out = pc.replace_substring(out, decimal, ".")
    return pc.if_else(ok, out, arr)


def plan_columns(
    table: pa.Table, fmt: CsvFormat, schema: Mapping[str, ColumnKind]
) -> dict[str, ColumnPlan]:
    """A plan per text column of ``table`` (the first batch, or the whole file)."""
    plans: dict[str, ColumnPlan] = {}
    for field in table.schema:
        column = table.column(field.name)
        head = pc.drop_null(column.slice(0, 4096))
        sample = head.combine_chunks() if isinstance(head, pa.ChunkedArray) else head
        number_format = _uses_format(sample.slice(0, 1000), column, fmt)
        forced = schema.get(field.name)
        if forced is not None:
            if forced != "numeric":
                number_format = None
            plans[field.name] = ColumnPlan(forced, True, number_format)
            continue
        if number_format is not None:
            column = undo_number_format(column, number_format)
        plans[field.name] = ColumnPlan(infer_kind(field, column), False, number_format)
    return plans


def _type_text(arr: pa.Array, plan: ColumnPlan, *, whole: bool) -> tuple[pa.Array, int, str | None]:
    """Type one text column by its plan: the values, the unreadable count, an example."""
    if plan.number_format is not None:
        arr = undo_number_format(arr, plan.number_format)
    kind = plan.kind
    if kind is None:
        if whole and arr.null_count == len(arr):
            return pa.nulls(len(arr), pa.null()), 0, None
        return arr, 0, None
    if kind == "numeric":
        out, n_bad = parse_numbers(arr, integers=whole)
    elif kind == "boolean":
        out, n_bad = parse_booleans(arr)
    elif kind == "datetime":
        out, n_bad = parse_datetimes(arr)
    elif kind == "categorical" and plan.forced and whole:
        return arr.dictionary_encode(), 0, None
    else:
        return arr, 0, None
    example = None
    if n_bad and whole:
        bad = pc.and_(pc.is_valid(arr), pc.is_null(out))
        example = str(arr.filter(bad)[0].as_py())
    return out, n_bad, example


def type_table(
    table: pa.Table, plans: Mapping[str, ColumnPlan], *, whole: bool, source: str = ""
) -> pa.Table:
    """Type the text columns of ``table`` by their plans.

    ``whole``: the table is the whole file (integers stay int64, all-null columns become
    null-typed, forced categories are dictionary-encoded, and unreadable values raise a
    :class:`DataWarning`); otherwise it is one batch of a stream (numbers are float64).
    """
    fields: list[pa.Field] = []
    arrays: list[pa.Array | pa.ChunkedArray] = []
    for field in table.schema:
        column = table.column(field.name)
        arr = column if column.num_chunks else pa.array([], field.type)
        plan = plans[field.name]
        typed, n_bad, example = _type_text(arr, plan, whole=whole)
        if example is not None:
            where = f" of {source}" if source else ""
            warnings.warn(
                DataWarning(
                    f"Column {field.name!r}{where}: {n_bad:,} value(s) are not {plan.kind} "
                    f"(e.g. {example!r}) and are read as missing. Fix the values, or give "
                    "their number format (CLI: --decimal/--thousands) or the column's kind "
                    "(CLI: --schema/--categorical; API: schema=)."
                ),
                stacklevel=3,
            )
        fields.append(with_kind(pa.field(field.name, typed.type), plan.kind, n_bad))
        arrays.append(typed)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def conform(
    arr: pa.Array | pa.ChunkedArray, kind: ColumnKind
) -> tuple[pa.Array | pa.ChunkedArray, int]:
    """Values of any type made to fit ``kind`` (a schema's choice), and the unreadable count.

    >>> conform(pa.array([2139, 501]), "categorical")[0].type
    DictionaryType(dictionary<values=large_string, indices=int32, ordered=0>)
    >>> conform(pa.array(["1.5", "x"]), "numeric")[0].to_pylist()
    [1.5, None]
    """
    t = arr.type
    if kind in ("categorical", "text"):
        if pa.types.is_dictionary(t) and kind == "categorical":
            return arr, 0
        strings = string_values(arr)
        return (strings.dictionary_encode() if kind == "categorical" else strings), 0
    if pa.types.is_dictionary(t):
        arr = pc.cast(arr, t.value_type)
        t = arr.type
    if pa.types.is_null(t):
        empty = {"numeric": pa.float64(), "boolean": pa.bool_(), "datetime": pa.timestamp("us")}
        return pa.nulls(len(arr), empty[kind]), 0
    if is_string_type(t):
        if kind == "numeric":
            return parse_numbers(arr, integers=True)
        if kind == "boolean":
            return parse_booleans(arr)
        return parse_datetimes(arr)
    if kind == "boolean" and not pa.types.is_boolean(t):
        out = boolean_values(arr)
        return out, out.null_count - arr.null_count
    return arr, 0
