"""The HTTP plumbing every call of :class:`~driftline.client.Client` shares.

:class:`ApiBase` holds the connection pool, the retry policy, the project (asked from the
server on first use) and the id/timestamp column names of the versions seen so far. The
resource calls (``_models``, ``_logging``, ``_windows``, ``_alerts``) are mixins on top
of it; ``Client`` puts them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import httpx

from driftline._version import __version__
from driftline.client._http import RetryPolicy, error_from_response, request_with_retry, sleep
from driftline.client._parse import parse, parse_list
from driftline.client._util import quote_name
from driftline.exceptions import ApiError, ParameterError
from driftline.store import VersionSchema

__all__ = ["API", "DEFAULT_COLUMNS", "ApiBase"]

API: Final = "/api/v1"
DEFAULT_COLUMNS: Final = ("prediction_id", "timestamp")

T = TypeVar("T")


class ApiBase:
    """Requests with retries and errors, JSON answers parsed into result classes, paths."""

    url: str
    timeout: float

    def __init__(self, url: str, token: str, *, project: str | None, timeout: float,
                 policy: RetryPolicy) -> None:  # fmt: skip
        self.url = url
        self.timeout = float(timeout)
        self._project = project
        self._project_lock = threading.Lock()
        self._policy = policy
        self._http = httpx.Client(
            base_url=url,
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "User-Agent": f"driftline-client/{__version__}",
                "Accept": "application/json",
            },
            timeout=timeout,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
        )
        self._columns: dict[tuple[str, str], tuple[str, str]] = {}
        self._closed = False

    # requests ----------------------------------------------------------------------------------
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

    def _body(self, response: httpx.Response, method: str, path: str) -> Any:
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

    def _send(self, method: str, path: str, **kwargs: Any) -> None:
        """A request whose answer carries nothing the caller needs."""
        self._request(method, path, **kwargs)

    def _one(
        self, factory: Callable[[Mapping[str, Any]], T], method: str, path: str, **kwargs: Any
    ) -> T:
        """A request whose answer is one object, parsed with ``factory``."""
        response = self._request(method, path, **kwargs)
        body = self._body(response, method, path)
        return parse(factory, body, f"{method} {path}", status=response.status_code)

    def _many(
        self,
        factory: Callable[[Mapping[str, Any]], T],
        path: str,
        *,
        key: str,
        **kwargs: Any,
    ) -> list[T]:
        """A GET whose answer is a list (possibly wrapped in ``{key: [...]}``), each parsed."""
        response = self._request("GET", path, **kwargs)
        body = self._body(response, "GET", path)
        return parse_list(factory, body, f"GET {path}", key=key, status=response.status_code)

    # the project and paths ---------------------------------------------------------------------
    def _project_name(self, wait: Callable[[float], bool] = sleep) -> str:
        if self._project is None:
            with self._project_lock:
                if self._project is None:
                    response = self._request("GET", f"{API}/me", wait=wait)
                    body = self._body(response, "GET", f"{API}/me")
                    self._project = parse(lambda d: str(d["project"]), body, f"GET {API}/me")
        return self._project

    def _project_path(self) -> str:
        return f"{API}/projects/{quote_name(self._project_name())}"

    def _model_path(self, model: str) -> str:
        return f"{self._project_path()}/models/{quote_name(model)}"

    def _version_path(self, model: str, version: str) -> str:
        return f"{self._model_path(model)}/versions/{quote_name(version)}"

    def _stream_url(
        self, model: str, version: str, kind: str, wait: Callable[[float], bool]
    ) -> str:
        """The path rows of ``kind`` are posted to (the sender thread's resolver)."""
        project = self._project_name(wait)
        return (
            f"{API}/projects/{quote_name(project)}/models/{quote_name(model)}"
            f"/versions/{quote_name(version)}/{kind}"
        )

    def _remember_columns(self, model: str, version: str, schema: VersionSchema) -> None:
        """Remember a version's id and timestamp columns (logging fills them in)."""
        self._columns[(model, version)] = (schema.id_column, schema.timestamp_column)

    def _check_open(self) -> None:
        if self._closed:
            raise ParameterError("This driftline Client is closed; create a new Client.")
