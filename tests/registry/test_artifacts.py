"""The content-addressed artifact store, on a local folder and on a real S3-compatible
server (moto's standalone server over HTTP)."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from driftline.exceptions import DataError, DigestMismatchError, NotFoundError, ParameterError
from driftline.registry import ArtifactStore, check_digest

from .conftest import CREDENTIALS, s3_options


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return ArtifactStore(tmp_path / "artifacts", chunk_size=4096)
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    return ArtifactStore(f"s3://{bucket}/team", storage_options=s3_options(endpoint),
                         chunk_size=4096)  # fmt: skip


def _s3_keys(store: ArtifactStore) -> list[str]:
    bucket = store.url.removeprefix("s3://").split("/")[0]
    client = boto3.client(
        "s3",
        endpoint_url=store.storage_options["endpoint_url"],
        aws_access_key_id=CREDENTIALS["key"],
        aws_secret_access_key=CREDENTIALS["secret"],
        region_name="us-east-1",
    )
    listed = client.list_objects_v2(Bucket=bucket)
    return sorted(obj["Key"] for obj in listed.get("Contents", []))


def _stored_keys(store: ArtifactStore) -> list[str]:
    if store.local:
        root = Path(store.url)
        found = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
        return sorted(str(p) for p in found if p.parts[0] != "tmp")
    return [k.removeprefix("team/") for k in _s3_keys(store)]


def test_round_trip_is_content_addressed(store: ArtifactStore) -> None:
    data = os.urandom(10_000)
    digest = hashlib.sha256(data).hexdigest()
    info = store.put_bytes(data)
    assert info.digest == digest
    assert info.size == 10_000
    assert info.key == f"sha256/{digest[:2]}/{digest[2:]}"
    assert store.exists(digest)
    assert store.size(digest) == 10_000
    assert store.read_bytes(digest) == data
    assert _stored_keys(store) == [info.key]
    # the same content again is stored once
    assert store.put_stream([data[:10], data[10:]], expected_sha256=digest) == info
    assert _stored_keys(store) == [info.key]


def test_digest_mismatch_stores_nothing(store: ArtifactStore) -> None:
    data = b"the real model"
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(DigestMismatchError, match="not to the expected") as info:
        store.put_bytes(data, expected_sha256=wrong)
    assert info.value.expected == wrong
    assert info.value.actual == hashlib.sha256(data).hexdigest()
    assert _stored_keys(store) == []
    if store.local:
        assert list((Path(store.url) / "tmp").iterdir()) == []  # no spool left


def test_size_limit_stores_nothing(store: ArtifactStore) -> None:
    with pytest.raises(DataError, match="larger than the limit of 100 bytes"):
        store.put_stream([b"x" * 60, b"x" * 60], max_bytes=100)
    assert _stored_keys(store) == []


def test_get_file_verifies_and_is_atomic(store: ArtifactStore, tmp_path: Path) -> None:
    data = os.urandom(50_000)
    info = store.put_bytes(data)
    out = store.get_file(info.digest, tmp_path / "out" / "model.onnx")
    assert out.read_bytes() == data
    # corrupt the stored object, then read it back: the digest check refuses it
    if store.local:
        Path(store.url, info.key).write_bytes(data[:-1] + b"\x00")
    else:
        store._fs.pipe_file(store._full(info.digest), data[:-1] + b"\x00")
    target = tmp_path / "again" / "model.onnx"
    with pytest.raises(DigestMismatchError, match="is corrupted"):
        store.get_file(info.digest, target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no partial file left


def test_unknown_digest_and_bad_digest(store: ArtifactStore) -> None:
    with pytest.raises(NotFoundError, match="holds no artifact"):
        store.read_bytes("0" * 64)
    with pytest.raises(ParameterError, match="sha256 hex digest"):
        store.exists("../../etc/passwd")


def test_sha256_prefix_and_case_are_accepted() -> None:
    digest = "AB" * 32
    assert check_digest(f"sha256:{digest}") == digest.lower()


def test_for_database_puts_the_folder_next_to_the_sqlite_file(tmp_path: Path) -> None:
    store = ArtifactStore.for_database(f"sqlite:///{tmp_path / 'db' / 'driftline.db'}")
    assert Path(store.url) == tmp_path / "db" / "artifacts"
    assert store.local
    pg = ArtifactStore.for_database("postgresql+psycopg://u@h/db", home=tmp_path / "home")
    assert Path(pg.url) == tmp_path / "home" / "artifacts"


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError, match="'chunk_size' parameter of ArtifactStore"):
        ArtifactStore("x", chunk_size=10)
    with pytest.raises(ParameterError, match="must not be empty"):
        ArtifactStore("")


def _chunks(total: int, size: int) -> Iterator[bytes]:
    block = os.urandom(size)
    for _ in range(total // size):
        yield block


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_memory_stays_bounded(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A 96 MiB artifact is written and read back in far less memory than its size (the
    S3 client holds a multipart part and a read-ahead block of 8 MiB, a few copies each)."""
    if kind == "local":
        store = ArtifactStore(tmp_path / "big")
    else:
        store = ArtifactStore(
            f"s3://{request.getfixturevalue('s3_bucket')}/big",
            storage_options=s3_options(request.getfixturevalue("s3_endpoint")),
        )
    total = 96 * 1024 * 1024
    tracemalloc.start()
    try:
        info = store.put_stream(_chunks(total, 1 << 20))
        read = sum(len(c) for c in store.iter_chunks(info.digest))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == read == total
    limit = 12 * 1024 * 1024 if kind == "local" else 48 * 1024 * 1024
    assert peak < limit, peak
