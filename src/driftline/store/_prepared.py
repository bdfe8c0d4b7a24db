"""A validated prediction batch waiting to be stored, and how to store it in parts.

A batch that spans many windows (or rows) can be cut into parts of at most ``max_windows``
windows and ``max_rows`` rows (:meth:`PreparedBatch.split`), each stored by its own,
bounded transaction, so that one large request does not hold the single writer for long;
:meth:`PreparedBatch.merge` then gives the one result the whole batch would have had.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.store._results import IngestResult, RejectedRow
from driftline.store._window_keys import time_window_keys

__all__ = ["PreparedBatch"]


@dataclass(frozen=True, eq=False)
class PreparedBatch:
    """A validated batch, ready to be stored (see :meth:`PredictionStore.prepare_batch`).

    ``table`` is the normalized batch, ``valid`` which of its rows passed validation,
    ``rejected`` the others with their reasons, ``refused`` whether ``all_or_nothing``
    refuses the batch (then nothing of it is stored), ``now`` when it was validated.
    ``window_kind`` and ``window_size`` are the version's windows, and ``windows`` how
    many windows the valid rows reach at most.
    """

    version_id: str
    table: pa.Table
    valid: np.ndarray
    rejected: tuple[RejectedRow, ...]
    refused: bool
    now: datetime
    window_kind: Literal["time", "rows"] = "time"
    window_size: int = 3600
    window_origin: int = 0
    windows: int = 1

    @property
    def valid_rows(self) -> int:
        """How many rows would be stored (before the duplicate check)."""
        return 0 if self.refused else int(self.valid.sum())

    def refusal(self) -> IngestResult:
        """The result of a batch that stores nothing without touching the database."""
        return IngestResult(0, (), (), self.rejected, (), not self.refused)

    def split(self, *, max_windows: int, max_rows: int) -> list[PreparedBatch]:
        """Parts of at most ``max_windows`` windows and ``max_rows`` valid rows (one part,
        ``self``, when the batch is within both; a refused batch is never split).

        Each part shares the table and keeps only its own rows valid; the rejected rows
        stay with the batch (see :meth:`merge`). Store the parts in order.
        """
        rows = self.valid_rows
        if self.refused or (self.windows <= max_windows and rows <= max_rows):
            return [self]
        # An id repeated in the batch is kept at its first row, as in one transaction:
        # its later rows (possibly in an earlier window, hence part) are duplicates now.
        positions = np.setdiff1d(np.flatnonzero(self.valid), self._repeats(), assume_unique=True)
        if self.window_kind == "time":
            keys = _time_keys(self.table, positions, self.window_size, self.window_origin)
            order = np.argsort(keys, kind="stable")
            _, counts = np.unique(keys[order], return_counts=True)
            chunk_sorted, windows = _chunks(counts, max_windows, max_rows)
            chunk = np.empty(len(positions), dtype=np.int64)
            chunk[order] = chunk_sorted
        else:  # consecutive rows fill consecutive windows: k rows reach <= k // size + 2
            per_part = max(1, min(max_rows, (max_windows - 2) * self.window_size))
            chunk = np.arange(len(positions)) // per_part
            windows = [min(self.windows, per_part // self.window_size + 2)] * (int(chunk[-1]) + 1)
        parts = []
        for index, reached in enumerate(windows):
            valid = np.zeros(len(self.valid), dtype=bool)
            valid[positions[chunk == index]] = True
            parts.append(replace(self, valid=valid, rejected=(), windows=int(reached)))
        return parts

    def _repeats(self) -> np.ndarray:
        """Valid rows whose (given) id appeared on an earlier valid row."""
        ids = self.table["prediction_id"]
        rows = np.flatnonzero(
            self.valid & ~np.asarray(pc.is_null(ids).to_numpy(zero_copy_only=False), dtype=bool)
        )
        if len(rows) == 0:
            return rows
        given = pa.table({"id": ids.take(pa.array(rows)), "pos": rows})
        if pc.count_distinct(given["id"]).as_py() == len(rows):
            return np.zeros(0, dtype=np.int64)
        first = given.group_by("id").aggregate([("pos", "min")])["pos_min"].to_numpy()
        return np.setdiff1d(rows, first, assume_unique=True)

    def merge(self, parts: list[PreparedBatch], results: list[IngestResult]) -> IngestResult:
        """The result of this batch from the results of its :meth:`split` ``parts`` (stored in
        order): ids in the batch's row order, exactly as if it had been stored at once.

        Within a part every given id is unique (repeats were set aside by :meth:`split`),
        so a part's row was stored exactly when its id is generated or among the part's
        accepted ids; those come back in row order, so rows and ids pair up in order.
        """
        ids = self.table["prediction_id"]
        repeats = self._repeats()
        stored_rows: list[np.ndarray] = []
        stored_ids: list[pa.Array] = []
        duplicate_rows: list[np.ndarray] = [repeats]
        batch_ids: list[str] = []
        for part, result in zip(parts, results, strict=True):
            rows = np.setdiff1d(np.flatnonzero(part.valid), repeats, assume_unique=True)
            given = ids.take(pa.array(rows))
            accepted = pa.array(result.prediction_ids, pa.string())
            kept = pc.or_(pc.is_null(given), pc.is_in(given, value_set=accepted))
            kept_np = np.asarray(kept.to_numpy(zero_copy_only=False), dtype=bool)
            if int(kept_np.sum()) != len(accepted):  # an invariant of store_prepared
                raise RuntimeError("a stored part's ids do not match its rows")
            stored_rows.append(rows[kept_np])
            stored_ids.append(accepted)
            duplicate_rows.append(rows[~kept_np])
            batch_ids.extend(result.batch_ids)
        rows_all = np.concatenate(stored_rows) if stored_rows else np.zeros(0, dtype=np.int64)
        ids_all = pa.concat_arrays(stored_ids) if stored_ids else pa.array([], pa.string())
        accepted_ids = ids_all.take(pa.array(np.argsort(rows_all, kind="stable")))
        duplicates = np.sort(np.concatenate(duplicate_rows))
        return IngestResult(
            len(accepted_ids),
            tuple(accepted_ids.to_pylist()),
            tuple(ids.take(pa.array(duplicates)).to_pylist()),
            self.rejected,
            tuple(batch_ids),
            True,
        )


def _time_keys(table: pa.Table, positions: np.ndarray, size: int, origin: int = 0) -> np.ndarray:
    micros = pc.fill_null(table["timestamp"].cast(pa.int64()), 0).to_numpy()
    return time_window_keys(micros[positions], size, origin)


def _chunks(counts: np.ndarray, max_windows: int, max_rows: int) -> tuple[np.ndarray, list[int]]:
    """Consecutive windows (``counts`` rows each, in order) cut into chunks within both
    limits (a window larger than ``max_rows`` is spread over several): the chunk of each
    row, and how many windows each chunk reaches."""
    chunk_of_segment: list[int] = []
    segment_rows: list[int] = []
    windows: list[int] = [0]
    rows = 0
    for n in counts.tolist():
        while n > 0:
            if windows[-1] >= max_windows or rows >= max_rows:
                windows.append(0)
                rows = 0
            take = min(n, max_rows - rows)
            chunk_of_segment.append(len(windows) - 1)
            segment_rows.append(take)
            windows[-1] += 1
            rows += take
            n -= take
    return np.repeat(np.array(chunk_of_segment, dtype=np.int64), segment_rows), windows
