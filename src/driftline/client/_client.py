"""``driftline.Client``: the Python SDK of the driftline monitoring server."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Final, Self

import httpx
import numpy as np
import pyarrow as pa

from driftline._version import __version__
from driftline.client._alerts import AlertsMixin
from driftline.client._convert import (
    Records,
    add_ids_and_time,
    as_records,
    check_task,
    infer_schema,
    labels_table,
    parse_window,
    prepare_records,
    row_count,
    to_table,
)
from driftline.client._errors import Rejection
from driftline.client._http import RetryPolicy, error_from_response, request_with_retry, sleep
from driftline.client._ids import new_ids
from driftline.client._sender import (
    ARROW_STREAM,
    LABELS,
    PREDICTIONS,
    ClientStats,
    Sender,
    ipc_bytes,
)
from driftline.client._util import iso, quote_name, unwrap
from driftline.exceptions import ApiError, DataError, ParameterError

__all__ = ["Client"]

PROFILE_TYPE: Final = "application/vnd.driftline.profile"
_API: Final = "/api/v1"
_DEFAULT_COLUMNS: Final = ("prediction_id", "timestamp")
_ATEXIT_TIMEOUT: Final = 2.0
_COMPRESSIONS: Final = (None, "zstd", "lz4")

logger = logging.getLogger("driftline.client")


def _positive(name: str, value: float, *, integer: bool = False, zero: bool = False) -> None:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if not ok or isinstance(value, bool) or value < 0 or (value == 0 and not zero):
        kind = "integer" if integer else "number"
        bound = ">= 0" if zero else "> 0"
        raise ParameterError(f"The {name!r} parameter must be a {kind} {bound}; got {value!r}.")


class Client(AlertsMixin):
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
        _positive("timeout", timeout)
        _positive("batch_size", batch_size, integer=True)
        _positive("flush_interval", flush_interval)
        _positive("max_queue_rows", max_queue_rows, integer=True)
        _positive("retries", retries, integer=True, zero=True)
        _positive("backoff", backoff, zero=True)
        if compression not in _COMPRESSIONS:
            raise ParameterError(
                f"The 'compression' parameter must be one of {list(_COMPRESSIONS)}; "
                f"got {compression!r}."
            )
        base = url.rstrip("/")
        if base.endswith(_API):
            base = base[: -len(_API)]
        self.url = base
        self.timeout = float(timeout)
        self.block = bool(block)
        self._project = project
        self._project_lock = threading.Lock()
        self._policy = RetryPolicy(retries=retries, backoff=float(backoff))
        self._http = httpx.Client(
            base_url=base,
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "User-Agent": f"driftline-client/{__version__}",
                "Accept": "application/json",
            },
            timeout=timeout,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
        )
        self._columns: dict[tuple[str, str], tuple[str, str]] = {}
        self._sender = Sender(
            self._http,
            self._stream_url,
            policy=self._policy,
            batch_size=batch_size,
            flush_interval=float(flush_interval),
            max_queue_rows=max_queue_rows,
            compression=compression,
        )
        self._closed = False
        atexit.register(self._close_at_exit)

    def __repr__(self) -> str:
        return f"Client(url={self.url!r}, project={self._project!r}, block={self.block})"

    # plumbing --------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        wait: Callable[[float], bool] = sleep,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        safe = method in ("GET", "PUT", "DELETE") if idempotent is None else idempotent
        try:
            response = request_with_retry(
                self._http, method, path, policy=self._policy, idempotent=safe, wait=wait, **kwargs
            )
        except httpx.TransportError as exc:
            raise ApiError(
                f"Could not reach the driftline server at {self.url} ({method} {path}): "
                f"{type(exc).__name__}: {exc}. Is the server running and the URL right?",
                status=None,
                code="connection_error",
                method=method,
                url=f"{self.url}{path}",
            ) from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(
                f"{method} {path}: the server's answer is not JSON: {response.text[:200]!r}",
                status=response.status_code,
                code="bad_response",
            ) from exc

    def _project_name(self, wait: Callable[[float], bool] = sleep) -> str:
        if self._project is None:
            with self._project_lock:
                if self._project is None:
                    me = self._json("GET", f"{_API}/me", wait=wait)
                    self._project = str(me["project"])
        return self._project

    def _project_path(self) -> str:
        return f"{_API}/projects/{quote_name(self._project_name())}"

    def _version_path(self, model: str, version: str) -> str:
        return f"{self._project_path()}/models/{quote_name(model)}/versions/{quote_name(version)}"

    def _stream_url(
        self, model: str, version: str, kind: str, wait: Callable[[float], bool]
    ) -> str:
        project = self._project_name(wait)
        return f"{_API}/projects/{quote_name(project)}/models/{quote_name(model)}/versions/{quote_name(version)}/{kind}"

    def _check_open(self) -> None:
        if self._closed:
            raise ParameterError("This driftline Client is closed; create a new Client.")

    # resources -------------------------------------------------------------------------------
    @property
    def project(self) -> str:
        """The project this client works in (asked from the server if not given)."""
        return self._project_name()

    def health(self) -> dict[str, Any]:
        """The server's health: ``{"status", "version", "database"}`` (needs no token)."""
        result: dict[str, Any] = self._json("GET", f"{_API}/health")
        return result

    def me(self) -> dict[str, Any]:
        """What the token is: ``{"project", "role", "token_id"}``."""
        result: dict[str, Any] = self._json("GET", f"{_API}/me")
        return result

    def models(self) -> list[dict[str, Any]]:
        """The project's models."""
        result: list[dict[str, Any]] = unwrap(
            self._json("GET", f"{self._project_path()}/models"), "models"
        )
        return result

    def create_model(self, name: str, *, exist_ok: bool = False) -> dict[str, Any]:
        """Create a model; with ``exist_ok`` an existing model of that name is returned instead."""
        try:
            result: dict[str, Any] = self._json(
                "POST", f"{self._project_path()}/models", json={"name": name}
            )
        except ApiError as exc:
            if exist_ok and exc.status == 409:
                return self.model(name)
            raise
        return result

    def model(self, name: str) -> dict[str, Any]:
        """One model."""
        result: dict[str, Any] = self._json(
            "GET", f"{self._project_path()}/models/{quote_name(name)}"
        )
        return result

    def versions(self, model: str) -> list[dict[str, Any]]:
        """A model's versions."""
        path = f"{self._project_path()}/models/{quote_name(model)}/versions"
        result: list[dict[str, Any]] = unwrap(self._json("GET", path), "versions")
        return result

    def version(self, model: str, version: str) -> dict[str, Any]:
        """One model version (its schema, window and reference status)."""
        result: dict[str, Any] = self._json("GET", self._version_path(model, str(version)))
        self._remember_columns(model, str(version), result.get("schema"))
        return result

    def _remember_columns(self, model: str, version: str, schema: Any) -> None:
        if isinstance(schema, Mapping):
            self._columns[(model, version)] = (
                str(schema.get("id_column") or _DEFAULT_COLUMNS[0]),
                str(schema.get("timestamp_column") or _DEFAULT_COLUMNS[1]),
            )

    def register_version(
        self,
        model: str,
        version: str,
        *,
        reference: object = None,
        reference_profile: object = None,
        schema: Mapping[str, Any] | Any = None,
        task: str = "binary",
        score: str | None = "score",
        prediction: str | None = None,
        target: str | None = None,
        window: str | int | timedelta | Mapping[str, Any] = "1h",
    ) -> dict[str, Any]:
        """Register a model version and upload its reference.

        ``reference`` is the reference data (any input :meth:`log_predictions` accepts) with
        the features, the ``score`` and/or ``prediction`` column and, for estimation, the
        ``target`` (label) column: the server profiles it and keeps scores and labels.
        ``reference_profile`` is a precomputed ``DatasetProfile`` (or its bytes) instead:
        drift and quality only. ``schema`` is a ``VersionSchema``, its ``to_dict()``, or a
        ``{feature: kind}`` mapping; if omitted it is inferred from ``reference`` (booleans,
        numbers, and everything else categorical). ``window`` is ``"15m"``, ``"1h"``,
        ``"1d"`` (time windows) or ``"10000 rows"``.

        Returns the version as the server describes it after the upload.
        """
        self._check_open()
        version = str(version)
        if reference is not None and reference_profile is not None:
            raise ParameterError(
                "Pass either reference= (raw rows) or reference_profile= (a profile), not both."
            )
        table = to_table(reference) if reference is not None else None
        if table is not None and table.num_rows == 0:
            raise DataError("The reference data has no rows.")
        schema_dict = self._schema_dict(schema, table, task, score, prediction, target)
        body = {"version": version, "schema": schema_dict, "window": parse_window(window)}
        created: dict[str, Any] = self._json(
            "POST", f"{self._project_path()}/models/{quote_name(model)}/versions", json=body
        )
        self._remember_columns(model, version, schema_dict)
        path = f"{self._version_path(model, version)}/reference"
        if table is not None:
            params = {"target": target} if target is not None else None
            self._json("PUT", path, params=params, content=ipc_bytes(table, None),
                       headers={"Content-Type": ARROW_STREAM})  # fmt: skip
        elif reference_profile is not None:
            payload = reference_profile
            to_bytes = getattr(reference_profile, "to_bytes", None)
            if callable(to_bytes):
                payload = to_bytes()
            if not isinstance(payload, bytes | bytearray | memoryview):
                raise ParameterError(
                    "reference_profile= must be a driftline DatasetProfile or its to_bytes(); "
                    f"got {type(reference_profile).__name__}."
                )
            self._json("PUT", path, content=bytes(payload), headers={"Content-Type": PROFILE_TYPE})
        else:
            return created
        return self.version(model, version)

    @staticmethod
    def _schema_dict(
        schema: Any,
        table: pa.Table | None,
        task: str,
        score: str | None,
        prediction: str | None,
        target: str | None,
    ) -> dict[str, Any]:
        if schema is None:
            if table is None:
                raise ParameterError(
                    "register_version needs reference= (to infer the schema from) or schema="
                    " (a VersionSchema, its to_dict(), or a {feature: kind} mapping)."
                )
            return infer_schema(table, task=task, score=score, prediction=prediction, target=target)
        to_dict = getattr(schema, "to_dict", None)
        if callable(to_dict):
            result: dict[str, Any] = dict(to_dict())
            return result
        if isinstance(schema, Mapping):
            if "features" in schema:
                return dict(schema)
            check_task(task, score, prediction)
            return {
                "features": dict(schema),
                "task": task,
                "id_column": _DEFAULT_COLUMNS[0],
                "timestamp_column": _DEFAULT_COLUMNS[1],
                "score_column": score,
                "prediction_column": prediction,
            }
        raise ParameterError(
            "schema= must be a VersionSchema, its to_dict(), or a {feature: kind} mapping; "
            f"got {type(schema).__name__}."
        )

    def log_profile(
        self,
        model: str,
        version: str,
        profile: object,
        *,
        start: datetime | str | None = None,
        window_key: int | None = None,
    ) -> dict[str, Any]:
        """Merge a precomputed ``DatasetProfile`` (e.g. from a Dask or Spark job) into a window.

        Synchronous. Give the window by its ``start`` (time windows) or ``window_key``.
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
        result: dict[str, Any] = self._json(
            "POST", f"{self._version_path(model, str(version))}/profiles", params=params,
            content=bytes(payload), headers={"Content-Type": PROFILE_TYPE}, idempotent=False,
        )  # fmt: skip
        return result

    def windows(
        self,
        model: str,
        version: str,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Summaries of a version's windows (oldest first)."""
        params = {
            k: v
            for k, v in (("since", iso(since)), ("until", iso(until)), ("limit", limit))
            if v is not None
        }
        path = f"{self._version_path(model, str(version))}/windows"
        result: list[dict[str, Any]] = unwrap(self._json("GET", path, params=params), "windows")
        return result

    def window_predictions(self, model: str, version: str, key: int) -> pa.Table:
        """A window's stored predictions with their current ``label`` and ``label_at``, in
        arrival order, as a ``pyarrow.Table`` (what a retraining job downloads)."""
        path = f"{self._version_path(model, str(version))}/windows/{int(key)}/predictions"
        response = self._request("GET", path, params={"format": "arrow"})
        try:
            return pa.ipc.open_stream(response.content).read_all()
        except pa.ArrowInvalid as exc:
            raise ApiError(
                f"GET {path}: the server's answer is not an Arrow stream: {exc}",
                status=response.status_code,
                code="bad_response",
            ) from exc

    def window(self, model: str, version: str, key: int) -> dict[str, Any]:
        """One window with its full results (drift, quality, estimated and realized performance)."""
        path = f"{self._version_path(model, str(version))}/windows/{int(key)}"
        result: dict[str, Any] = self._json("GET", path)
        return result

    def timeseries(
        self,
        model: str,
        version: str,
        series: Sequence[str] | None = None,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """Time series for plotting: ``{name: [{"t", "value", "lower", "upper"}, ...]}``.

        ``series`` are dotted names such as ``volume.rows``, ``drift.share_drifted``,
        ``estimated.roc_auc``, ``realized.roc_auc``, ``volume.label_delay_seconds.median``
        (default: the server's choice).
        """
        params: dict[str, Any] = {}
        if series is not None:
            params["series"] = ",".join([series] if isinstance(series, str) else series)
        if since is not None:
            params["since"] = iso(since)
        if until is not None:
            params["until"] = iso(until)
        path = f"{self._version_path(model, str(version))}/timeseries"
        result: dict[str, list[dict[str, Any]]] = unwrap(
            self._json("GET", path, params=params), "series"
        )
        return result

    # logging ---------------------------------------------------------------------------------
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
        model, version = str(model), str(version)
        id_column, ts_column = self._columns.get((model, version), _DEFAULT_COLUMNS)
        if not self.block:  # a full queue drops the rows: skip converting them
            n = row_count(data, id_column)
            if n is not None and self._sender.would_drop(n):
                id_list = [str(i) for i in ids] if ids is not None else new_ids(n)
                if len(id_list) != n:
                    raise DataError(f"'ids' has {len(id_list)} values but the data has {n} rows.")
                self._sender.drop((model, version, PREDICTIONS), n)
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
        self._sender.put(
            (model, version, PREDICTIONS), rows, block=self.block, timeout=self.timeout
        )
        return id_list

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
            self._sender.put((str(model), str(version), LABELS), table, block=self.block,
                             timeout=self.timeout)  # fmt: skip

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
