"""Request bodies to checked columns: the Open Inference Protocol v2 ``inputs`` and MLflow's
``dataframe_split`` / ``dataframe_records`` / ``instances``.

The body is parsed JSON (orjson); every shape and value is checked before the model sees
it, and a bad one raises :class:`RequestError` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from driftline.serve._signature import Columns, RequestError, Signature, convert_column

__all__ = ["decode_invocations", "decode_v2"]

_OIP_TYPES: Final = {
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
    "FP16", "FP32", "FP64", "BYTES",
}  # fmt: skip
_NUMERIC_OIP: Final = _OIP_TYPES - {"BOOL", "BYTES"}


def _rows(n: int, max_rows: int, field: str) -> int:
    if n == 0:
        raise RequestError(f"{field}: no rows to predict.", field=field)
    if n > max_rows:
        raise RequestError(
            f"{field}: {n} rows is more than this server takes in one request ({max_rows}); "
            "split the request.",
            status=413,
            code="too_many_rows",
            field=field,
        )
    return n


def _missing_unknown(given: list[str], signature: Signature, field: str) -> None:
    names = signature.names
    unknown = [c for c in given if c not in names]
    if unknown:
        raise RequestError(
            f"{field}: unknown column(s) {unknown[:10]}; the model takes {list(names)[:50]}.",
            field=str(unknown[0]),
        )
    missing = [c for c in names if c not in given]
    if missing:
        raise RequestError(
            f"{field}: missing column(s) {missing[:10]}; the model takes {list(names)[:50]}.",
            field=missing[0],
        )
    if len(set(given)) != len(given):
        dup = next(c for c in given if given.count(c) > 1)
        raise RequestError(f"{field}: column {dup!r} is given twice.", field=dup)


def _from_matrix(rows: list[Any], columns: list[str], signature: Signature, field: str) -> Columns:
    """Columns from a list of equal-length rows, ``columns`` naming the positions."""
    width = len(columns)
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            got = f"{len(row)} values" if isinstance(row, list) else type(row).__name__
            raise RequestError(
                f"{field}[{i}]: expected a list of {width} values (one per column), got {got}.",
                field=field,
            )
    out: Columns = {}
    for j, name in enumerate(columns):
        feature = signature.feature(name)
        assert feature is not None  # checked by _missing_unknown
        out[name] = convert_column(feature, [row[j] for row in rows], where=field)
    return out


def _from_records(records: list[Any], signature: Signature, field: str) -> Columns:
    names = signature.names
    wanted = set(names)
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise RequestError(
                f"{field}[{i}]: expected an object of column values, got {type(record).__name__}.",
                field=field,
            )
        if record.keys() != wanted:
            _missing_unknown(list(record), signature, f"{field}[{i}]")
    return {
        name: convert_column(f, [r[name] for r in records], where=field)
        for name, f in zip(names, signature.features, strict=True)
    }


def decode_invocations(body: Any, signature: Signature, *, max_rows: int) -> tuple[Columns, int]:
    """Columns from an MLflow ``/invocations`` JSON body.

    >>> from driftline.serve._signature import Feature
    >>> sig = Signature((Feature("a", "float64"), Feature("b", "string")))
    >>> cols, n = decode_invocations({"dataframe_records": [{"a": 1, "b": "x"}]}, sig,
    ...                              max_rows=10)
    >>> n, cols["a"].tolist(), cols["b"].tolist()
    (1, [1.0], ['x'])
    """
    if not isinstance(body, dict):
        raise RequestError(
            "The body must be a JSON object with one of 'dataframe_split', "
            "'dataframe_records' or 'instances'.",
            status=400,
            code="invalid_body",
        )
    keys = [k for k in ("dataframe_split", "dataframe_records", "instances", "inputs") if k in body]
    if len(keys) != 1:
        raise RequestError(
            "The body must hold exactly one of 'dataframe_split', 'dataframe_records', "
            f"'instances' or 'inputs'; got keys {sorted(map(str, body))[:10]}.",
            status=400,
            code="invalid_body",
        )
    key = keys[0]
    value = body[key]
    if key == "dataframe_split":
        if not isinstance(value, dict):
            raise RequestError("dataframe_split: expected an object with 'columns' and 'data'.",
                               field="dataframe_split")  # fmt: skip
        columns, data = value.get("columns"), value.get("data")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise RequestError("dataframe_split.columns: expected a list of column names.",
                               field="dataframe_split.columns")  # fmt: skip
        if not isinstance(data, list):
            raise RequestError("dataframe_split.data: expected a list of rows.",
                               field="dataframe_split.data")  # fmt: skip
        _missing_unknown(columns, signature, "dataframe_split.columns")
        n = _rows(len(data), max_rows, "dataframe_split.data")
        return _from_matrix(data, columns, signature, "dataframe_split.data"), n
    if not isinstance(value, list):
        raise RequestError(f"{key}: expected a list of rows.", field=key)
    n = _rows(len(value), max_rows, key)
    if key == "dataframe_records" or isinstance(value[0], dict):
        return _from_records(value, signature, key), n
    if len(signature.features) == 1 and not isinstance(value[0], list):  # one column, scalars
        value = [[v] for v in value]
    return _from_matrix(value, list(signature.names), signature, key), n


def _flat(data: Any, count: int, name: str) -> list[Any] | np.ndarray:
    field = f"inputs {name!r}"
    if not isinstance(data, list):
        raise RequestError(f"{field}.data: expected a list of values.", field=name)
    if data and isinstance(data[0], list):  # nested in the shape: flatten one level at a time
        try:
            arr = np.asarray(data, dtype=object)
        except ValueError as exc:
            raise RequestError(f"{field}.data: ragged nested lists.", field=name) from exc
        if arr.ndim == 1 or arr.dtype != object or any(isinstance(v, list) for v in arr.flat):
            raise RequestError(f"{field}.data: ragged nested lists.", field=name)
        flat: list[Any] | np.ndarray = arr.reshape(-1).tolist()
    else:
        flat = data
    if len(flat) != count:
        raise RequestError(
            f"{field}.data: {len(flat)} values, but the shape says {count}.", field=name
        )
    return flat


def _shape(entry: Mapping[str, Any], field: str) -> list[int]:
    shape = entry.get("shape")
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= 2
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise RequestError(
            f"{field}.shape: expected [rows] or [rows, columns] of non-negative integers; "
            f"got {shape!r}.",
            field=field,
        )
    return shape


def decode_v2(
    body: Any, signature: Signature, *, max_rows: int
) -> tuple[Columns, int, str | None, list[str] | None]:
    """Columns from an Open Inference Protocol v2 ``infer`` body; also its ``id`` and the
    names of the ``outputs`` asked for (None: all).

    Each input is one feature column (shape ``[rows]`` or ``[rows, 1]``), or, for a model
    taking one tensor, that tensor whole (shape ``[rows, columns]``).

    >>> from driftline.serve._signature import Feature
    >>> sig = Signature((Feature("a", "float32"), Feature("b", "float32")), tensor="X")
    >>> body = {"inputs": [{"name": "X", "shape": [1, 2], "datatype": "FP32",
    ...                     "data": [1.0, 2.0]}]}
    >>> cols, n, _, _ = decode_v2(body, sig, max_rows=10)
    >>> n, cols["b"].tolist()
    (1, [2.0])
    """
    if not isinstance(body, dict):
        raise RequestError("The body must be a JSON object with 'inputs'.", status=400,
                           code="invalid_body")  # fmt: skip
    request_id = body.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise RequestError("id: expected a string.", field="id")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestError("inputs: expected a non-empty list of input tensors.", field="inputs")
    wanted = _outputs(body.get("outputs"))
    by_name: dict[str, tuple[Mapping[str, Any], list[int], str]] = {}
    for i, entry in enumerate(inputs):
        field = f"inputs[{i}]"
        if not isinstance(entry, dict):
            raise RequestError(f"{field}: expected an object.", field=field)
        name = entry.get("name")
        if not isinstance(name, str):
            raise RequestError(f"{field}.name: expected a string.", field=field)
        if name in by_name:
            raise RequestError(f"{field}: input {name!r} is given twice.", field=name)
        datatype = entry.get("datatype")
        if datatype not in _OIP_TYPES:
            raise RequestError(
                f"{field}.datatype: {datatype!r} is not an Open Inference Protocol datatype.",
                field=name,
            )
        by_name[name] = (entry, _shape(entry, f"{field}"), str(datatype))
    tensor = signature.tensor
    if tensor is not None and tensor in by_name:
        if len(by_name) != 1:
            extra = [n for n in by_name if n != tensor]
            raise RequestError(f"inputs: {extra[:10]} given besides the tensor {tensor!r}.",
                               field=extra[0])  # fmt: skip
        entry, shape, datatype = by_name[tensor]
        width = len(signature.features)
        if len(shape) != 2 or shape[1] != width:
            raise RequestError(
                f"inputs {tensor!r}: shape {shape} does not match the model's [rows, {width}].",
                field=tensor,
            )
        n = _rows(shape[0], max_rows, tensor)
        _check_type(datatype, signature.features[0].dtype, tensor)
        flat = _flat(entry.get("data"), n * width, tensor)
        rows = [list(flat[r * width : (r + 1) * width]) for r in range(n)]
        return _from_matrix(rows, list(signature.names), signature, "inputs"), n, request_id, wanted
    _missing_unknown(list(by_name), signature, "inputs")
    n_rows: int | None = None
    columns: Columns = {}
    for feature in signature.features:
        entry, shape, datatype = by_name[feature.name]
        if len(shape) == 2 and shape[1] != 1:
            raise RequestError(
                f"inputs {feature.name!r}: shape {shape}; a column is [rows] or [rows, 1].",
                field=feature.name,
            )
        if n_rows is None:
            n_rows = _rows(shape[0], max_rows, feature.name)
        elif shape[0] != n_rows:
            raise RequestError(
                f"inputs {feature.name!r}: {shape[0]} rows, but other inputs have {n_rows}.",
                field=feature.name,
            )
        _check_type(datatype, feature.dtype, feature.name)
        flat = _flat(entry.get("data"), n_rows, feature.name)
        columns[feature.name] = convert_column(feature, flat, where="inputs")
    assert n_rows is not None
    return columns, n_rows, request_id, wanted


def _check_type(datatype: str, dtype: str, name: str) -> None:
    ok = datatype == "BYTES" if dtype == "string" else datatype in _NUMERIC_OIP
    if not ok:
        raise RequestError(
            f"inputs {name!r}: datatype {datatype} does not fit the model's {dtype} input.",
            field=name,
        )


def _outputs(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("name"), str) for v in value
    ):
        raise RequestError("outputs: expected a list of {'name': ...} objects.", field="outputs")
    names = [v["name"] for v in value]
    bad = [n for n in names if n not in ("predictions", "probabilities")]
    if bad:
        raise RequestError(
            f"outputs: unknown output(s) {bad[:5]}; the outputs are 'predictions' and "
            "'probabilities'.",
            field="outputs",
        )
    return names


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN: a non-finite float is written as null."""
    return value if math.isfinite(value) else None
