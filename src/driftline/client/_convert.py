"""Turning what callers log into Arrow tables, once, in the caller's thread."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline._params import Options, check
from driftline.client._ids import new_ids, new_ids_arrow
from driftline.exceptions import DataError, ParameterError, UnsupportedInputError
from driftline.tabular import infer_kind

__all__ = [
    "TIMESTAMP",
    "Records",
    "add_ids_and_time",
    "as_records",
    "infer_schema",
    "labels_table",
    "parse_window",
    "prepare_records",
    "records_to_table",
    "row_count",
    "to_table",
]

TIMESTAMP = pa.timestamp("us", tz="UTC")
_SCALARS = (str, bytes, int, float, bool, datetime, np.generic, type(None))
_SCALAR_TYPES = frozenset(
    {str, int, float, bool, type(None), datetime, np.float64, np.float32, np.int64, np.int32,
     np.bool_, np.str_}
)  # fmt: skip
_TASKS = ("binary", "multiclass", "regression")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 604_800}
_TIME_WINDOW = re.compile(r"^\s*(\d+)\s*(s|min|m|h|d|w)\s*$", re.IGNORECASE)
_ROW_WINDOW = re.compile(r"^\s*(\d+)\s*rows?\s*$", re.IGNORECASE)
_ACCEPTED = (
    "a pandas or polars DataFrame, a pyarrow Table or RecordBatch, a dict of columns, "
    "one record as a dict of scalars, or a list of records (dicts)"
)


def _pandas_to_table(frame: Any) -> pa.Table:
    """A DataFrame as a table, column by column when every column converts without copies.

    ``Table.from_pandas`` costs ~1 ms for a 1,000-row, 26-column frame, mostly per-column
    bookkeeping and the pandas metadata; numeric numpy columns and Arrow-backed extension
    columns (pandas' default strings, nullable integers) convert directly in about a third
    of that, with the same result (NaN becomes null, as in ``from_pandas``). Anything else
    (object columns, categoricals, odd column labels) goes through ``from_pandas``, on one
    thread: for the small frames of online logging a thread pool only adds latency.
    """
    columns = frame.columns
    if columns.is_unique and all(isinstance(c, str) for c in columns):
        arrays = []
        for name in columns:
            series = frame[name]
            dtype = series.dtype
            if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
                arrays.append(pa.array(series.to_numpy(), from_pandas=True))
            elif not isinstance(dtype, np.dtype) and hasattr(series.array, "__arrow_array__"):
                arrays.append(pa.array(series.array))
            else:
                break
        else:
            return pa.Table.from_arrays(arrays, names=list(columns))
    table: pa.Table = pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)
    return table.replace_schema_metadata(None)


def _frame_to_table(data: object) -> pa.Table | None:
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return _pandas_to_table(data)
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(data, polars.DataFrame):
        return data.to_arrow()
    return None


def records_to_table(records: Sequence[Mapping[str, Any]]) -> pa.Table:
    if not records:
        return pa.table({})
    first = records[0].keys()
    if all(r.keys() == first for r in records):
        return pa.Table.from_pylist(list(records))
    names = dict.fromkeys(k for r in records for k in r)  # union, in order of appearance
    return pa.table({name: [r.get(name) for r in records] for name in names})


def to_table(data: object) -> pa.Table:
    """``data`` as a pyarrow Table (see ``_ACCEPTED`` for the accepted inputs).

    >>> to_table({"x": 1.5, "city": "Oslo"}).to_pylist()
    [{'x': 1.5, 'city': 'Oslo'}]
    >>> to_table({"x": [1.0, 2.0]}).num_rows
    2
    >>> to_table([{"x": 1.0}, {"x": 2.0, "y": "a"}]).column_names
    ['x', 'y']
    """
    try:
        if isinstance(data, pa.Table):
            return data
        if isinstance(data, pa.RecordBatch):
            return pa.Table.from_batches([data])
        table = _frame_to_table(data)
        if table is not None:
            return table
        if isinstance(data, Mapping):
            if all(isinstance(v, _SCALARS) for v in data.values()):
                return pa.Table.from_pylist([dict(data)])
            return pa.table(dict(data))
        if isinstance(data, Sequence) and not isinstance(data, str | bytes):
            if not all(isinstance(r, Mapping) for r in data):
                raise UnsupportedInputError(
                    f"A list passed as data must hold records (dicts); expected {_ACCEPTED}."
                )
            return records_to_table(data)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        if isinstance(exc, UnsupportedInputError):
            raise
        raise DataError(f"Could not convert the data to Arrow columns: {exc}") from exc
    raise UnsupportedInputError(
        f"Cannot log data of type {type(data).__name__}; expected {_ACCEPTED}."
    )


class Records:
    """Rows logged as dicts, queued as they are and turned into Arrow by the sender thread.

    Converting one record to a 26-column Arrow table costs hundreds of microseconds; a
    thousand queued records convert in one call for about the same. So records (the
    usual shape of a single online prediction) are copied, given their id and timestamp,
    and converted when their batch is sent.
    """

    __slots__ = ("rows",)

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    @property
    def num_rows(self) -> int:
        return len(self.rows)

    def slice(self, offset: int, length: int | None = None) -> Records:
        end = None if length is None else offset + length
        return Records(self.rows[offset:end])


def as_records(data: object) -> list[Mapping[str, Any]] | None:
    """``data`` as a list of records if it is one record (dict of scalars) or a list of dicts."""
    if isinstance(data, dict | Mapping):
        values = data.values()
        if set(map(type, values)) <= _SCALAR_TYPES or all(isinstance(v, _SCALARS) for v in values):
            return [data]
        return None
    if isinstance(data, list | tuple) and data and all(isinstance(r, Mapping) for r in data):
        return list(data)
    return None


def row_count(data: object, id_column: str) -> int | None:
    """The number of rows of ``data`` if it is cheap to know and ``data`` carries no ids.

    Used to drop rows from a full queue without converting them (non-blocking mode).

    >>> row_count({"x": 1.0}, "prediction_id"), row_count([{"x": 1.0}] * 3, "prediction_id")
    (1, 3)
    >>> row_count(pa.table({"prediction_id": ["a"]}), "prediction_id") is None
    True
    """
    if isinstance(data, pa.Table | pa.RecordBatch):
        return None if id_column in data.schema.names else int(data.num_rows)
    if isinstance(data, Mapping):
        if id_column in data:
            return None
        return 1 if as_records(data) is not None else None
    if isinstance(data, list | tuple):
        if not data or not all(isinstance(r, Mapping) and id_column not in r for r in data):
            return None
        return len(data)
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return None if id_column in data.columns else len(data)
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(data, polars.DataFrame):
        return None if id_column in data.columns else int(data.height)
    return None


def prepare_records(
    records: list[Mapping[str, Any]],
    *,
    ids: Sequence[str] | None,
    timestamps: object,
    id_column: str,
    timestamp_column: str,
) -> tuple[Records, list[str]]:
    """Copies of ``records`` with an id and a timestamp each (see :func:`add_ids_and_time`).

    >>> rows, ids = prepare_records([{"x": 1.0}], ids=None, timestamps=None,
    ...                             id_column="prediction_id", timestamp_column="timestamp")
    >>> rows.rows[0]["prediction_id"] == ids[0], rows.rows[0]["timestamp"].tzname()
    (True, 'UTC')
    """
    n = len(records)
    if n == 1 and ids is None and timestamps is None:  # the common online call, fast
        row = dict(records[0])
        if row.get(id_column) is None:
            row[id_column] = new_ids(1)[0]
        else:
            row[id_column] = str(row[id_column])
        if row.get(timestamp_column) is None:
            row[timestamp_column] = datetime.now(UTC)
        return Records([row]), [row[id_column]]
    if ids is not None:
        id_list = [str(i) for i in ids]
        if len(id_list) != n:
            raise DataError(f"'ids' has {len(id_list)} values but the data has {n} rows.")
        if any(r.get(id_column) is not None for r in records):
            raise ParameterError(
                f"The records already have {id_column!r} values and 'ids' was passed too; "
                "give the ids one way only."
            )
    else:
        given = [r.get(id_column) for r in records]
        missing = sum(v is None for v in given)
        generated = iter(new_ids(missing))
        id_list = [str(v) if v is not None else next(generated) for v in given]
    if timestamps is not None:
        if any(timestamp_column in r for r in records):
            raise ParameterError(
                f"The records already have a {timestamp_column!r} field and 'timestamps' was "
                "passed too; give the timestamps one way only."
            )
        if isinstance(timestamps, datetime | np.datetime64 | str | int | float):
            stamps: list[Any] = [timestamps] * n
        else:
            stamps = list(timestamps)  # type: ignore[call-overload]
        if len(stamps) != n:
            raise DataError(f"'timestamps' has {len(stamps)} values but the data has {n} rows.")
    else:
        now = datetime.now(UTC)
        stamps = [r.get(timestamp_column) for r in records]
        stamps = [now if v is None else v for v in stamps]
    rows = [
        {**r, id_column: i, timestamp_column: t}
        for r, i, t in zip(records, id_list, stamps, strict=True)
    ]
    return Records(rows), id_list


def _timestamps(value: object, n: int) -> pa.Array:
    if isinstance(value, datetime | np.datetime64 | str | int | float):
        value = [value] * n
    try:
        array = pa.array(value)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise DataError(
            f"Could not read the 'timestamps' argument as timestamps: {exc}. Pass datetimes, "
            "ISO 8601 strings or Unix seconds, one per row."
        ) from exc
    if len(array) != n:
        raise DataError(f"'timestamps' has {len(array)} values but the data has {n} rows.")
    return array


def add_ids_and_time(
    table: pa.Table,
    *,
    ids: Sequence[str] | None,
    timestamps: object,
    id_column: str,
    timestamp_column: str,
) -> tuple[pa.Table, list[str]]:
    """Give every row a prediction id and a timestamp; return the table and the ids.

    Ids come from ``ids``, else from the table's id column (missing ones generated), else
    are generated (UUIDv7). A missing timestamp column is filled with the current time,
    so a batch that waits in the queue or is retried keeps the time it was logged at.

    >>> t, ids = add_ids_and_time(pa.table({"x": [1.0, 2.0]}), ids=None, timestamps=None,
    ...                           id_column="prediction_id", timestamp_column="timestamp")
    >>> t.column_names, len(ids), t["prediction_id"].to_pylist() == ids
    (['x', 'prediction_id', 'timestamp'], 2, True)
    """
    n = table.num_rows
    names = table.column_names
    if ids is not None:
        if id_column in names:
            raise ParameterError(
                f"The data already has a {id_column!r} column and 'ids' was passed too; "
                "give the ids one way only."
            )
        id_list = [str(i) for i in ids] if not isinstance(ids, list) else ids
        if len(id_list) != n:
            raise DataError(f"'ids' has {len(id_list)} values but the data has {n} rows.")
        try:
            table = table.append_column(id_column, pa.array(id_list, pa.string()))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise DataError(f"Prediction ids must be strings: {exc}") from exc
    elif id_column in names:
        column = table[id_column]
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            column = pc.cast(column, pa.string())
        missing = column.null_count
        if missing:
            _, generated = new_ids_arrow(n)
            column = pc.coalesce(column, generated)
        table = table.set_column(names.index(id_column), id_column, column)
        id_list = column.to_pylist()
    else:
        id_list, array = new_ids_arrow(n)
        table = table.append_column(id_column, array)
    if timestamps is not None:
        if timestamp_column in names:
            raise ParameterError(
                f"The data already has a {timestamp_column!r} column and 'timestamps' was "
                "passed too; give the timestamps one way only."
            )
        table = table.append_column(timestamp_column, _timestamps(timestamps, n))
    elif timestamp_column not in names:
        now_us = time.time_ns() // 1000
        stamp = pa.array(np.full(n, now_us, dtype=np.int64), type=pa.int64()).view(TIMESTAMP)
        table = table.append_column(timestamp_column, stamp)
    return table, id_list


def labels_table(ids: Sequence[str], labels: Sequence[Any] | np.ndarray) -> pa.Table:
    """Prediction ids and their labels as a two-column table.

    >>> labels_table(["a", "b"], [1, 0]).to_pydict()
    {'prediction_id': ['a', 'b'], 'label': [1, 0]}
    """
    id_list = [str(i) for i in ids]
    values = np.asarray(labels)
    if values.ndim != 1 or len(values) != len(id_list):
        raise DataError(
            f"'labels' must be one-dimensional with one label per id; got {len(id_list)} ids "
            f"and labels of shape {values.shape}."
        )
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    if values.dtype.kind not in "iuf":
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(
                "Labels must be numbers (0/1 or a class index for classification, floats for "
                f"regression); got values of type {values.dtype}."
            ) from exc
    return pa.table({"prediction_id": pa.array(id_list, pa.string()), "label": values})


def infer_schema(
    table: pa.Table,
    *,
    task: str,
    score: str | None,
    prediction: str | None,
    target: str | None,
    id_column: str = "prediction_id",
    timestamp_column: str = "timestamp",
) -> dict[str, Any]:
    """A version schema (``VersionSchema.to_dict()`` shape) inferred from a reference table.

    Every column but the id, timestamp, score, prediction and target columns is a feature,
    of the kind :func:`driftline.tabular.infer_kind` gives it (the rule profiles, drift and
    the server use); a column without any value is ``categorical``, as in a profile.

    >>> t = pa.table({"x": [1.0], "c": ["a"], "b": [True], "score": [0.5], "y": [1]})
    >>> infer_schema(t, task="binary", score="score", prediction=None, target="y")["features"]
    {'x': 'numeric', 'c': 'categorical', 'b': 'boolean'}
    """
    check_task(task, score, prediction)
    special = {id_column, timestamp_column, score, prediction, target} - {None}
    for name in (score, prediction, target):
        if name is not None and name not in table.column_names:
            raise DataError(
                f"The reference data has no {name!r} column (columns: {table.column_names}); "
                "pass the right name in score=, prediction= or target=."
            )
    features: dict[str, str] = {
        field.name: infer_kind(field, table.column(field.name)) or "categorical"
        for field in table.schema
        if field.name not in special
    }
    if not features:
        raise DataError(
            "The reference data has no feature columns besides the id, timestamp, score, "
            f"prediction and target columns (columns: {table.column_names})."
        )
    return {
        "features": features,
        "task": task,
        "id_column": id_column,
        "timestamp_column": timestamp_column,
        "score_column": score,
        "prediction_column": prediction,
    }


def check_task(task: str, score: str | None, prediction: str | None) -> None:
    check("Client.register_version", "task", task, Options(*_TASKS))
    if score is None and prediction is None:
        raise ParameterError(
            "A version needs a score column, a prediction column or both; pass score= or "
            "prediction=."
        )


def parse_window(window: str | int | timedelta | Mapping[str, Any]) -> dict[str, Any]:
    """A window spec as the server expects it.

    Units: ``s``, ``m`` or ``min`` (minutes), ``h``, ``d``, ``w``. ``"1M"`` is refused: it
    reads as a month as often as a minute.

    >>> parse_window("1h"), parse_window("15m"), parse_window("10000 rows")
    ({'kind': 'time', 'size_seconds': 3600}, {'kind': 'time', 'size_seconds': 900}, {'kind': 'rows', 'size': 10000})
    >>> parse_window("1M")
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The 'window' parameter '1M' is ambiguous: a month or a minute? Write '1m' or '1min' for minutes (month windows are not supported; use days, e.g. '30d').
    """
    if isinstance(window, Mapping):
        return dict(window)
    if isinstance(window, timedelta):
        seconds = window.total_seconds()
        if seconds < 1 or seconds != int(seconds):
            raise ParameterError(f"A time window must be a whole number of seconds; got {window}.")
        return {"kind": "time", "size_seconds": int(seconds)}
    if isinstance(window, int) and not isinstance(window, bool) and window > 0:
        return {"kind": "time", "size_seconds": window}
    if isinstance(window, str):
        match = _TIME_WINDOW.match(window)
        if match and match.group(2) == "M":
            raise ParameterError(
                f"The 'window' parameter {window!r} is ambiguous: a month or a minute? Write "
                f"'{match.group(1)}m' or '{match.group(1)}min' for minutes (month windows are "
                "not supported; use days, e.g. '30d')."
            )
        if match and int(match.group(1)) > 0:
            return {
                "kind": "time",
                "size_seconds": int(match.group(1)) * _UNITS[match.group(2).lower()],
            }
        match = _ROW_WINDOW.match(window)
        if match and int(match.group(1)) > 0:
            return {"kind": "rows", "size": int(match.group(1))}
    raise ParameterError(
        f"The 'window' parameter must look like '15m', '1h', '1d', '1w' (a time window; units "
        f"s, m or min, h, d, w) or '10000 rows' (a row-count window); got {window!r}."
    )


def new_id() -> str:
    """One new prediction id."""
    return new_ids(1)[0]
