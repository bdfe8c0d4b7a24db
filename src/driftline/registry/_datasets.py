"""Fingerprints of data sets: the sha256 of the content, the digest of the schema, the
profile."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

__all__ = ["DatasetFingerprint", "fingerprint_dataset", "schema_digest"]

_CHUNK = 1 << 20


def schema_digest(schema: pa.Schema) -> str:
    """The sha256 of the column names and Arrow types, in order (as canonical JSON).

    >>> schema_digest(pa.schema([("x", pa.float64())]))[:12]
    '23e98796f9c1'
    """
    canonical = json.dumps([[f.name, str(f.type)] for f in schema], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class DatasetFingerprint:
    """What identifies a data set: ``fingerprint`` (sha256 of the file's bytes, or of the
    table's Arrow IPC stream for in-memory data), ``schema_digest``, ``schema`` (column →
    Arrow type), ``rows`` and the serialized ``profile`` (a ``DatasetProfile``)."""

    fingerprint: str
    schema_digest: str
    schema: dict[str, str]
    rows: int
    profile: bytes

    def to_dict(self) -> dict[str, Any]:
        """Fields without the profile bytes."""
        return {
            "fingerprint": self.fingerprint,
            "schema_digest": self.schema_digest,
            "schema": dict(self.schema),
            "rows": self.rows,
        }


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def fingerprint_dataset(data: object) -> DatasetFingerprint:
    """Fingerprint ``data``: a CSV/Parquet path (its bytes are hashed) or any in-memory
    table :func:`driftline.tabular.to_table` accepts (its Arrow IPC stream is hashed).

    >>> fp = fingerprint_dataset(pa.table({"x": [1.0, 2.0]}))
    >>> fp.rows, fp.schema
    (2, {'x': 'double'})
    """
    from driftline.profiles import profile
    from driftline.tabular import to_table

    table = to_table(data)
    if isinstance(data, str | os.PathLike):
        content = _file_sha256(Path(data))
    else:
        hasher = hashlib.sha256()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table.combine_chunks())
        hasher.update(sink.getvalue())
        content = hasher.hexdigest()
    return DatasetFingerprint(
        fingerprint=content,
        schema_digest=schema_digest(table.schema),
        schema={f.name: str(f.type) for f in table.schema},
        rows=table.num_rows,
        profile=profile(table).to_bytes(),
    )
