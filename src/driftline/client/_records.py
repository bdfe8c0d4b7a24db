"""What the SDK's sender counts and keeps: :class:`ClientStats` and :class:`Rejection`.

Plain records (no httpx): importable on a core install. The SDK's errors live in
:mod:`driftline.exceptions` (:class:`~driftline.exceptions.ApiError`,
:class:`~driftline.exceptions.ApiNotFoundError`,
:class:`~driftline.exceptions.ClientTimeoutError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ClientStats", "Rejection"]


@dataclass(frozen=True)
class ClientStats:
    """Counters of a :class:`~driftline.client.Client` since it was created.

    ``rows_sent``: prediction rows the server acknowledged as stored, including
    ``rows_duplicate``, the rows it already had (a batch retried after a lost answer, or ids
    logged twice); ``rows_rejected``: rows it refused (bad values, 4xx);
    ``rows_failed``: rows given up on after the retries, or abandoned at ``close``;
    ``rows_dropped``: rows never queued because the queue was full (non-blocking mode);
    ``labels_sent``: labels acknowledged; ``labels_failed``: labels refused, given up on
    or dropped; ``requests`` and ``retries``:
    HTTP requests made by the background sender and how many were retries;
    ``queue_rows``: rows queued or in flight now.

    Every logged prediction row ends up in exactly one of ``rows_sent``, ``rows_rejected``,
    ``rows_failed``, ``rows_dropped`` or (until resolved) ``queue_rows``.

    >>> ClientStats(rows_sent=3).rows_sent
    3
    """

    rows_sent: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    rows_failed: int = 0
    rows_dropped: int = 0
    labels_sent: int = 0
    labels_failed: int = 0
    requests: int = 0
    retries: int = 0
    queue_rows: int = 0


@dataclass(frozen=True)
class Rejection:
    """Rows the server refused, or the client gave up on, kept in ``Client.rejections``.

    ``rows`` is the number of rows concerned, ``prediction_ids`` the ids of the refused rows
    (at most the first 100 when a whole batch was refused), ``reasons`` the server's reasons
    (per row when ``row_reasons`` is set), ``status`` the HTTP status (``None`` when the
    server was unreachable and the client gave up after its retries).
    """

    model: str
    version: str
    kind: str
    rows: int
    status: int | None
    message: str
    prediction_ids: tuple[str, ...] = ()
    row_reasons: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
