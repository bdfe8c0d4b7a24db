"""The SDK's ingestion calls: predictions and labels (queued), precomputed profiles (synchronous)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.client._api import DEFAULT_COLUMNS, ApiBase
from driftline.client._bodies import ARROW_STREAM, ipc_bytes
from driftline.client._convert import (
    Records,
    add_ids_and_time,
    as_records,
    labels_table,
    prepare_records,
    row_count,
    to_table,
)
from driftline.client._ids import new_ids
from driftline.client._ledger import LABELS, PREDICTIONS, Target
from driftline.client._models import PROFILE_TYPE
from driftline.client._results import IngestReceipt, ProfileReceipt
from driftline.client._sender import Sender
from driftline.client._util import iso
from driftline.exceptions import DataError, ParameterError

__all__ = ["IngestMixin"]


class IngestMixin(ApiBase):
    """Logging predictions, labels and profiles (needs the ``Sender`` that ``Client`` makes)."""

    block: bool
    _sender: Sender

    def log_predictions(
        self,
        model: str,
        version: str,
        data: object,
        *,
        ids: Sequence[str] | None = None,
        timestamps: object = None,
    ) -> list[str]:
        """Queue prediction rows for sending; return their prediction ids (to log labels with).

        ``data``: a pandas or polars DataFrame, a pyarrow Table or RecordBatch, a dict of
        columns, one record as a dict of scalars, or a list of records. Each row holds the
        version's features and its score and/or prediction. Ids come from ``ids``, else
        from the data's ``prediction_id`` column, else are generated (UUIDv7, time-ordered);
        timestamps from ``timestamps`` (one per row, or one for all), else the data's
        ``timestamp`` column, else the time of this call.

        The rows are sent in the background; see the class docstring for blocking and
        non-blocking behaviour. Ids are returned even for rows dropped by a full queue.
        """
        self._check_open()
        target = Target(str(model), str(version), PREDICTIONS)
        id_column, ts_column = self._columns.get((target.model, target.version), DEFAULT_COLUMNS)
        if not self.block:  # a full queue drops the rows: skip converting them
            n = row_count(data, id_column)
            if n is not None and self._sender.would_drop(n):
                id_list = [str(i) for i in ids] if ids is not None else new_ids(n)
                if len(id_list) != n:
                    raise DataError(f"'ids' has {len(id_list)} values but the data has {n} rows.")
                self._sender.drop(target, n)
                return id_list
        records = as_records(data)
        rows: pa.Table | Records
        if records is not None:  # converted to Arrow by the sender, many calls at once
            rows, id_list = prepare_records(
                records, ids=ids, timestamps=timestamps, id_column=id_column,
                timestamp_column=ts_column,
            )  # fmt: skip
        else:
            table = to_table(data)
            if table.num_rows == 0:
                return []
            rows, id_list = add_ids_and_time(
                table, ids=ids, timestamps=timestamps, id_column=id_column,
                timestamp_column=ts_column,
            )  # fmt: skip
        self._sender.put(target, rows, block=self.block, timeout=self.timeout)
        return id_list

    def send_predictions(self, model: str, version: str, table: pa.Table) -> IngestReceipt:
        """Post prediction rows now, in one request, and return the server's receipt.

        Synchronous, unlike :meth:`log_predictions`: for callers that keep their own
        durable queue and must know whether a batch arrived. ``table`` holds the version's
        columns with a ``prediction_id`` for every row, so that a batch sent again (after a
        lost answer) is stored once: the ids come back in ``duplicates``. Connection errors,
        5xx and 429 are retried as the client's ``retries`` say; then :class:`ApiError`
        (``status`` None when the server was unreachable) is raised.
        """
        self._check_open()
        if not isinstance(table, pa.Table):
            raise ParameterError(
                f"send_predictions takes a pyarrow.Table; got {type(table).__name__}."
            )
        path = f"{self._version_path(str(model), str(version))}/predictions"
        return self._one(
            IngestReceipt.from_dict, "POST", path, content=ipc_bytes(table, None),
            headers={"Content-Type": ARROW_STREAM}, idempotent=True,
        )  # fmt: skip

    def log_labels(
        self,
        model: str,
        version: str,
        ids: Sequence[str],
        labels: Sequence[Any] | np.ndarray,
    ) -> None:
        """Queue labels (ground truth) for earlier predictions, joined by prediction id.

        Labels are numbers: 0/1 or a class index for classification, floats for regression.
        A label may arrive before its prediction; the server keeps it until the prediction
        does. Sent in the background like predictions.
        """
        self._check_open()
        table = labels_table(ids, labels)
        if table.num_rows:
            target = Target(str(model), str(version), LABELS)
            self._sender.put(target, table, block=self.block, timeout=self.timeout)

    def log_profile(
        self,
        model: str,
        version: str,
        profile: object,
        *,
        start: datetime | str | None = None,
        window_key: int | None = None,
    ) -> ProfileReceipt:
        """Merge a precomputed ``DatasetProfile`` (e.g. from a Dask or Spark job) into a window.

        Synchronous. Give the window by its ``start`` (time windows) or ``window_key``.
        Returns the window's key and the profile's row count.
        """
        self._check_open()
        payload = profile.to_bytes() if callable(getattr(profile, "to_bytes", None)) else profile  # type: ignore[attr-defined]
        if not isinstance(payload, bytes | bytearray):
            raise ParameterError(
                f"profile must be a DatasetProfile or its bytes; got {type(profile).__name__}."
            )
        params: dict[str, Any] = {}
        if start is not None:
            params["start"] = iso(start)
        if window_key is not None:
            params["window_key"] = int(window_key)
        return self._one(
            ProfileReceipt.from_dict, "POST", f"{self._version_path(model, str(version))}/profiles",
            params=params, content=bytes(payload), headers={"Content-Type": PROFILE_TYPE},
            idempotent=False,
        )  # fmt: skip
