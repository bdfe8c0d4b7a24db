"""``driftline.Client``: the Python SDK of the driftline monitoring server.

The calls live in one mixin per concept (models and versions, ingestion, windows, alerts)
on top of the shared HTTP plumbing (``_api.ApiBase``); this module puts them together
with the parameters, the background sender and the client's life cycle.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
from types import TracebackType
from typing import ClassVar, Final, Self

from driftline._params import BOOLEAN, Constraints, InstanceOf, Interval, Options, validate
from driftline.client._alerts import AlertsMixin
from driftline.client._api import API
from driftline.client._http import RetryPolicy
from driftline.client._ingest import IngestMixin
from driftline.client._models import ModelsMixin
from driftline.client._records import ClientStats, Rejection
from driftline.client._registry import RegistryMixin
from driftline.client._results import Health, Identity
from driftline.client._sender import Sender
from driftline.client._windows import WindowsMixin
from driftline.exceptions import ParameterError

__all__ = ["Client"]

_ATEXIT_TIMEOUT: Final = 2.0

logger = logging.getLogger("driftline.client")


class Client(ModelsMixin, IngestMixin, WindowsMixin, AlertsMixin, RegistryMixin):
    """Talks to a driftline server: register models, log predictions and labels, read results.

    ``url`` is the server's address (``http://host:8000``); ``token`` an API token
    (``dl_<id>_<secret>``). ``project`` defaults to the token's project (asked from the
    server on first use, never in the constructor).

    Logging is asynchronous: :meth:`log_predictions` and :meth:`log_labels` give each
    prediction a time-ordered id (UUIDv7) and a timestamp and queue the rows, converted to
    Arrow once (frames and tables at once, records by the sender thread, many calls
    together); a daemon thread sends Arrow IPC bodies of up to ``batch_size`` rows per
    model version, at least every ``flush_interval`` seconds, retrying connection errors,
    5xx and 429 (honouring ``Retry-After``) up to ``retries`` times with exponential
    backoff from ``backoff`` seconds and jitter. A retried batch carries the same ids, so
    the server stores it once. Other 4xx answers and rows the server refuses are counted in
    :attr:`stats` and kept in :attr:`rejections` (the last 100).

    With ``block=True`` a full queue (``max_queue_rows``) makes the logging call wait for
    space, for at most ``timeout`` seconds. With ``block=False`` the caller's thread never
    waits on the network or the queue: when the queue is full the new rows are dropped and
    counted in ``stats.rows_dropped`` (with a rate-limited warning).

    ``compression`` ("zstd" or "lz4") compresses the Arrow buffers of prediction bodies.
    ``timeout`` is also the HTTP timeout of each request. :meth:`flush` waits for delivery,
    :meth:`close` (or leaving a ``with`` block) flushes and stops; at interpreter exit an
    unclosed client flushes for at most 2 s. A client may be shared between threads.

    ::

        with Client("http://127.0.0.1:8000", token) as client:
            client.create_model("scorer", exist_ok=True)
            client.register_version("scorer", "3", reference=reference_df, target="label")
            ids = client.log_predictions("scorer", "3", batch_df)
            client.log_labels("scorer", "3", ids, labels)
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "project": [InstanceOf((str,), "a project name"), None],
        "timeout": [Interval("real", 0, None, closed="neither")],
        "batch_size": [Interval("int", 1, None)],
        "flush_interval": [Interval("real", 0, None, closed="neither")],
        "max_queue_rows": [Interval("int", 1, None)],
        "block": [BOOLEAN],
        "retries": [Interval("int", 0, None)],
        "backoff": [Interval("real", 0, None)],
        "compression": [Options("zstd", "lz4"), None],
    }

    def __init__(
        self,
        url: str,
        token: str,
        *,
        project: str | None = None,
        timeout: float = 10.0,
        batch_size: int = 1000,
        flush_interval: float = 1.0,
        max_queue_rows: int = 100_000,
        block: bool = True,
        retries: int = 5,
        backoff: float = 0.5,
        compression: str | None = None,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ParameterError(
                f"The 'url' parameter must be an http(s) URL such as 'http://127.0.0.1:8000'; "
                f"got {url!r}."
            )
        if not isinstance(token, str) or not token.strip():
            raise ParameterError(
                "The 'token' parameter must be an API token string ('dl_<id>_<secret>'); "
                "create one with `driftline project create NAME`."
            )
        params = validate(self, locals())
        base = url.rstrip("/")
        if base.endswith(API):
            base = base[: -len(API)]
        policy = RetryPolicy(retries=params["retries"], backoff=params["backoff"])
        super().__init__(base, token, project=project, timeout=params["timeout"], policy=policy)
        self.block = params["block"]
        self._sender = Sender(
            self._http,
            self._stream_url,
            policy=policy,
            batch_size=params["batch_size"],
            flush_interval=params["flush_interval"],
            max_queue_rows=params["max_queue_rows"],
            compression=compression,
        )
        atexit.register(self._close_at_exit)

    def __repr__(self) -> str:
        return f"Client(url={self.url!r}, project={self._project!r}, block={self.block})"

    @property
    def project(self) -> str:
        """The project this client works in (asked from the server if not given)."""
        return self._project_name()

    def health(self) -> Health:
        """The server's health: status, version, database and monitor (needs no token)."""
        return self._one(Health.from_dict, "GET", f"{API}/health")

    def me(self) -> Identity:
        """What the token is: its project, role and id."""
        return self._one(Identity.from_dict, "GET", f"{API}/me")

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait until every row logged before this call is acknowledged (or refused or given up).

        Raises :class:`ClientTimeoutError` (with ``.pending``) if rows are still unsent after
        ``timeout`` seconds; they stay queued. Refused and failed rows are in :attr:`stats`
        and :attr:`rejections`.
        """
        self._sender.flush(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Flush (for up to ``timeout`` seconds), stop the sender and close the connections.

        Rows still unsent afterwards are counted in ``stats.rows_failed`` and logged.
        """
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            atexit.unregister(self._close_at_exit)
        try:
            self._sender.close(timeout)
        finally:
            self._http.close()

    def _close_at_exit(self) -> None:
        try:
            self.close(_ATEXIT_TIMEOUT)
        except Exception:  # interpreter shutdown: never raise from an atexit hook
            logger.exception("driftline client: error while flushing at exit")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def stats(self) -> ClientStats:
        """Counters of rows sent, refused, failed, dropped, requests, retries and the queue."""
        return self._sender.stats()

    @property
    def rejections(self) -> list[Rejection]:
        """The last 100 refused or undelivered batches/rows, oldest first."""
        return list(self._sender.rejections)
