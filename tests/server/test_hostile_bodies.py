"""Issue 11, items 1, 2 and 12: bodies crafted to crash the server or blow up its memory
get a 4xx from a real server process, which survives them.

- item 1: an Arrow stream whose string offsets point 2 GB past the data (it used to kill
  the process with SIGSEGV in libarrow_compute) on every route that takes Arrow;
- item 2: decompression and dictionary bombs (Parquet and zstd Arrow), overlong strings;
- item 12: duplicate column names, JSON nested 1,000 deep.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import ARROW, PARQUET, ServerProcess, arrow_bytes, parquet_bytes, register

GOOD = pa.table({"x": [1.0], "city": ["a"], "flag": [True], "score": [0.5]})


def poisoned_stream() -> bytes:
    """The issue's recipe: one row, string column x = "zzzzz", the end offset of its
    offsets buffer overwritten with 0x7FFFFFF0."""
    return _poison(pa.table({"x": ["zzzzz"]}))


def _poison(table: pa.Table) -> bytes:
    """``table`` as a stream whose string "zzzzz" gets the end offset 0x7FFFFFF0."""
    body = bytearray(arrow_bytes(table))
    at = body.find(b"zzzzz") - 8
    assert body[at : at + 8] == struct.pack("<ii", 0, 5)
    body[at + 4 : at + 8] = struct.pack("<I", 0x7FFFFFF0)
    return bytes(body)


POISONED = {
    # the recipe with a score, for a version whose feature x is numeric: the
    # number check's regex kernel read 2 GB out of bounds (SIGSEGV, the process died)
    "predictions": lambda: _poison(pa.table({"x": ["zzzzz"], "score": [0.5]})),
    "reference": poisoned_stream,  # the recipe itself: profiled without validation
    "labels": lambda: _poison(pa.table({"prediction_id": ["zzzzz"], "label": [1]})),  # was 500
    "categorical": lambda: _poison(
        pa.table({"x": [1.0], "city": ["zzzzz"], "flag": [True], "score": [0.5]})
    ),
}


def test_the_poisoned_stream_crashes_an_unguarded_kernel() -> None:
    # The hazard is real (run in a child process): reading does not validate the buffers,
    # and the first compute kernel reads 2 GB out of bounds.
    code = (
        "import sys, pyarrow as pa, pyarrow.compute as pc\n"
        "t = pa.ipc.open_stream(pa.py_buffer(sys.stdin.buffer.read())).read_all()\n"
        "print(pc.utf8_length(t['x']))\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], input=poisoned_stream(), capture_output=True, timeout=60
    )
    assert child.returncode != 0  # -11 (SIGSEGV) here; never a clean answer
    with pytest.raises(pa.ArrowInvalid, match="offsets"):
        pa.ipc.open_stream(pa.py_buffer(poisoned_stream())).read_all().validate(full=True)


@pytest.fixture(scope="module")
def server(new_database_url: Callable[[str], str]) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        new_database_url("sqlite"),
        env={"DRIFTLINE_MAX_DECODED_BYTES": str(64 << 20), "DRIFTLINE_MAX_STRING_BYTES": "65536"},
    )
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture(scope="module")
def version(api: httpx.Client) -> str:
    return register(api, "hostile", "1")


def _refused(r: httpx.Response, status: int, needle: str) -> None:
    assert r.status_code == status, r.text
    assert needle in r.json()["error"]["message"], r.text


@pytest.fixture(scope="module")
def numeric_x(api: httpx.Client) -> str:
    api.post("/models", json={"name": "numeric-x"})
    body = {"version": "1", "schema": {"features": {"x": "numeric"}}}
    assert api.post("/models/numeric-x/versions", json=body).status_code in (201, 409)
    return "/models/numeric-x/versions/1"


@pytest.mark.parametrize("case", sorted(POISONED))
def test_poisoned_arrow_is_400_on_every_route(
    server: ServerProcess, api: httpx.Client, numeric_x: str, version: str, case: str
) -> None:
    route = "predictions" if case == "categorical" else case
    url = version if case == "categorical" else numeric_x
    send = api.put if route == "reference" else api.post
    r = send(f"{url}/{route}", content=POISONED[case](), headers=ARROW)
    _refused(r, 400, "out of bounds")
    assert server.alive(), server.output()
    assert api.get("/models").status_code == 200  # and it still serves


def _zstd_arrow(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def test_zstd_arrow_bomb_is_413_before_it_inflates(api: httpx.Client, version: str) -> None:
    # 40,000 rows of a 4 KB string: ~160 MB once decompressed, a few KB on the wire.
    text = pa.array(["z" * 4096] * 40_000)
    bomb = _zstd_arrow(
        pa.table(
            {
                "x": pa.array([1.0] * 40_000),
                "city": text,
                "flag": [True] * 40_000,
                "score": [0.5] * 40_000,
            }
        )
    )
    assert len(bomb) < 200_000
    r = api.post(f"{version}/predictions", content=bomb, headers=ARROW)
    _refused(r, 413, "max_decoded_bytes")
    assert r.json()["error"]["details"]["decoded_bytes"] > 64 << 20


def test_parquet_dictionary_bomb_is_413(api: httpx.Client, version: str) -> None:
    # The 1 KB Parquet file: 1,000 rows of one dictionary-encoded 1 MB string.
    table = pa.table(
        {
            "x": [1.0] * 1000,
            "city": ["z" * 1_000_000] * 1000,
            "flag": [True] * 1000,
            "score": [0.5] * 1000,
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    assert len(sink.getvalue()) < 10_000
    r = api.post(f"{version}/predictions", content=sink.getvalue(), headers=PARQUET)
    _refused(r, 413, "max_string_bytes")
    # Short strings, but so many repeats that the expanded column passes the limit.
    many = pa.table(
        {
            "x": [1.0] * 1_000_000,
            "city": ["z" * 200] * 1_000_000,
            "flag": [True] * 1_000_000,
            "score": [0.5] * 1_000_000,
        }
    )
    sink = io.BytesIO()
    pq.write_table(many, sink, compression="zstd")
    r = api.post(f"{version}/predictions", content=sink.getvalue(), headers=PARQUET)
    _refused(r, 413, "max_decoded_bytes")


def test_dictionary_arrow_bomb_is_413(api: httpx.Client, version: str) -> None:
    city = pa.array(["z" * 60_000] * 2000).dictionary_encode()  # 120 MB expanded
    table = pa.table(
        {"x": [1.0] * 2000, "city": city, "flag": [True] * 2000, "score": [0.5] * 2000}
    )
    r = api.post(f"{version}/predictions", content=arrow_bytes(table), headers=ARROW)
    _refused(r, 413, "max_decoded_bytes")


def test_overlong_strings_are_413(api: httpx.Client, version: str) -> None:
    table = GOOD.set_column(1, "city", pa.array(["y" * 70_000]))
    for content, headers in ((arrow_bytes(table), ARROW), (parquet_bytes(table), PARQUET)):
        r = api.post(f"{version}/predictions", content=content, headers=headers)
        _refused(r, 413, "max_string_bytes")
    r = api.post(
        f"{version}/predictions",
        json={"records": [{"x": 1.0, "city": "y" * 70_000, "flag": True, "score": 0.5}]},
    )
    _refused(r, 413, "max_string_bytes")


def test_duplicate_column_names_are_400(api: httpx.Client, version: str) -> None:
    table = pa.Table.from_arrays(
        [pa.array([1.0]), pa.array([2.0]), pa.array(["a"]), pa.array([True]), pa.array([0.5])],
        names=["x", "x", "city", "flag", "score"],
    )
    for content, headers in ((arrow_bytes(table), ARROW), (parquet_bytes(table), PARQUET)):
        r = api.post(f"{version}/predictions", content=content, headers=headers)
        _refused(r, 400, "duplicate column names ['x']")


def test_json_nested_1000_deep_is_400(api: httpx.Client, version: str) -> None:
    deep = "[" * 1000 + "]" * 1000
    body = '{"records": [{"x": 1.0, "city": ' + deep + ', "flag": true, "score": 0.5}]}'
    r = api.post(
        f"{version}/predictions", content=body, headers={"content-type": "application/json"}
    )
    _refused(r, 400, "nested deeper than 32 levels")
    labels = '{"prediction_ids": ["a"], "labels": [' + deep + "]}"
    r = api.post(f"{version}/labels", content=labels, headers={"content-type": "application/json"})
    assert r.status_code < 500, r.text
    assert r.json()["rejected"][0]["reasons"] == ["label: not a number"]


def test_the_server_survived_everything(server: ServerProcess, api: httpx.Client) -> None:
    assert server.alive(), server.output()
    assert "Traceback" not in server.output()
    assert api.get("/models").status_code == 200
