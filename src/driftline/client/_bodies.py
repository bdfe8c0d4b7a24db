"""Request bodies: queued pieces as few Arrow tables as their schemas allow, Arrow IPC bytes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

import pyarrow as pa

from driftline.client._convert import Records, records_to_table

__all__ = ["ARROW_STREAM", "combine", "ipc_bytes", "labels_body", "to_tables"]

ARROW_STREAM: Final = "application/vnd.apache.arrow.stream"
_ARROW_ERRORS: Final = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


def ipc_bytes(table: pa.Table, compression: str | None) -> bytes:
    """``table`` as an Arrow IPC stream (buffers compressed with ``compression`` if given).

    >>> body = ipc_bytes(pa.table({"x": [1.0]}), "zstd")
    >>> pa.ipc.open_stream(body).read_all().to_pydict()
    {'x': [1.0]}
    """
    options = pa.ipc.IpcWriteOptions(compression=compression)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def labels_body(table: pa.Table) -> bytes:
    """A ``prediction_id``/``label`` table as the JSON body of the labels route.

    >>> labels_body(pa.table({"prediction_id": ["a"], "label": [1]}))
    b'{"prediction_ids": ["a"], "labels": [1]}'
    """
    columns = table.to_pydict()
    body = {"prediction_ids": columns["prediction_id"], "labels": columns["label"]}
    return json.dumps(body).encode()


def combine(tables: list[pa.Table]) -> list[pa.Table]:
    """The pieces concatenated into as few tables as their schemas allow, in order.

    Schemas are unified permissively (int64 + double gives double, a missing column is
    null); a piece whose schema cannot be unified with the run before it starts a new run.

    >>> [t.num_rows for t in combine([pa.table({"x": [1]}), pa.table({"x": [2.5]}),
    ...                               pa.table({"x": ["a"]})])]
    [2, 1]
    """
    if len(tables) == 1:
        return tables
    runs: list[list[pa.Table]] = [[tables[0]]]
    schema = tables[0].schema
    for table in tables[1:]:
        if not table.schema.equals(schema):
            try:
                schema = pa.unify_schemas([schema, table.schema], promote_options="permissive")
            except _ARROW_ERRORS:
                runs.append([])
                schema = table.schema
        runs[-1].append(table)
    combined: list[pa.Table] = []
    for run in runs:
        try:
            combined.append(pa.concat_tables(run, promote_options="permissive").combine_chunks())
        except _ARROW_ERRORS:
            combined.extend(run)  # unified schemas whose data still cannot be cast: send apart
    return combined


def to_tables(
    parts: Sequence[pa.Table | Records],
) -> tuple[list[pa.Table], list[tuple[dict[str, Any], Exception]]]:
    """Arrow tables for queued pieces, and the records that cannot be converted (with why).

    Consecutive record lists are converted in one go; records that cannot be converted
    together are converted one by one (so that the server validates them per row).

    >>> tables, refused = to_tables([Records([{"x": 1.0}, {"x": 2.0}]), pa.table({"x": [3.0]}),
    ...                              Records([{"x": object()}])])
    >>> [t.num_rows for t in tables], len(refused)
    ([2, 1], 1)
    """
    tables: list[pa.Table] = []
    refused: list[tuple[dict[str, Any], Exception]] = []
    pending: list[dict[str, Any]] = []

    def convert() -> None:
        if not pending:
            return
        try:
            tables.append(records_to_table(pending))
        except (pa.ArrowException, TypeError, ValueError):
            for record in pending:
                try:
                    tables.append(records_to_table([record]))
                except (pa.ArrowException, TypeError, ValueError) as exc:
                    refused.append((record, exc))
        pending.clear()

    for part in parts:
        if isinstance(part, Records):
            pending.extend(part.rows)
        else:
            convert()
            tables.append(part)
    convert()
    return tables, refused
