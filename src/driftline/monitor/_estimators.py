"""Fitted performance estimators (CBPE / DLE), cached per model version, bounded in size."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any, Final

import numpy as np
import pyarrow as pa

from driftline.exceptions import DataError

__all__ = ["EstimatorCache", "band_chunk_size"]

#: Label column names accepted in a version's stored reference data, first match wins.
LABEL_COLUMNS: Final = ("label", "target", "y_true")


def band_chunk_size(n_rows: int, window_kind: str, window_size: int) -> int:
    """Chunk size of the reference chunks that give a window's alert band.

    Row windows: the window size. Time windows: the smallest size of the geometric grid
    ``round(2^(k/2))`` (ratio sqrt(2)) that is at least the window's rows, so the window is
    one chunk and the band comes from reference chunks at most ~1.41x larger (band sd
    at most ~19% narrower than for chunks of exactly the window's size); a grid keeps the
    number of fitted estimators per version small (about 2 per doubling of window rows).

    >>> band_chunk_size(1000, "rows", 5000), band_chunk_size(1000, "time", 3600)
    (5000, 1024)
    >>> band_chunk_size(1100, "time", 3600)
    1448
    """
    if window_kind == "rows":
        return max(int(window_size), 1)
    n = max(int(n_rows), 1)
    k = max(0, math.ceil(2 * math.log2(n)) - 1)
    while round(2 ** (k / 2)) < n:
        k += 1
    return round(2 ** (k / 2))


def _label_column(table: pa.Table) -> str | None:
    for name in LABEL_COLUMNS:
        if name in table.column_names:
            return name
    return None


class EstimatorCache:
    """LRU cache of fitted estimators keyed by (version, reference fingerprint, chunk size).

    At most ``max_entries`` estimators are kept, so memory does not grow with the stream.
    """

    def __init__(self, max_entries: int = 32) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str, int], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.fits = 0

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get(
        self, version_id: str, fingerprint: str, chunk_size: int, task: str, reference: pa.Table
    ) -> Any:
        """A fitted CBPE (binary) or DLE (regression) for this version and chunk size."""
        key = (version_id, fingerprint, chunk_size)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        fitted = _fit(task, reference, chunk_size)
        self.fits += 1
        with self._lock:
            self._items[key] = fitted
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return fitted


def reference_arrays(
    reference: pa.Table,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(score, prediction, label) of stored reference rows that carry a label."""
    label_name = _label_column(reference)
    if label_name is None:
        raise DataError(
            "The version's reference data has no label column (one of "
            f"{list(LABEL_COLUMNS)}); columns: {reference.column_names}."
        )

    def col(name: str) -> np.ndarray | None:
        if name not in reference.column_names:
            return None
        return np.asarray(
            reference[name].cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )

    label = col(label_name)
    assert label is not None
    score = col("score")
    prediction = col("prediction")
    keep = ~np.isnan(label)
    empty = np.full(len(label), np.nan)
    return (
        (score if score is not None else empty)[keep],
        None if prediction is None else prediction[keep],
        label[keep],
    )


def _fit(task: str, reference: pa.Table, chunk_size: int) -> Any:
    score, prediction, label = reference_arrays(reference)
    if task == "binary":
        from driftline.estimate import CBPE

        ok = ~np.isnan(score)
        if ok.sum() < 2:
            raise DataError("The version's reference data has no scores with labels.")
        y_pred = None
        if prediction is not None and not np.isnan(prediction[ok]).any():
            y_pred = prediction[ok].astype(np.int64)
        return CBPE(chunk_size=chunk_size).fit(  # every estimable metric of the registry
            None, y_score=score[ok], y_true=label[ok].astype(np.int64), y_pred=y_pred
        )
    if task == "regression":
        import pandas as pd

        from driftline.estimate import DLE

        pred = prediction if prediction is not None else score
        ok = ~np.isnan(pred)
        if ok.sum() < 2:
            raise DataError("The version's reference data has no predictions with labels.")
        frame = pd.DataFrame({"prediction": pred[ok], "label": label[ok]})
        return DLE(chunk_size=chunk_size).fit(  # every estimable metric of the registry
            frame, features=[], y_pred="prediction", y_true="label"
        )
    raise DataError(  # pragma: no cover - callers check the task first
        f"No performance estimator for task {task!r}."
    )
