"""A bounded on-disk queue of prediction batches (Arrow IPC files), oldest first.

Each batch is written to a temporary file, flushed to disk (``fsync``) and renamed into
place, so a crash leaves either the whole batch or none of it. Files are named by a
sequence number, so they are read back in the order written, across restarts.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Final

import pyarrow as pa

__all__ = ["SpillQueue"]

_SUFFIX: Final = ".arrow"
logger = logging.getLogger("driftline.serve")


class SpillQueue:
    """Batches on disk under ``directory``, at most ``max_bytes`` in all.

    >>> import tempfile
    >>> queue = SpillQueue(tempfile.mkdtemp(), max_bytes=1 << 20)
    >>> queue.put(pa.table({"x": [1.0, 2.0]}))
    True
    >>> path, table = queue.peek()
    >>> table.num_rows, queue.rows
    (2, 2)
    >>> queue.remove(path); queue.peek() is None
    True
    """

    def __init__(self, directory: str | os.PathLike[str], *, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._files: dict[Path, tuple[int, int]] = {}  # path -> (bytes, rows)
        for tmp in self.directory.glob("*.tmp"):  # a write cut short by a crash
            tmp.unlink(missing_ok=True)
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            try:
                rows = _read(path).num_rows
            except (OSError, pa.ArrowException):
                self._quarantine(path)
                continue
            self._files[path] = (path.stat().st_size, rows)
        self._seq = max((int(p.stem) for p in self._files if p.stem.isdigit()), default=0)

    @property
    def bytes(self) -> int:
        with self._lock:
            return sum(size for size, _ in self._files.values())

    @property
    def rows(self) -> int:
        with self._lock:
            return sum(rows for _, rows in self._files.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)

    def put(self, table: pa.Table) -> bool:
        """Write ``table`` as the newest batch; False (nothing written) if it does not fit."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue().to_pybytes()
        with self._lock:
            if sum(size for size, _ in self._files.values()) + len(data) > self.max_bytes:
                return False
            self._seq += 1
            path = self.directory / f"{self._seq:020d}{_SUFFIX}"
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
            self._files[path] = (len(data), table.num_rows)
        return True

    def peek(self) -> tuple[Path, pa.Table] | None:
        """The oldest batch and its file, or None when the queue is empty."""
        while True:
            with self._lock:
                if not self._files:
                    return None
                path = min(self._files)
            try:
                return path, _read(path)
            except (OSError, pa.ArrowException):
                with self._lock:
                    self._files.pop(path, None)
                self._quarantine(path)

    def remove(self, path: Path) -> None:
        """Forget a batch once it is delivered."""
        with self._lock:
            self._files.pop(path, None)
        path.unlink(missing_ok=True)

    def _quarantine(self, path: Path) -> None:
        bad = path.with_suffix(".bad")
        logger.error("driftline serve: unreadable spill file %s moved to %s", path, bad)
        try:
            path.replace(bad)
        except OSError:
            logger.exception("driftline serve: could not move %s aside", path)


def _read(path: Path) -> pa.Table:
    return pa.ipc.open_stream(path.read_bytes()).read_all()
