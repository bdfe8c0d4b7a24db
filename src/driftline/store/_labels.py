"""Columnar validation of a label batch against the version's task.

Rules (each failure rejects that row, with a reason; the other rows are stored):

- ``prediction_id``: a non-empty string (integers are turned into strings, as for
  predictions) of at most 128 characters without a NUL byte.
- ``binary``: 0 or 1 (``0.0``/``1.0`` too), or a boolean (``true`` is the positive class).
- ``multiclass``: a class index, an integer >= 0; when the version's reference data holds
  labels, one of the classes seen there.
- ``regression``: a finite number.

Strings (``"1"``), lists, null, NaN and infinities are refused for every task, and
booleans for multiclass and regression. Label values travel as float64 from here on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.exceptions import ParameterError, SchemaMismatchError
from driftline.store._validate import MAX_ID_LENGTH, NUL_TEXT, has_nul

__all__ = ["ValidatedLabels", "validate_labels"]

_NUMBER, _BOOL, _TEXT, _NULL = 0, 1, 2, 3
_MAX_CLASS: Final = 2**31 - 1


@dataclass(frozen=True)
class ValidatedLabels:
    """The label batch as ids (string) and float64 values, which rows are valid, and why
    the others are not."""

    ids: pa.Array
    values: np.ndarray
    valid: np.ndarray
    reasons: dict[int, list[str]]


def _ids(ids: Any) -> pa.Array:
    try:
        array = ids if isinstance(ids, pa.Array | pa.ChunkedArray) else pa.array(ids)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise SchemaMismatchError(f"Prediction ids must be strings: {exc}") from None
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    dtype = array.type
    if pa.types.is_null(dtype):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_integer(dtype):
        return array.cast(pa.string())
    raise SchemaMismatchError(
        f"Prediction ids must be strings (or integers); got Arrow type {dtype}."
    )


def _python_values(values: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, kind per value) for a list mixing kinds (the rare, slow path)."""
    out = np.full(len(values), np.nan)
    kinds = np.full(len(values), _TEXT, dtype=np.int8)
    for i, v in enumerate(values):
        if v is None:
            kinds[i] = _NULL
        elif isinstance(v, bool | np.bool_):
            out[i], kinds[i] = float(v), _BOOL
        elif isinstance(v, int | float | np.integer | np.floating):
            out[i], kinds[i] = float(v), _NUMBER
    return out, kinds


def _values(labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, kind per value) of any label column."""
    array: pa.Array | pa.ChunkedArray
    if isinstance(labels, pa.Array | pa.ChunkedArray):
        array = labels
    else:
        if not isinstance(labels, np.ndarray):
            kinds_seen = {type(v) for v in labels} - {type(None)}
            if bool in kinds_seen and len(kinds_seen) > 1:  # Arrow would cast True to 1.0
                return _python_values(list(labels))
        try:
            array = pa.array(labels)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            return _python_values(list(labels))
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    dtype = array.type
    n = len(array)
    null = np.asarray(pc.is_null(array).to_numpy(zero_copy_only=False), dtype=bool)
    kind = _BOOL if pa.types.is_boolean(dtype) else _NUMBER
    numeric = pa.types.is_integer(dtype) or pa.types.is_floating(dtype)
    if kind == _NUMBER and not (numeric or pa.types.is_decimal(dtype)):
        # strings, lists, structs, binary, ...: no row holds a number
        values, kinds = np.full(n, np.nan), np.full(n, _TEXT, dtype=np.int8)
        kinds[null] = _NULL
        return values, kinds
    values = np.asarray(
        pc.fill_null(pc.cast(array, pa.float64(), safe=False), np.nan).to_numpy(
            zero_copy_only=False
        ),
        dtype=np.float64,
    )
    kinds = np.full(n, kind, dtype=np.int8)
    kinds[null] = _NULL
    return values, kinds


def validate_labels(
    task: str, prediction_ids: Any, labels: Any, *, classes: np.ndarray | None = None
) -> ValidatedLabels:
    """Check ``labels`` (and their ids, unless ``None``) against ``task``; see the module
    docstring. ``classes`` are the known classes of a multiclass model.

    >>> out = validate_labels("binary", ["a", "b", "c", "d"], [1, 2, True, 0.5])
    >>> out.valid.tolist(), out.values.tolist()[:3]
    ([True, False, True, False], [1.0, 2.0, 1.0])
    >>> out.reasons[1]
    ['label: not 0 or 1 (a binary model)']
    """
    values, kinds = _values(labels)
    ids = pa.array([""] * len(values)) if prediction_ids is None else _ids(prediction_ids)
    if len(ids) != len(values):
        raise ParameterError(f"Got {len(ids)} prediction ids but {len(values)} labels.")
    found: list[tuple[np.ndarray, str]] = []

    def add(mask: Any, reason: str) -> None:
        if not isinstance(mask, np.ndarray):
            mask = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
        if mask.any():
            found.append((mask, reason))

    if prediction_ids is not None:
        add(pc.is_null(ids), "prediction_id: missing")
        length = pc.utf8_length(ids)
        add(pc.equal(length, 0), "prediction_id: empty")
        add(pc.greater(length, MAX_ID_LENGTH), f"prediction_id: longer than {MAX_ID_LENGTH}")
        add(has_nul(ids), f"prediction_id: {NUL_TEXT}")
    add(kinds == _NULL, "label: missing")
    add(kinds == _TEXT, "label: not a number")
    number = kinds == _NUMBER
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(values)
        add(number & ~finite, "label: not finite")
        number &= finite
        if task == "binary":
            add(number & (values != 0) & (values != 1), "label: not 0 or 1 (a binary model)")
        else:
            add(kinds == _BOOL, f"label: a boolean, but the model is a {task} model")
        if task == "multiclass":
            index = (values >= 0) & (values <= _MAX_CLASS) & (values == np.floor(values))
            add(number & ~index, "label: not a class index (an integer >= 0)")
            if classes is not None and len(classes):
                known = np.isin(values, classes)
                shown = ", ".join(f"{c:g}" for c in classes[:20])
                add(number & index & ~known, f"label: not a class of the reference ({shown})")
    bad = np.zeros(len(values), dtype=bool)
    reasons: dict[int, list[str]] = {}
    for mask, reason in found:
        bad |= mask
        for row in np.flatnonzero(mask).tolist():
            reasons.setdefault(row, []).append(reason)
    return ValidatedLabels(ids=ids, values=values, valid=~bad, reasons=reasons)
