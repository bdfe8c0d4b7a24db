"""Signed JSON POSTs with retries, behind the SSRF guard (httpx, synchronous).

Requests of channels with a ``secret`` are signed as ``alerts/_signing.py`` describes.

Error messages name the receiver as ``scheme://host[:port]/***`` (a webhook's query or a
Slack path is a credential) and never carry what the receiver answered beyond its status
code: an alert's ``delivery_error`` is readable by every viewer of the project, and a
receiver body would let a rule read internal services back (SSRF with read-back).
"""

from __future__ import annotations

import email.utils
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import ClassVar

import httpx

from driftline._params import BOOLEAN, Constraints, InstanceOf, Interval, validate
from driftline._version import __version__
from driftline.alerts._guard import Resolver, check_url
from driftline.alerts._registry import redact_url
from driftline.alerts._signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_body
from driftline.exceptions import DeliveryError, UnsafeURLError

__all__ = ["HttpPoster"]

# Transport errors whose text is local (OS, TLS library, timer) are quoted, shortened; for
# the others (a malformed answer...) only the class is named, as their text can quote bytes
# the receiver sent.
_QUOTED_ERRORS = (httpx.ConnectError, httpx.TimeoutException)
_MAX_DETAIL = 160


def _transport_problem(exc: httpx.TransportError) -> str:
    name = type(exc).__name__
    if isinstance(exc, _QUOTED_ERRORS):
        detail = " ".join(str(exc).split())[:_MAX_DETAIL]
        return f"{name}: {detail or 'no detail'}"
    if isinstance(exc, httpx.ProtocolError):
        return f"{name} (the answer is not valid HTTP)"
    return name


def _retry_after(value: str | None, now: float) -> float | None:
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


@dataclass
class HttpPoster:
    """POSTs bodies to checked URLs with retries.

    Retries (up to ``max_attempts`` in all) happen on connection errors and timeouts, on
    5xx and on 429; the delay is ``backoff_seconds · 2^(attempt-1)`` (capped at
    ``max_backoff_seconds``) with jitter (a uniform factor in [0.5, 1)), or the
    ``Retry-After`` the receiver sent. A ``Retry-After`` longer than
    ``max_retry_after_seconds`` ends the attempt early with a :class:`DeliveryError` that
    carries it, so the caller can schedule the next round instead of blocking. Other 4xx
    answers and redirects (never followed) fail at once with ``permanent=True``.

    ``sleep``, ``clock`` (Unix seconds), ``rand`` and ``resolver`` can be injected for tests;
    ``verify`` is httpx's TLS verification (True, False or an ``ssl.SSLContext``).
    The request goes to an address that passed :func:`check_url` — the URL's host is
    replaced by that IP, with the original ``Host`` header and TLS server name (SNI and
    certificate check) — so DNS cannot change between the check and the connection.
    """

    timeout_seconds: float = 10.0
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rand: Callable[[], float] = random.random
    resolver: Resolver | None = None
    verify: bool | ssl.SSLContext = True
    user_agent: str = f"driftline/{__version__}"

    _parameter_constraints: ClassVar[Constraints] = {
        "timeout_seconds": [Interval("real", 0, None, closed="neither")],
        "max_attempts": [Interval("int", 1, None)],
        "backoff_seconds": [Interval("real", 0, None)],
        "max_backoff_seconds": [Interval("real", 0, None)],
        "max_retry_after_seconds": [Interval("real", 0, None)],
        "verify": [BOOLEAN, InstanceOf((ssl.SSLContext,), "an ssl.SSLContext")],
        "user_agent": [InstanceOf((str,), "a str")],
    }

    def __post_init__(self) -> None:
        validate(self)

    def _delay(self, attempt: int) -> float:
        base = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return float(base * (0.5 + 0.5 * self.rand()))

    def _send_once(
        self, client: httpx.Client, url: str, body: bytes, headers: Mapping[str, str],
        allow_private: bool,
    ) -> httpx.Response:  # fmt: skip
        checked = check_url(
            url, allow_private=allow_private, resolver=self.resolver, shown=redact_url(url)
        )
        target = httpx.URL(checked.url)
        last: httpx.TransportError | None = None
        for address in checked.addresses:
            pinned = target.copy_with(host=address)
            extensions = {"sni_hostname": checked.host} if checked.scheme == "https" else {}
            try:
                return client.post(
                    pinned,
                    content=body,
                    headers={**headers, "Host": checked.host_header},
                    extensions=extensions,
                )
            except httpx.ConnectError as exc:  # try the next checked address
                last = exc
        assert last is not None
        raise last

    def post(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        secret: str | None = None,
        allow_private: bool = False,
    ) -> httpx.Response:
        """POST ``body`` (JSON) to ``url``; signed with ``secret`` when given.

        Returns the 2xx response or raises :class:`DeliveryError` (``permanent`` when
        retrying cannot help) or :class:`UnsafeURLError`; messages name the URL redacted
        (``scheme://host/***``) and quote nothing the receiver sent but its status code.
        """
        shown = redact_url(url)
        base_headers = {
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
            **(headers or {}),
        }
        error = "no attempt made"
        retry_after: float | None = None
        with httpx.Client(
            timeout=self.timeout_seconds,
            follow_redirects=False,
            trust_env=False,  # no proxies from the environment: we connect to checked IPs
            verify=self.verify,
        ) as client:
            for attempt in range(1, self.max_attempts + 1):
                retry_after = None
                sent = dict(base_headers)
                if secret is not None:
                    ts = int(self.clock())
                    sent[TIMESTAMP_HEADER] = str(ts)
                    sent[SIGNATURE_HEADER] = sign_body(secret, body, ts)
                try:
                    response = self._send_once(client, url, body, sent, allow_private)
                except UnsafeURLError:
                    raise
                except DeliveryError as exc:  # name resolution failed: may be transient
                    error = str(exc)
                except httpx.TransportError as exc:
                    error = f"{_transport_problem(exc)} sending to {shown}"
                else:
                    status = response.status_code
                    if 200 <= status < 300:
                        return response
                    detail = f"HTTP {status} from {shown}"
                    if 300 <= status < 400:
                        raise DeliveryError(
                            f"HTTP {status} redirect from {shown}: redirects are not followed "
                            "(use the final URL in the channel)",
                            permanent=True,
                        )
                    if status != 429 and status < 500:
                        raise DeliveryError(detail, permanent=True)
                    error = detail
                    retry_after = _retry_after(response.headers.get("Retry-After"), self.clock())
                if attempt == self.max_attempts:
                    break
                if retry_after is not None and retry_after > self.max_retry_after_seconds:
                    break
                self.sleep(retry_after if retry_after is not None else self._delay(attempt))
        raise DeliveryError(
            f"{error} (after {attempt} attempt{'s' if attempt != 1 else ''})",
            retry_after=retry_after,
        )
