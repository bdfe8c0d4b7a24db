"""Delivering one batch: the request with its retries, and the accounts of the server's answer.

Runs in the sender thread. Each row of a batch is accounted exactly once: acknowledged
(``rows_sent``, with ``rows_duplicate``), refused (``rows_rejected``, with the server's
reasons per row in a :class:`Rejection`) or given up on (``rows_failed``). A 413 halves
the batch and sends both halves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx
import pyarrow as pa

from driftline.client._bodies import ARROW_STREAM, combine, ipc_bytes, labels_body, to_tables
from driftline.client._convert import Records
from driftline.client._http import (
    AbortedError,
    RetryPolicy,
    error_from_response,
    request_with_retry,
)
from driftline.client._ledger import LABELS, Ledger, Target
from driftline.client._records import Rejection
from driftline.exceptions import DriftlineError

__all__ = ["Delivery", "IngestAnswer", "Resolver"]

Resolver = Callable[[str, str, str, Callable[[float], bool]], str]
_MAX_IDS_IN_REJECTION: Final = 100

logger = logging.getLogger("driftline.client")


@dataclass(frozen=True)
class IngestAnswer:
    """The parts of the server's answer to a prediction batch that the accounts need:
    ``accepted`` rows, ``duplicates`` (ids it already had) and ``rejected`` rows as
    ``(prediction id or None, row index or None, reasons)``.

    Read leniently: a field that is missing or of the wrong shape counts as empty, and
    ``accepted`` defaults to the rows neither duplicated nor rejected.

    >>> answer = IngestAnswer.read({"accepted": 1, "duplicates": ["a"],
    ...     "rejected": [{"row": 2, "prediction_id": None, "reasons": ["score: > 1"]}]}, 3)
    >>> answer.accepted, answer.duplicates, answer.rejected
    (1, 1, ((None, 2, ('score: > 1',)),))
    >>> IngestAnswer.read("not json", 3).accepted
    3
    """

    accepted: int
    duplicates: int
    rejected: tuple[tuple[str | None, int | None, tuple[str, ...]], ...]

    @classmethod
    def read(cls, body: object, n: int) -> IngestAnswer:
        data: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
        duplicates = data.get("duplicates")
        n_duplicates = len(duplicates) if isinstance(duplicates, list) else 0
        rejected = []
        entries = data.get("rejected")
        for entry in entries if isinstance(entries, list) else ():
            entry = entry if isinstance(entry, Mapping) else {}
            row, pid, why = entry.get("row"), entry.get("prediction_id"), entry.get("reasons")
            rejected.append(
                (
                    None if pid is None else str(pid),
                    row if isinstance(row, int) and not isinstance(row, bool) else None,
                    tuple(str(r) for r in why) if isinstance(why, list) else (),
                )
            )
        accepted = data.get("accepted")
        if not isinstance(accepted, int) or isinstance(accepted, bool):
            accepted = n - n_duplicates - len(rejected)
        return cls(accepted, n_duplicates, tuple(rejected))


class Delivery:
    """Sends batches of one :class:`~driftline.client.Client` and keeps the accounts.

    ``resolve`` gives a stream's URL (it may ask the server for the project, so it takes
    the ``wait`` function too); ``wait(seconds)`` backs off and returns True when the
    client is closing. ``delivered`` counts the rows of the current job accounted so far,
    so that an unexpected error can count the rest as failed.
    """

    def __init__(
        self,
        http: httpx.Client,
        resolve: Resolver,
        *,
        policy: RetryPolicy,
        compression: str | None,
        ledger: Ledger,
        wait: Callable[[float], bool],
    ) -> None:
        self._http = http
        self._resolve = resolve
        self._policy = policy
        self._compression = compression
        self._ledger = ledger
        self._wait = wait
        self.delivered = 0

    def send(self, target: Target, parts: list[pa.Table | Records]) -> None:
        """Convert the queued ``parts`` of ``target`` and deliver them, as few requests as
        their schemas allow. Unconvertible records are refused here."""
        self.delivered = 0
        tables, refused = to_tables(parts)
        for record, exc in refused:
            self._refuse_record(target, record, exc)
        for table in combine(tables):
            self._deliver(target, table)

    def _refuse_record(self, target: Target, record: dict[str, Any], exc: Exception) -> None:
        pid = str(record.get("prediction_id"))
        message = f"the record could not be converted to Arrow: {exc}"
        self._ledger.refused(target, 1)
        rejection = Rejection(
            target.model, target.version, target.kind, 1, None, message, (pid,),
            ((pid, (message,)),),
        )  # fmt: skip
        self._ledger.reject(rejection)
        logger.warning("driftline client: refused a record for %s: %s", target.label, message)
        self.delivered += 1

    def _deliver(self, target: Target, table: pa.Table) -> None:
        n = table.num_rows
        try:
            url = self._resolve(target.model, target.version, target.kind, self._wait)
            if target.kind == LABELS:
                body, content_type = labels_body(table), "application/json"
            else:
                body, content_type = ipc_bytes(table, self._compression), ARROW_STREAM
            response = request_with_retry(
                self._http, "POST", url, policy=self._policy, idempotent=True, wait=self._wait,
                content=body, headers={"Content-Type": content_type},
                on_attempt=lambda: self._ledger.add("requests"),
                on_retry=lambda reason, delay: self._on_retry(target, reason, delay),
            )  # fmt: skip
        except AbortedError as exc:
            self.record(target, n, failed=True, status=None, table=table,
                        message=f"client closed while retrying ({exc})")  # fmt: skip
            return
        except (httpx.HTTPError, DriftlineError) as exc:
            status = getattr(exc, "status", None)
            self.record(target, n, failed=True, status=status, table=table,
                        message=f"gave up after {self._policy.retries} retries: {exc}")  # fmt: skip
            return
        status = response.status_code
        if status == 413 and n > 1:  # too large for the server: halve and resend
            half = n // 2
            self._deliver(target, table.slice(0, half))
            self._deliver(target, table.slice(half))
            return
        if status >= 400:
            error = error_from_response(response)
            failed = status == 429 or status >= 500
            message = (
                f"gave up after {self._policy.retries} retries: {error}" if failed else str(error)
            )
            self.record(target, n, failed=failed, status=status, table=table, message=message)
            return
        if target.kind == LABELS:
            self._ledger.add("labels_sent", n)
        else:
            try:
                body_json: Any = response.json()
            except ValueError:
                body_json = None
            self._acknowledged(target, table, IngestAnswer.read(body_json, n))
        self.delivered += n

    def _acknowledged(self, target: Target, table: pa.Table, answer: IngestAnswer) -> None:
        with self._ledger.lock:
            self._ledger.add_locked("rows_sent", answer.accepted + answer.duplicates)
            self._ledger.add_locked("rows_duplicate", answer.duplicates)
            self._ledger.add_locked("rows_rejected", len(answer.rejected))
        if not answer.rejected:
            return
        ids = table["prediction_id"].to_pylist() if "prediction_id" in table.column_names else []
        reasons = []
        for pid, row, why in answer.rejected:
            if pid is None and row is not None and 0 <= row < len(ids):
                pid = ids[row]
            reasons.append((str(pid), why))
        self._ledger.reject(
            Rejection(
                model=target.model, version=target.version, kind=target.kind,
                rows=len(reasons), status=200, message="rows refused by the server",
                prediction_ids=tuple(p for p, _ in reasons), row_reasons=tuple(reasons),
            )
        )  # fmt: skip
        logger.warning(
            "driftline server refused %d of %d rows for %s; first: %s",
            len(reasons), table.num_rows, target.label, reasons[0],
        )  # fmt: skip

    def _on_retry(self, target: Target, reason: str, delay: float) -> None:
        self._ledger.add("retries")
        logger.info("driftline client: retrying %s in %.2f s (%s)", target.label, delay, reason)

    def record(
        self,
        target: Target,
        n: int,
        *,
        failed: bool,
        status: int | None,
        message: str,
        table: pa.Table | None,
    ) -> None:
        """Account ``n`` rows of ``target`` as given up on (``failed``) or refused."""
        if n <= 0:
            return
        ids: tuple[str, ...] = ()
        if table is not None and "prediction_id" in table.column_names:
            ids = tuple(table["prediction_id"].slice(0, _MAX_IDS_IN_REJECTION).to_pylist())
        if failed:
            self._ledger.failed(target, n)
        else:
            self._ledger.refused(target, n)
        self._ledger.reject(
            Rejection(target.model, target.version, target.kind, n, status, message, ids)
        )
        if failed:
            logger.error("driftline client: %d %s rows for %s not delivered: %s",
                         n, target.kind, target.label, message)  # fmt: skip
        else:
            logger.warning("driftline server refused %d %s rows for %s: %s",
                           n, target.kind, target.label, message)  # fmt: skip
