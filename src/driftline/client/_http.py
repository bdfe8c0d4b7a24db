"""HTTP requests with retries: exponential backoff with jitter, ``Retry-After``, error bodies."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from driftline.exceptions import ApiError, ApiNotFoundError

__all__ = [
    "AbortedError",
    "RetryPolicy",
    "error_from_response",
    "request_with_retry",
    "retry_after_seconds",
    "sleep",
]


class AbortedError(Exception):
    """The client is closing: a backoff wait was interrupted."""


def sleep(seconds: float) -> bool:
    """Wait ``seconds``; never interrupted (returns False)."""
    time.sleep(seconds)
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before retrying a request.

    Attempt ``k`` (0-based) of a retry waits ``d/2 + uniform(0, d/2)`` seconds with
    ``d = min(max_backoff, backoff * 2**k)`` ("equal jitter"), or what the server's
    ``Retry-After`` header asks (capped at ``max_retry_after``).

    >>> policy = RetryPolicy(retries=5, backoff=0.5)
    >>> all(0.25 <= policy.delay(0, None) <= 0.5 for _ in range(100))
    True
    >>> 4.0 <= policy.delay(4, None) <= 8.0
    True
    """

    retries: int
    backoff: float
    max_backoff: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        full = min(self.max_backoff, self.backoff * (2.0**attempt))
        return full / 2 + random.uniform(0.0, full / 2)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The response's ``Retry-After`` in seconds (delta-seconds or an HTTP date), if any.

    >>> retry_after_seconds(httpx.Response(429, headers={"Retry-After": "3"}))
    3.0
    >>> retry_after_seconds(httpx.Response(429)) is None
    True
    """
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def error_from_response(response: httpx.Response) -> ApiError:
    """An :class:`ApiError` carrying the server's ``{"error": {"code", "message", "details"}}``
    (an :class:`ApiNotFoundError` for a 404)."""
    request = response.request
    code, message, details = f"http_{response.status_code}", "", None
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = str(error.get("code") or code)
        message = str(error.get("message") or "")
        details = error.get("details")
    elif isinstance(body, dict) and "detail" in body:  # a plain FastAPI error
        message = str(body["detail"])
    if not message:
        text = response.text.strip()
        message = text[:500] if text else response.reason_phrase or "request failed"
    kind = ApiNotFoundError if response.status_code == 404 else ApiError
    return kind(
        f"{request.method} {request.url.path}: {message}",
        status=response.status_code,
        code=code,
        details=details,
        method=request.method,
        url=str(request.url),
    )


def request_with_retry(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    idempotent: bool,
    wait: Callable[[float], bool] = sleep,
    on_attempt: Callable[[], None] | None = None,
    on_retry: Callable[[str, float], None] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying transport errors, 5xx and 429 up to ``policy.retries`` times.

    Returns the last response (which may be an error response). Raises the last
    ``httpx.TransportError`` when every attempt failed to get a response, and
    :class:`AbortedError` when ``wait`` reports that the client is closing. A request that is
    not ``idempotent`` is retried only when it certainly did not reach the server's
    handler (connection refused, connect timeout, 429).
    """
    attempt = 0
    while True:
        if on_attempt is not None:
            on_attempt()
        try:
            response = http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
            if attempt >= policy.retries or not (idempotent or unsent):
                raise
            delay = policy.delay(attempt, None)
            reason = f"{type(exc).__name__}: {exc}"
        else:
            status = response.status_code
            retry = _retryable_status(status) and (idempotent or status == 429)
            if attempt >= policy.retries or not retry:
                return response
            response.read()
            delay = policy.delay(attempt, retry_after_seconds(response))
            reason = f"HTTP {status}"
            response.close()
        if on_retry is not None:
            on_retry(reason, delay)
        if wait(delay):
            raise AbortedError(reason)
        attempt += 1
