"""Records of the SDK: rows the server refused. The SDK's errors live in
:mod:`driftline.exceptions` (:class:`~driftline.exceptions.ApiError`,
:class:`~driftline.exceptions.ApiNotFoundError`,
:class:`~driftline.exceptions.ClientTimeoutError`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Rejection"]


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
