"""The decoded size of an Arrow IPC stream, read from its message headers alone.

A compressed IPC body states, in the first 8 bytes of each buffer, how large that buffer
becomes once decompressed; Arrow allocates that much and decompresses into it. Reading
those lengths (and the row counts) from each message's flatbuffer header, before any
batch is decoded, bounds what decoding will cost: a 34 KB zstd body that would inflate
to gigabytes is refused without inflating anything.

Only the few fields needed are read, straight from the flatbuffer (``Message`` →
``RecordBatch``/``DictionaryBatch`` → ``buffers``, ``length``, ``compression``); every
offset is bounds-checked, and a header that does not parse is a :class:`ScanError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

__all__ = ["ScanError", "StreamSize", "scan_stream"]

_RECORD_BATCH: Final = 3  # MessageHeader union: 1 Schema, 2 DictionaryBatch, 3 RecordBatch
_DICTIONARY_BATCH: Final = 2


class ScanError(ValueError):
    """The stream's framing or a message header is malformed."""


@dataclass(frozen=True)
class StreamSize:
    """What decoding the stream will materialize: buffer bytes and record-batch rows."""

    decoded_bytes: int
    rows: int
    compressed: bool


class _Table:
    """A flatbuffer table inside ``data`` at ``pos`` (offsets checked on every read)."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos
        vtable = pos - self._i32(pos)
        self.vtable = vtable
        self.vsize = self._u16(vtable)

    def _check(self, pos: int, size: int) -> None:
        if pos < 0 or pos + size > len(self.data):
            raise ScanError("an offset points outside the message header")

    def _u16(self, pos: int) -> int:
        self._check(pos, 2)
        return int(struct.unpack_from("<H", self.data, pos)[0])

    def _i32(self, pos: int) -> int:
        self._check(pos, 4)
        return int(struct.unpack_from("<i", self.data, pos)[0])

    def _field(self, index: int) -> int | None:
        slot = 4 + 2 * index
        if slot + 2 > self.vsize:
            return None
        offset = self._u16(self.vtable + slot)
        return None if offset == 0 else self.pos + offset

    def scalar(self, index: int, fmt: str, default: int) -> int:
        at = self._field(index)
        if at is None:
            return default
        self._check(at, struct.calcsize(fmt))
        return int(struct.unpack_from("<" + fmt, self.data, at)[0])

    def table(self, index: int) -> _Table | None:
        at = self._field(index)
        return None if at is None else _Table(self.data, at + self._i32(at))

    def structs(self, index: int, fmt: str) -> list[tuple[int, ...]]:
        at = self._field(index)
        if at is None:
            return []
        start = at + self._i32(at)
        count = self._i32(start)
        size = struct.calcsize("<" + fmt)
        if count < 0:
            raise ScanError("a vector has a negative length")
        self._check(start + 4, count * size)
        return [
            struct.unpack_from("<" + fmt, self.data, start + 4 + i * size) for i in range(count)
        ]


def _batch_size(header: _Table, body: memoryview) -> tuple[int, int, bool]:
    rows = header.scalar(0, "q", 0)
    compressed = header.table(3) is not None
    total = 0
    for offset, length in header.structs(2, "qq"):
        if offset < 0 or length < 0 or offset + length > len(body):
            raise ScanError("a buffer lies outside the message body")
        if not compressed or length == 0:
            total += length
            continue
        if length < 8:
            raise ScanError("a compressed buffer is shorter than its length prefix")
        (decoded,) = struct.unpack_from("<q", body, offset)
        if decoded < -1:
            raise ScanError("a compressed buffer states a negative length")
        total += length - 8 if decoded == -1 else decoded
    if rows < 0:
        raise ScanError("a batch has a negative length")
    return total, rows, compressed


def scan_stream(buffer: pa.Buffer, *, max_decoded_bytes: int) -> StreamSize:
    """Sum the decoded buffer sizes and rows of every batch of an IPC stream.

    Stops (and returns what it has counted so far) as soon as ``max_decoded_bytes`` is
    passed, so that the caller can refuse the body. Raises :class:`ScanError` for a
    malformed stream.

    >>> t = pa.table({"x": list(range(1000))})
    >>> sink = pa.BufferOutputStream()
    >>> options = pa.ipc.IpcWriteOptions(compression="zstd")
    >>> with pa.ipc.new_stream(sink, t.schema, options=options) as writer:
    ...     writer.write_table(t)
    >>> scan_stream(sink.getvalue(), max_decoded_bytes=1 << 20)
    StreamSize(decoded_bytes=8000, rows=1000, compressed=True)
    """
    try:
        reader = pa.ipc.MessageReader.open_stream(buffer)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ScanError(str(exc)) from None
    total = rows = 0
    compressed = False
    while total <= max_decoded_bytes:
        try:
            message = reader.read_next_message()
        except StopIteration:
            break
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ScanError(str(exc)) from None
        if message.type not in ("record batch", "dictionary"):
            continue
        metadata = message.metadata.to_pybytes()
        body = memoryview(b"" if message.body is None else message.body)  # no copy
        try:
            root = _Table(metadata, struct.unpack_from("<I", metadata, 0)[0])
            kind = root.scalar(1, "B", 0)
            header = root.table(2)
            if kind == _DICTIONARY_BATCH and header is not None:
                header = header.table(1)
            elif kind != _RECORD_BATCH:
                header = None
        except struct.error:
            raise ScanError("a message header is truncated") from None
        if header is None:
            raise ScanError(f"a {message.type} message has no header")
        size, n, packed = _batch_size(header, body)
        total += size
        compressed |= packed
        if kind == _RECORD_BATCH:
            rows += n
    return StreamSize(total, rows, compressed)
