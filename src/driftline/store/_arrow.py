"""Arrow IPC blobs: one compressed stream per stored batch."""

from __future__ import annotations

from typing import Final, Literal

import pyarrow as pa

from driftline._params import Options, validate_params
from driftline.exceptions import SerializationError

__all__ = ["Compression", "from_ipc", "to_ipc"]

Compression = Literal["zstd", "lz4", "none"]
_CODECS: Final = ("zstd", "lz4", "none")


@validate_params({"compression": [Options(*_CODECS)]})
def to_ipc(table: pa.Table, *, compression: Compression = "zstd") -> bytes:
    """``table`` as an Arrow IPC stream, its buffers compressed with ``compression``.

    >>> t = pa.table({"x": [1, 2, 3]})
    >>> from_ipc(to_ipc(t)).equals(t)
    True
    """
    options = pa.ipc.IpcWriteOptions(compression=None if compression == "none" else compression)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def from_ipc(payload: bytes) -> pa.Table:
    """Read an Arrow IPC stream written by :func:`to_ipc`."""
    try:
        with pa.ipc.open_stream(pa.py_buffer(payload)) as reader:
            return reader.read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise SerializationError(f"Stored batch is not a readable Arrow IPC stream: {exc}") from exc
