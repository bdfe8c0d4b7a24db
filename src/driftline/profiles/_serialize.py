"""Binary format of a dataset profile.

Layout (little-endian)::

    b"DLPROF" | format version u16 | header length u32 | CRC-32 u32 | header | blobs

The header is UTF-8 JSON (row count, writer version, and per column its kind, exact
fields and the lengths of its binary blobs: KLL bytes for numeric and datetime
columns, HLL registers for categorical and text columns). The CRC covers header and
blobs, so truncated or corrupted bytes are rejected.

Compatibility rule: a reader accepts every format version up to its own
(:data:`FORMAT_VERSION`); older profiles stay readable. Bytes written with a newer
format raise :class:`~driftline.exceptions.SerializationError` asking to upgrade.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any, Final

from driftline._version import __version__
from driftline.exceptions import SerializationError
from driftline.profiles._boolean import BooleanProfile
from driftline.profiles._categorical import CategoricalProfile
from driftline.profiles._column import KINDS, ColumnProfile
from driftline.profiles._numeric import NumericProfile

__all__ = ["COLUMN_CLASSES", "FORMAT_VERSION", "MAGIC", "decode", "encode"]

MAGIC: Final = b"DLPROF"
FORMAT_VERSION: Final = 1
_PREFIX: Final = struct.Struct("<6sHII")
COLUMN_CLASSES: Final[dict[str, type[ColumnProfile]]] = {
    "numeric": NumericProfile,
    "datetime": NumericProfile,
    "categorical": CategoricalProfile,
    "text": CategoricalProfile,
    "boolean": BooleanProfile,
}


def encode(n_rows: int, columns: tuple[ColumnProfile, ...]) -> bytes:
    """Serialize a row count and column profiles."""
    blobs: list[bytes] = []
    cols = []
    for col in columns:
        fields, col_blobs = col.state()
        cols.append(
            {
                "name": col.name, "kind": col.kind, "n_rows": col.n_rows,
                "n_null": col.n_null, "n_invalid": col.n_invalid, "fields": fields,
                "blobs": [len(b) for b in col_blobs],
            }
        )  # fmt: skip
        blobs.extend(col_blobs)
    header = json.dumps(
        {"n_rows": n_rows, "writer": __version__, "columns": cols},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    body = header + b"".join(blobs)
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, len(header), zlib.crc32(body)) + body


def decode(payload: bytes) -> tuple[int, list[ColumnProfile]]:
    """Inverse of :func:`encode`; raises SerializationError on bad bytes."""
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise SerializationError(f"Expected bytes; got {type(payload).__name__}.")
    data = bytes(payload)
    if len(data) < _PREFIX.size or not data.startswith(MAGIC):
        raise SerializationError("Not a driftline profile: the bytes do not start with b'DLPROF'.")
    _, version, header_len, crc = _PREFIX.unpack_from(data)
    if version > FORMAT_VERSION:
        raise SerializationError(
            f"This profile was written with format version {version}, newer than the "
            f"{FORMAT_VERSION} this driftline ({__version__}) reads. Upgrade driftline."
        )
    body = data[_PREFIX.size :]
    if zlib.crc32(body) != crc or header_len > len(body):
        raise SerializationError("Corrupt profile bytes: checksum mismatch (truncated or altered).")
    try:
        header: dict[str, Any] = json.loads(body[:header_len])
        offset = header_len
        columns: list[ColumnProfile] = []
        for spec in header["columns"]:
            blobs = []
            for size in spec["blobs"]:
                blobs.append(body[offset : offset + size])
                offset += size
            kind = spec["kind"]
            if kind not in KINDS:
                raise SerializationError(f"Unknown column kind {kind!r} in profile bytes.")
            fields = dict(spec["fields"])
            fields.update(
                name=spec["name"], kind=kind, n_rows=spec["n_rows"], n_null=spec["n_null"],
                n_invalid=spec["n_invalid"],
            )  # fmt: skip
            columns.append(COLUMN_CLASSES[kind].from_state(fields, blobs))
        return int(header["n_rows"]), columns
    except SerializationError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise SerializationError(f"Corrupt profile bytes: {exc}") from exc
