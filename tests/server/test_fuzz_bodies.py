"""Seeded mutation fuzzing of every body format against a real server process (issue 11).

Valid bodies of every format the API reads (Arrow IPC streams plain and zstd-compressed,
Parquet, JSON records and columns, labels as JSON and Arrow, driftline profiles, reference
uploads) are mutated: 1-4 random bytes overwritten (the issue crashed the server with
such mutations in 34 of 300 tries), 32-bit "interesting" values written at aligned
offsets (offsets, lengths), truncations, and for JSON, values swapped for hostile ones
(NUL, huge or deep values, big integers, out-of-range timestamps). Profiles get their
checksum fixed after the mutation, so that the decoder itself is exercised.

The server process must answer every body with a status below 500 and stay alive.
``DRIFTLINE_FUZZ_SEED`` and ``DRIFTLINE_FUZZ_BODIES`` (per format) widen the search.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import ServerProcess, register

SEED = int(os.environ.get("DRIFTLINE_FUZZ_SEED", "0"))
BODIES = int(os.environ.get("DRIFTLINE_FUZZ_BODIES", "60"))
INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFF0, 0x7FFFFFFF, 0xFFFFFFFF)
HOSTILE_VALUES: tuple[Any, ...] = (
    "a\x00b",
    "",
    "z" * 70_000,
    2**63,
    2**64 + 1,
    -(2**63) - 1,
    1e308,
    -1e308,
    1e-320,
    [],
    {},
    [[[[[[1]]]]]],
    None,
    True,
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+01:00",
    253402300799,
    -62135596801,
    "\ud7ff\ue000",
    "NaN",
    "1e999",
)
ARROW = {"content-type": "application/vnd.apache.arrow.stream"}
PARQUET = {"content-type": "application/vnd.apache.parquet"}
PROFILE = {"content-type": "application/vnd.driftline.profile"}
JSON = {"content-type": "application/json"}


def _rows(n: int, rng: np.random.Generator) -> pa.Table:
    return pa.table(
        {
            "prediction_id": [f"p{rng.integers(1 << 40)}-{i}" for i in range(n)],
            "timestamp": pa.array(
                1_790_000_000_000_000 + rng.integers(0, 10**10, n), pa.timestamp("us", tz="UTC")
            ),
            "x": rng.normal(size=n),
            "city": pa.array(rng.choice(["oslo", "lima", "pune"], n)).dictionary_encode(),
            "flag": rng.random(n) < 0.5,
            "score": rng.random(n),
        }
    )


def _arrow(table: pa.Table, compression: str | None = None) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        for batch in table.to_batches(max_chunksize=max(1, table.num_rows // 2)):
            writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=max(1, table.num_rows // 2))
    return sink.getvalue()


def _mutate(body: bytes, rng: np.random.Generator) -> bytes:
    data = bytearray(body)
    choice = rng.integers(0, 10)
    if choice < 6:  # 1-4 random bytes
        for _ in range(int(rng.integers(1, 5))):
            data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
    elif choice < 9:  # an interesting 32-bit value at an aligned offset
        at = int(rng.integers(0, max(1, len(data) // 4 - 1))) * 4
        data[at : at + 4] = struct.pack("<I", INTERESTING[int(rng.integers(len(INTERESTING)))])
    else:  # truncated
        del data[int(rng.integers(1, len(data))) :]
    return bytes(data)


def _hostile_json(value: Any, rng: np.random.Generator) -> Any:
    """``value`` with one leaf (or key) replaced by something hostile."""
    if isinstance(value, dict) and value:
        key = list(value)[int(rng.integers(len(value)))]
        out = dict(value)
        if rng.random() < 0.15:
            out[str(key) + "\x00"] = out.pop(key)
        else:
            out[key] = _hostile_json(value[key], rng)
        return out
    if isinstance(value, list) and value:
        out_list = list(value)
        i = int(rng.integers(len(value)))
        out_list[i] = _hostile_json(value[i], rng)
        return out_list
    return HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))]


def _json_body(data: Any, rng: np.random.Generator) -> bytes:
    for _ in range(int(rng.integers(1, 4))):
        data = _hostile_json(data, rng)
    text = json.dumps(data).encode()  # (orjson refuses integers beyond 64 bits)
    return _mutate(text, rng) if rng.random() < 0.3 else text


def _profile_body(profile: bytes, rng: np.random.Generator) -> bytes:
    """A mutated profile whose checksum still matches (header: magic, version, length, crc)."""
    prefix = struct.Struct("<6sHII")
    data = bytearray(_mutate(profile, rng))
    if len(data) > prefix.size and data.startswith(b"DLPROF"):
        magic, version, header_len, _ = prefix.unpack_from(data)
        body = bytes(data[prefix.size :])
        prefix.pack_into(data, 0, magic, version, header_len, zlib.crc32(body))
    return bytes(data)


@pytest.fixture(scope="module")
def server(new_database_url: Callable[[str], str]) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        new_database_url("sqlite"),
        env={
            "DRIFTLINE_MAX_DECODED_BYTES": str(32 << 20),
            "DRIFTLINE_MAX_BODY_BYTES": str(8 << 20),
        },
    )
    yield proc
    proc.stop()


def _cases(rng: np.random.Generator) -> Iterator[tuple[str, str, str, dict[str, str], bytes]]:
    """(format, method, route, headers, body) for every format, ``BODIES`` of each."""
    from driftline.monitor import profile_rows
    from driftline.store import VersionSchema

    table = _rows(50, rng)
    schema = VersionSchema({"x": "numeric", "city": "categorical", "flag": "boolean"})
    plain = table.set_column(3, "city", table["city"].cast(pa.string()))
    records = {"records": plain.drop_columns(["timestamp"]).to_pylist()}
    columns = {"columns": plain.drop_columns(["timestamp"]).to_pydict()}
    labels = {"prediction_ids": plain["prediction_id"].to_pylist(), "labels": [1, 0] * 25}
    label_records = {
        "records": [{"prediction_id": p, "label": 1} for p in labels["prediction_ids"]]
    }
    label_table = pa.table({"prediction_id": plain["prediction_id"], "label": [1.0, 0.0] * 25})
    profile = profile_rows(schema, plain).to_bytes()
    reference = plain.append_column("y", pa.array([0, 1] * 25))
    binaries = {
        "arrow": ("POST", "predictions", ARROW, _arrow(table)),
        "arrow-zstd": ("POST", "predictions", ARROW, _arrow(table, "zstd")),
        "arrow-lz4": ("POST", "predictions", ARROW, _arrow(plain, "lz4")),
        "parquet": ("POST", "predictions", PARQUET, _parquet(table)),
        "labels-arrow": ("POST", "labels", ARROW, _arrow(label_table)),
        "reference-arrow": ("PUT", "reference?target=y", ARROW, _arrow(reference)),
        "reference-parquet": ("PUT", "reference?target=y", PARQUET, _parquet(reference)),
    }
    for i in range(BODIES):
        for name, (method, route, headers, body) in binaries.items():
            yield name, method, route, headers, _mutate(body, rng)
        yield "json-records", "POST", "predictions", JSON, _json_body(records, rng)
        yield "json-columns", "POST", "predictions", JSON, _json_body(columns, rng)
        yield "labels-json", "POST", "labels", JSON, _json_body(labels, rng)
        yield "labels-records", "POST", "labels", JSON, _json_body(label_records, rng)
        yield "profile", "POST", "profiles?window_key=0", PROFILE, _profile_body(profile, rng)
        yield (
            "profile-time",
            "POST",
            "profiles?start=2026-11-01T00:00:00Z",
            PROFILE,
            (_profile_body(profile, rng) if i % 2 else _mutate(profile, rng)),
        )


def test_mutated_bodies_never_crash_the_server(server: ServerProcess) -> None:
    rng = np.random.default_rng(SEED)
    failures: list[str] = []
    statuses: dict[str, dict[int, int]] = {}
    with server.client(timeout=60) as api:
        versions = {
            "time": register(api, "fuzz", "1"),
            "rows": register(api, "fuzz", "2", window={"kind": "rows", "size": 100}),
        }
        for n, (fmt, method, route, headers, body) in enumerate(_cases(rng)):
            version = versions["rows" if "window_key" in route else "time"]
            try:
                r = api.request(method, f"{version}/{route}", content=body, headers=headers)
            except httpx.TransportError as exc:
                pytest.fail(
                    f"body {n} ({fmt}, seed {SEED}) killed the connection ({exc!r}); the "
                    f"server {'is alive' if server.alive() else 'DIED'}:\n{server.output()}"
                )
            statuses.setdefault(fmt, {}).setdefault(r.status_code, 0)
            statuses[fmt][r.status_code] += 1
            if r.status_code >= 500:
                failures.append(f"body {n} ({fmt}): {r.status_code} {r.text[:300]}")
            else:
                assert r.headers["content-type"].startswith("application/json"), r.text
        assert server.alive(), server.output()
        assert api.get("/models").status_code == 200
    print(f"\nstatuses per format (seed {SEED}, {BODIES} bodies each): {statuses}")
    assert not failures, "\n".join(failures[:20])
    log = server.output()
    assert "Traceback" not in log, log
    assert "Exception in ASGI" not in log, log
    assert sum(sum(v.values()) for v in statuses.values()) >= 13 * BODIES
