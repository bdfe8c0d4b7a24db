"""What decoding a Parquet file will cost, read from its footer and page headers alone.

The footer (Thrift compact protocol) gives each row group's rows and each column chunk's
byte range; walking the page headers inside each range gives every page's
``uncompressed_page_size``, which is what the reader allocates and decompresses into (it
checks that a page decompresses to exactly that size). Their sum, plus a fixed width per
value for what the encodings compress away (run lengths, dictionary indices, definition
levels), bounds the decoded size *before* anything is decompressed, even when the
footer's own totals lie.

Parsed here rather than through ``pyarrow.parquet.FileMetaData``: its column accessors
(``row_group(i).column(j)``) raise C++ exceptions that abort the whole process on some
malformed footers (a level-histogram size mismatch), while the reader itself reports the
same problem as an error. Every read is bounds-checked; anything that does not parse is a
:class:`ParquetScanError`.
"""

from __future__ import annotations

import struct
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["ParquetScanError", "ParquetSize", "scan_parquet"]

MAX_PAGES: Final = 200_000
_DICTIONARY_PAGE: Final = 2  # PageType
_FIXED_LEN_BYTE_ARRAY: Final = 7  # physical Type
_MAGIC: Final = b"PAR1"
_DICTIONARY_ENCODINGS: Final = {2, 8}  # PLAIN_DICTIONARY, RLE_DICTIONARY


class ParquetScanError(ValueError):
    """The footer or a page header is malformed (or the file is encrypted)."""


@dataclass(frozen=True)
class ParquetSize:
    """Rows, decoded bytes (bound), and the dictionary-encoded top-level columns."""

    rows: int
    decoded_bytes: int
    dictionary_columns: frozenset[str]


class _Reader:
    """A Thrift compact-protocol reader over ``data[pos:end]`` (structs as {id: value})."""

    def __init__(self, data: bytes | memoryview, pos: int, end: int) -> None:
        self.data = data
        self.pos = pos
        self.end = end

    def _byte(self) -> int:
        if self.pos >= self.end:
            raise ParquetScanError("a Thrift structure runs past its end")
        value = self.data[self.pos]
        self.pos += 1
        return int(value)

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self._byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ParquetScanError("a Thrift varint is too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def _binary(self) -> bytes:
        size = self.varint()
        if self.pos + size > self.end:
            raise ParquetScanError("a Thrift string runs past its end")
        value = bytes(self.data[self.pos : self.pos + size])
        self.pos += size
        return value

    def value(self, kind: int, depth: int) -> Any:
        if depth > 32:
            raise ParquetScanError("Thrift structures nest too deeply")
        if kind in (1, 2):  # booleans in a struct field carry their value in the type
            return kind == 1
        if kind == 3:
            return self._byte()
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            if self.pos + 8 > self.end:
                raise ParquetScanError("a Thrift double runs past its end")
            self.pos += 8
            return 0.0
        if kind == 8:
            return self._binary()
        if kind in (9, 10):
            header = self._byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            if size > self.end - self.pos:
                raise ParquetScanError("a Thrift list is longer than the data")
            if element in (1, 2):  # booleans in a list take one byte each
                return [self._byte() == 1 for _ in range(size)]
            return [self.value(element, depth + 1) for _ in range(size)]
        if kind == 11:
            size = self.varint()
            if size == 0:
                return []
            if size > self.end - self.pos:
                raise ParquetScanError("a Thrift map is longer than the data")
            types = self._byte()
            return [  # as pairs: a key may be a structure (unhashable)
                (self.value(types >> 4, depth + 1), self.value(types & 0x0F, depth + 1))
                for _ in range(size)
            ]
        if kind == 12:
            return self.struct(depth + 1)
        raise ParquetScanError(f"unknown Thrift type {kind}")

    def struct(self, depth: int = 0) -> dict[int, Any]:
        fields: dict[int, Any] = {}
        last = 0
        while True:
            header = self._byte()
            if header == 0:
                return fields
            kind, delta = header & 0x0F, header >> 4
            field = last + delta if delta else self.zigzag()
            fields[field] = self.value(kind, depth)
            last = field


def _int(fields: dict[int, Any], key: int, default: int = 0) -> int:
    value = fields.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParquetScanError(f"Thrift field {key} is not an integer")
    return value


def _list(fields: dict[int, Any], key: int, of: type) -> list[Any]:
    value = fields.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, of) for v in value):
        raise ParquetScanError(f"Thrift field {key} is not a list of {of.__name__}")
    return value


