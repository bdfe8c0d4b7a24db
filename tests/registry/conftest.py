"""Registry fixtures: a real S3-compatible server (moto's standalone server, in a thread,
on a free port) with a fresh bucket per test, plus the store's database fixtures."""

from __future__ import annotations

import importlib.util
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The database fixtures of the store tests (SQLite file and a fresh PostgreSQL database).
_spec = importlib.util.spec_from_file_location(
    "_driftline_store_conftest_registry",
    Path(__file__).resolve().parents[1] / "store" / "conftest.py",
)
assert _spec is not None
assert _spec.loader is not None
_store_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_store_conftest)
postgres_databases = _store_conftest.postgres_databases
new_database_url = _store_conftest.new_database_url
engine = _store_conftest.engine

CREDENTIALS = {"key": "testing", "secret": "testing"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server: ``python -m moto.server`` in a child process on a free
    port (real HTTP; its memory is not ours, so memory measurements stay honest)."""
    import httpx

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the moto S3 server did not start on port {port}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def s3_options(endpoint: str) -> dict[str, Any]:
    """fsspec/s3fs options for the moto server."""
    return {
        **CREDENTIALS,
        "endpoint_url": endpoint,
        "client_kwargs": {"region_name": "us-east-1"},
        "skip_instance_cache": True,
    }


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A new, empty bucket on the moto server; its name."""
    import boto3

    name = f"artifacts-{secrets.token_hex(6)}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=CREDENTIALS["key"],
        aws_secret_access_key=CREDENTIALS["secret"],
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    return name
