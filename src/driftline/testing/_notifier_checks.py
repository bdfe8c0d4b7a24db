"""Conformance check for notification channels: run it on every registered channel type.

:func:`check_notifier` builds a channel of the given type pointing at a real HTTP receiver
it starts on 127.0.0.1 (standard library, no mocks), sends a notification through the
type's registered notifier, and checks what a channel must do: deliver one JSON POST, sign
it when it has a secret, fail with :class:`~driftline.exceptions.DeliveryError` (transient
on 5xx, permanent on 4xx and redirects, never followed), never quote the receiver's answer
or the channel's credentials in an error, go through the SSRF guard, and survive the API's
masked round trip (``public_dict`` sent back keeps the URL and secret).
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn

__all__ = ["check_notifier"]

_HOST = "hooks.check-notifier.test"  # resolved to 127.0.0.1 by the check's own resolver


def _fail(name: str, prop: str, detail: str) -> NoReturn:
    raise AssertionError(f"channel type {name!r}: {prop} does not hold: {detail}")


@dataclass
class _Request:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Receiver:
    """Records POSTs; answers ``answer`` = (status, headers, body)."""

    server: ThreadingHTTPServer
    requests: list[_Request] = field(default_factory=list)
    answer: tuple[int, dict[str, str], bytes] = (200, {}, b"ok")
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])


def _handler(receiver: list[_Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            rec = receiver[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with rec.lock:
                rec.requests.append(_Request(self.path, dict(self.headers.items()), body))
                status, headers, payload = rec.answer
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def _receiver() -> Iterator[_Receiver]:
    ref: list[_Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    server.daemon_threads = True
    ref.append(_Receiver(server))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield ref[0]
    finally:
        server.shutdown()
        server.server_close()


def _resolver(host: str, port: int, *args: Any) -> Sequence[tuple[Any, ...]]:
    if host != _HOST:
        raise socket.gaierror(socket.EAI_NONAME, "only the check's own host resolves here")
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


def _notification() -> Any:
    from driftline.alerts import Notification

    message = f"check-notifier message {secrets.token_hex(4)}"
    payload = {
        "rule": {"id": "rule-1", "name": "conformance", "kind": "drift"},
        "condition": "drift",
        "severity": "warning",
        "message": message,
        "values": {"share_drifted": 0.5},
        "project": "p",
        "model": "m",
        "version": "1",
        "version_id": "v-1",
        "window": {"id": "w-1", "key": 1, "start": None, "end": None, "status": "closed"},
    }
    return Notification(
        event_id=f"event-{secrets.token_hex(4)}",
        status="firing",
        fired_at=datetime(2026, 11, 20, 13, 0, tzinfo=UTC),
        payload=payload,
        links={"window_url": "https://dl.example/w/1", "predictions_url": None},
    )


def check_notifier(channel_type: str, *, options: Mapping[str, Any] | None = None) -> None:
    """Check that the registered channel type ``channel_type`` is a well-behaved channel.

    ``options`` are extra fields its config needs (beyond ``url``, ``allow_private`` and,
    for signed types, ``secret``). Raises ``AssertionError`` naming the property that
    failed; returns None when all hold. Needs httpx (``driftline[serve]``) and opens a
    local port; nothing leaves the machine.

    >>> from driftline.testing import check_notifier
    >>> check_notifier("webhook")
    """
    from driftline.alerts import (
        HttpPoster,
        SignedChannelSpec,
        get_channel_type,
        resolve_channels,
        verify_signature,
    )
    from driftline.exceptions import DeliveryError, UnsafeURLError

    name = channel_type
    entry = get_channel_type(name)
    if entry.spec.__pydantic_fields__["type"].default != name:
        _fail(name, "registration", f"{entry.spec.__name__}.type does not default to {name!r}")
    key, secret = secrets.token_hex(8), secrets.token_urlsafe(24)
    signed = issubclass(entry.spec, SignedChannelSpec)
    poster = HttpPoster(
        max_attempts=2, backoff_seconds=0.0, sleep=lambda s: None, resolver=_resolver,
        timeout_seconds=10.0,
    )  # fmt: skip
    notifier = entry.notifier(poster)
    with _receiver() as rec:
        path = f"/in/{key}-path?key={key}"
        config: dict[str, Any] = {
            "type": name,
            "url": f"http://{_HOST}:{rec.port}{path}",
            "allow_private": True,
            **({"secret": secret} if signed else {}),
            **dict(options or {}),
        }
        channel = entry.spec.model_validate(config)
        hidden = [secret, f"key={key}"]

        # the API's view, and sending it back
        shown = channel.public_dict()
        if any(h in json.dumps(shown) for h in hidden):
            _fail(name, "public_dict hides secrets", f"it shows {shown!r}")
        if entry.spec.url_is_credential and key in json.dumps(shown):
            _fail(name, "public_dict masks a credential URL", f"it shows {shown['url']!r}")
        back = entry.spec.model_validate(resolve_channels([shown], [channel])[0])
        if back != channel:
            _fail(name, "GET -> PUT round trip", f"{shown!r} came back as {back!r}")
        if entry.spec.model_validate(channel.storage_dict()) != channel:
            _fail(name, "storage round trip", f"{channel.storage_dict()!r} differs")

        # delivery
        notification = _notification()
        notifier.send(channel, notification)
        if len(rec.requests) != 1:
            _fail(name, "one POST per send", f"the receiver got {len(rec.requests)} requests")
        got = rec.requests[0]
        if got.path != path:
            _fail(name, "the POST goes to the channel URL", f"it went to {got.path!r}")
        if got.headers.get("Host") != f"{_HOST}:{rec.port}":
            _fail(name, "the original Host header", f"got {got.headers.get('Host')!r}")
        if not got.headers.get("Content-Type", "").startswith("application/json"):
            _fail(name, "a JSON body", f"Content-Type is {got.headers.get('Content-Type')!r}")
        try:
            json.loads(got.body)
        except ValueError:
            _fail(name, "a JSON body", f"the body is not JSON: {got.body[:80]!r}")
        if notification.payload["message"].encode() not in got.body:
            _fail(name, "the body carries the alert message", f"body {got.body[:200]!r}")
        if secret.encode() in got.body:
            _fail(name, "the body never carries the secret", "it does")
        timestamp = got.headers.get("X-Driftline-Timestamp")
        signature = got.headers.get("X-Driftline-Signature")
        if signed and not verify_signature(secret, got.body, timestamp, signature):
            _fail(name, "signed requests verify", f"signature {signature!r} at {timestamp!r}")
        if not signed and signature is not None:
            _fail(name, "unsigned channels send no signature", f"got {signature!r}")

        # failures: transient, permanent, redirects; no credentials or receiver text in errors
        leak = f"RECEIVER-BODY-{secrets.token_hex(4)}"
        for status, permanent in ((500, False), (400, True), (302, True)):
            rec.requests.clear()
            headers = {"Location": f"http://169.254.169.254/{leak}"} if status == 302 else {}
            rec.answer = (status, headers, leak.encode())
            try:
                notifier.send(channel, notification)
            except DeliveryError as exc:
                text = str(exc)
                if exc.permanent is not permanent:
                    _fail(name, f"HTTP {status} is {'permanent' if permanent else 'transient'}",
                          f"permanent={exc.permanent}")  # fmt: skip
                if any(h in text for h in (*hidden, leak, key)):
                    _fail(name, "errors hide credentials and the receiver's answer", text)
            else:
                _fail(name, f"HTTP {status} raises DeliveryError", "send returned")
            expected = 1 if permanent else poster.max_attempts
            if len(rec.requests) != expected:
                _fail(name, f"HTTP {status} is tried {expected} time(s)",
                      f"{len(rec.requests)} requests")  # fmt: skip
        rec.answer = (200, {}, b"ok")

        # the SSRF guard runs at delivery (the host resolves to 127.0.0.1)
        rec.requests.clear()
        guarded = entry.spec.model_validate({**config, "allow_private": False})
        try:
            notifier.send(guarded, notification)
        except UnsafeURLError:
            pass
        else:
            _fail(name, "the SSRF guard refuses a loopback receiver", "send went through")
        if rec.requests:
            _fail(name, "a refused receiver is never contacted", f"{len(rec.requests)} requests")