def _pages(data: bytes | memoryview, start: int, length: int, most: int) -> tuple[int, int, int]:
    """(sum of uncompressed page sizes, size of the dictionary page, pages) of a column
    chunk's byte range (at most ``most`` pages)."""
    end = start + length
    if start < 4 or length < 0 or end > len(data):
        raise ParquetScanError("a column chunk lies outside the file")
    total = dictionary = pages = 0
    pos = start
    while pos < end:
        reader = _Reader(data, pos, end)
        header = reader.struct()
        uncompressed, compressed = _int(header, 2, -1), _int(header, 3, -1)
        if uncompressed < 0 or compressed < 0:
            raise ParquetScanError("a page header states a negative size")
        total += uncompressed
        if _int(header, 1, -1) == _DICTIONARY_PAGE:
            dictionary = max(dictionary, uncompressed)
        pages += 1
        if pages > most:
            raise ParquetScanError(f"the file has more than {MAX_PAGES} pages")
        pos = reader.pos + compressed
    return total, dictionary, pages


def _name(path: list[bytes]) -> str:
    return path[0].decode("utf-8", "replace") if path else ""


def scan_parquet(
    data: bytes | memoryview, *, columns: Collection[str] | None = None
) -> ParquetSize:
    """Rows, a bound of the decoded size, and the dictionary-encoded top-level columns of
    a Parquet file (of only the top-level ``columns`` given, if any: the others are not
    read).

    Per column chunk the bound is its pages' uncompressed size, plus 8 bytes (and a fixed
    length's width) per value for what encodings compress away: run lengths, null levels,
    dictionary indices. A dictionary-encoded chunk nested below the top level is expanded
    by the reader, so it counts its dictionary page once per value.

    >>> import io, pyarrow as pa, pyarrow.parquet as pq
    >>> sink = io.BytesIO()
    >>> pq.write_table(pa.table({"s": ["z" * 1000] * 100, "x": range(100)}), sink)
    >>> size = scan_parquet(sink.getvalue())
    >>> size.rows, size.decoded_bytes > 1000, sorted(size.dictionary_columns)
    (100, True, ['s', 'x'])
    """
    n = len(data)
    if n < 12 or bytes(data[:4]) != _MAGIC or bytes(data[n - 4 :]) != _MAGIC:
        raise ParquetScanError("not a Parquet file (no PAR1 magic at both ends)")
    (footer_length,) = struct.unpack_from("<I", data, n - 8)
    if footer_length > n - 12:
        raise ParquetScanError("the footer is longer than the file")
    meta = _Reader(data, n - 8 - footer_length, n - 8).struct()
    rows = _int(meta, 3)
    widths = [max(0, _int(e, 2, 0)) for e in _list(meta, 2, dict)]  # fixed lengths
    total = pages = 0
    dictionary: set[str] = set()
    for group in _list(meta, 4, dict):
        if _int(group, 3) < 0:
            raise ParquetScanError("a row group states a negative number of rows")
        for chunk in _list(group, 1, dict):
            column = chunk.get(3)
            if not isinstance(column, dict):
                raise ParquetScanError("a column chunk has no metadata (encrypted or external)")
            path = _list(column, 3, bytes)
            if columns is not None and _name(path) not in columns:
                continue
            data_page = _int(column, 9)
            dictionary_page = _int(column, 11, 0)
            start = dictionary_page if 0 < dictionary_page < data_page else data_page
            size, dictionary_size, count = _pages(data, start, _int(column, 7), MAX_PAGES - pages)
            values = _int(column, 5)
            if values < 0:
                raise ParquetScanError("a column chunk states a negative number of values")
            width = 8 + (
                max(widths) if _int(column, 1, 0) == _FIXED_LEN_BYTE_ARRAY and widths else 0
            )
            total += max(size, _int(column, 6)) + values * width
            pages += count
            encoded = bool(_DICTIONARY_ENCODINGS & set(_list(column, 2, int)))
            if encoded and len(path) == 1:
                dictionary.add(_name(path))
            elif encoded:
                total += values * dictionary_size
    if rows < 0:
        raise ParquetScanError("the file states a negative number of rows")
    return ParquetSize(rows, total, frozenset(dictionary))
