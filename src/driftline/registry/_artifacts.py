"""A content-addressed artifact store over fsspec: a local folder, or S3-compatible storage.

An artifact is stored once under ``sha256/<first two hex digits>/<the other 62>`` of its
root. Writes are spooled to a temporary file while they are hashed and counted (bounded
memory, whatever the size), checked (size limit, expected digest), then published in one
step: a rename on a local disk, one object ``PUT`` on S3 (an object appears whole or not
at all). A failed upload leaves nothing behind. Reads hash what they return and raise
:class:`~driftline.exceptions.DigestMismatchError` when the stored bytes are not the ones
that were written.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar, Final

from driftline._deps import require
from driftline._params import Constraints, InstanceOf, Interval, validate
from driftline.exceptions import DataError, DigestMismatchError, NotFoundError, ParameterError

__all__ = ["ArtifactInfo", "ArtifactStore", "ArtifactUpload", "check_digest"]

_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK: Final = 1 << 20
_S3_PART: Final = 8 << 20  # S3 multipart part size (S3's minimum is 5 MiB)


def check_digest(digest: object, parameter: str = "digest") -> str:
    """``digest`` if it is a sha256 hex digest (64 lowercase hex characters), else an error.

    >>> check_digest("AB" * 32)
    'abababababababababababababababababababababababababababababababab'
    >>> check_digest("abc")
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The 'digest' parameter must be a sha256 hex digest (64 hex characters); got 'abc'.
    """
    if isinstance(digest, str):
        lowered = digest.strip().lower()
        if lowered.startswith("sha256:"):
            lowered = lowered[len("sha256:") :]
        if _DIGEST.fullmatch(lowered):
            return lowered
    shown = digest if not isinstance(digest, str) or len(digest) <= 80 else digest[:80] + "..."
    raise ParameterError(
        f"The {parameter!r} parameter must be a sha256 hex digest (64 hex characters); "
        f"got {shown!r}."
    )


@dataclass(frozen=True)
class ArtifactInfo:
    """A stored artifact: its sha256 ``digest``, ``size`` in bytes and ``key`` in the store."""

    digest: str
    size: int
    key: str

    def to_dict(self) -> dict[str, Any]:
        """``{"digest", "size", "key"}``."""
        return {"digest": self.digest, "size": self.size, "key": self.key}


class ArtifactUpload:
    """An upload in progress: :meth:`write` chunks, then :meth:`commit` (or :meth:`abort`).

    Made by :meth:`ArtifactStore.begin`. The bytes go to a temporary file as they come,
    hashed and counted; nothing is visible in the store before :meth:`commit` has checked
    them. Usable as a context manager: leaving the block without a commit aborts.
    """

    def __init__(
        self, store: ArtifactStore, *, expected_sha256: str | None, max_bytes: int | None
    ) -> None:
        self._store = store
        self.expected = None if expected_sha256 is None else check_digest(expected_sha256)
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        self.digest: str | None = None
        spool_dir = store._spool_dir()
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=spool_dir)
        self._path = Path(name)
        self._file: IO[bytes] | None = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        """Add ``chunk``; a :class:`~driftline.exceptions.DataError` past ``max_bytes``."""
        if self._file is None:
            raise ParameterError("This upload is finished; begin a new one.")
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            self.abort()
            raise DataError(
                f"The artifact is larger than the limit of {self.max_bytes} bytes "
                "(max_artifact_bytes); store a smaller artifact or raise the limit."
            )
        self._hash.update(chunk)
        self._file.write(chunk)

    @property
    def path(self) -> Path:
        """The spooled file (complete once :meth:`finish` returned; inspect it before
        :meth:`commit` publishes it)."""
        return self._path

    def finish(self) -> str:
        """Stop writing and check the digest; the content's sha256. A mismatch with the
        expected digest raises :class:`~driftline.exceptions.DigestMismatchError` and
        drops the upload."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self.digest = self._hash.hexdigest()
        if self.digest is None:
            raise ParameterError("This upload was aborted; begin a new one.")
        if self.expected is not None and self.digest != self.expected:
            actual = self.digest
            self.abort()
            raise DigestMismatchError(
                f"The uploaded content hashes to sha256 {actual}, not to the expected "
                f"{self.expected}: it was corrupted or truncated on the way. Nothing was "
                "stored; upload it again.",
                expected=self.expected,
                actual=actual,
            )
        return self.digest

    def commit(self) -> ArtifactInfo:
        """Check the digest (:meth:`finish`) and publish the artifact (once per content)
        in one step."""
        digest = self.finish()
        try:
            self._store._publish(self._path, digest)
        finally:
            self.abort()
        return ArtifactInfo(digest, self.size, self._store.key_of(digest))

    def abort(self) -> None:
        """Drop the spooled file (what was published stays published)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.digest = None
        self._path.unlink(missing_ok=True)

    def __enter__(self) -> ArtifactUpload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


class ArtifactStore:
    """Content-addressed storage of model artifacts at ``url`` (through fsspec).

    ``url`` is a local folder (a path or ``file://``) or ``s3://bucket/prefix`` (needs
    ``s3fs``: ``pip install 'driftline[s3]'``; ``storage_options`` go to the file system,
    e.g. ``{"endpoint_url": "http://127.0.0.1:9000"}`` for an S3-compatible server).
    Artifacts live under ``sha256/ab/cdef...``; reads and writes go ``chunk_size`` bytes
    at a time.

    >>> import tempfile
    >>> store = ArtifactStore(tempfile.mkdtemp())
    >>> info = store.put_bytes(b"model bytes")
    >>> info.key
    'sha256/9c/b7487000bc86ac36ce83c4acfabe8878552be99572a6770f65ab1d048a5c48'
    >>> store.read_bytes(info.digest)
    b'model bytes'
    >>> store.put_bytes(b"other", expected_sha256=info.digest)
    Traceback (most recent call last):
    ...
    driftline.exceptions.DigestMismatchError: The uploaded content hashes to sha256 ...
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "url": [InstanceOf((str, os.PathLike), "a folder path or an fsspec URL")],
        "storage_options": [InstanceOf((Mapping,), "a mapping of options"), None],
        "chunk_size": [Interval("int", 1024, None)],
    }

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        storage_options: Mapping[str, Any] | None = None,
        chunk_size: int = _CHUNK,
    ) -> None:
        params = validate(self, locals())
        self.chunk_size: int = params["chunk_size"]
        text = os.fspath(url)
        if not text:
            raise ParameterError("The 'url' parameter of ArtifactStore must not be empty.")
        self.url = text
        self.storage_options = dict(storage_options or {})
        fsspec_core = require("fsspec.core", extra="registry")
        if text.startswith("s3://") or text.startswith("s3a://"):
            require("s3fs", extra="s3")
        self._fs, root = fsspec_core.url_to_fs(text, **self.storage_options)
        self.local = "file" in _protocols(self._fs)
        self._root = str(root).rstrip("/")
        if self.local:
            Path(self._root).mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"ArtifactStore({self.url!r})"

    @classmethod
    def for_database(
        cls, database_url: str, *, home: str | os.PathLike[str] = ".driftline"
    ) -> ArtifactStore:
        """The default store of a database: ``artifacts/`` next to a SQLite file, else
        ``<home>/artifacts`` (PostgreSQL, in-memory SQLite).

        >>> ArtifactStore.for_database("sqlite:////tmp/dl-doc/driftline.db").url
        '/tmp/dl-doc/artifacts'
        """
        from sqlalchemy.engine import make_url

        parsed = make_url(database_url)
        database = parsed.database
        if (
            parsed.get_backend_name() == "sqlite"
            and database
            and database != ":memory:"
            and not database.startswith("file:")
        ):
            return cls(str(Path(database).expanduser().parent / "artifacts"))
        return cls(str(Path(home).expanduser() / "artifacts"))

    # keys -------------------------------------------------------------------------------
    @staticmethod
    def key_of(digest: str) -> str:
        """Where an artifact lives in the store: ``sha256/ab/cdef...``.

        >>> ArtifactStore.key_of("ab" + "0" * 62)
        'sha256/ab/00000000000000000000000000000000000000000000000000000000000000'
        """
        digest = check_digest(digest)
        return f"sha256/{digest[:2]}/{digest[2:]}"

    def _full(self, digest: str) -> str:
        return f"{self._root}/{self.key_of(digest)}"

    def _spool_dir(self) -> str | None:
        if self.local:
            spool = Path(self._root) / "tmp"
            spool.mkdir(parents=True, exist_ok=True)
            return str(spool)
        return None  # the system's temporary directory

    def _publish(self, spooled: Path, digest: str) -> None:
        target = self._full(digest)
        if self.local:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            if not Path(target).exists():
                os.replace(spooled, target)  # atomic on one file system
            return
        if self._fs.exists(target):
            return
        if "s3" in _protocols(self._fs):
            # Multipart in parts of _S3_PART, one at a time: bounded memory; the object
            # appears whole when the upload completes, or not at all.
            self._fs.put_file(str(spooled), target, chunksize=_S3_PART, max_concurrency=1)
        else:
            self._fs.put_file(str(spooled), target)

    # writing ----------------------------------------------------------------------------
    def begin(
        self, *, expected_sha256: str | None = None, max_bytes: int | None = None
    ) -> ArtifactUpload:
        """Start an upload; write its chunks, then :meth:`ArtifactUpload.commit`."""
        return ArtifactUpload(self, expected_sha256=expected_sha256, max_bytes=max_bytes)

    def put_stream(
        self,
        chunks: Iterable[bytes],
        *,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> ArtifactInfo:
        """Store the concatenation of ``chunks`` (checked against ``expected_sha256``)."""
        with self.begin(expected_sha256=expected_sha256, max_bytes=max_bytes) as upload:
            for chunk in chunks:
                upload.write(chunk)
            return upload.commit()

    def put_file(
        self,
        path: str | os.PathLike[str],
        *,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> ArtifactInfo:
        """Store the file at ``path``."""
        source = Path(path)
        if not source.is_file():
            raise DataError(f"The artifact file {str(source)!r} does not exist or is not a file.")
        with source.open("rb") as fh:
            return self.put_stream(
                iter(lambda: fh.read(self.chunk_size), b""),
                expected_sha256=expected_sha256,
                max_bytes=max_bytes,
            )

    def put_bytes(self, data: bytes, *, expected_sha256: str | None = None) -> ArtifactInfo:
        """Store ``data`` (small artifacts and tests)."""
        return self.put_stream([bytes(data)], expected_sha256=expected_sha256)

    # reading ----------------------------------------------------------------------------
    def exists(self, digest: str) -> bool:
        """Whether the store holds the artifact ``digest``."""
        return bool(self._fs.exists(self._full(digest)))

    def size(self, digest: str) -> int:
        """The stored size of ``digest`` in bytes."""
        self._need(digest)
        return int(self._fs.size(self._full(digest)))

    def _need(self, digest: str) -> None:
        if not self.exists(digest):
            raise NotFoundError(
                f"The artifact store {self.url!r} holds no artifact with sha256 {digest}."
            )

    def iter_chunks(self, digest: str) -> Iterator[bytes]:
        """The artifact's bytes, ``chunk_size`` at a time; the last step checks the digest
        (:class:`~driftline.exceptions.DigestMismatchError` if the stored bytes changed)."""
        digest = check_digest(digest)
        self._need(digest)
        return self._chunks(digest)

    def _chunks(self, digest: str) -> Iterator[bytes]:
        hasher = hashlib.sha256()
        # Remote reads: ranged requests with a small read-ahead (bounded memory).
        options = {} if self.local else {"block_size": _S3_PART, "cache_type": "readahead"}
        with self._fs.open(self._full(digest), "rb", **options) as fh:
            while chunk := fh.read(self.chunk_size):
                hasher.update(chunk)
                yield chunk
        actual = hasher.hexdigest()
        if actual != digest:
            raise DigestMismatchError(
                f"The stored artifact {self.key_of(digest)} in {self.url!r} hashes to {actual}: "
                "it is corrupted (changed after it was written). Upload it again.",
                expected=digest,
                actual=actual,
            )

    def get_file(self, digest: str, destination: str | os.PathLike[str]) -> Path:
        """Copy the artifact to ``destination`` (written whole or not at all, verified)."""
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self.iter_chunks(digest):
                    out.write(chunk)
            os.replace(name, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
        return target

    def read_bytes(self, digest: str) -> bytes:
        """The artifact's bytes (verified); for small artifacts."""
        return b"".join(self.iter_chunks(digest))


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)
