"""Signatures of webhook and retrain requests (standard library only: receivers need no extra).

Signature scheme (webhook and retrain channels with a ``secret``)::

    X-Driftline-Timestamp: <unix seconds>
    X-Driftline-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The timestamp is part of the signed content, so a receiver that rejects old timestamps
also rejects replays of captured requests.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign_body", "verify_signature"]

SIGNATURE_HEADER = "X-Driftline-Signature"
TIMESTAMP_HEADER = "X-Driftline-Timestamp"


def sign_body(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Driftline-Signature`` value: ``sha256=`` + hex HMAC of ``"<timestamp>." + body``.

    >>> sign_body("k" * 16, b'{"a":1}', 1700000000)[:15]
    'sha256=7a52fb5d'
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    tolerance_seconds: float = 300.0,
    now: float | None = None,
) -> bool:
    """True if ``signature`` signs ``body`` at ``timestamp`` with ``secret`` and the timestamp
    is within ``tolerance_seconds`` of ``now`` (a receiver-side helper).

    >>> body = b'{"event": "x"}'
    >>> sig = sign_body("s" * 16, body, 1700000000)
    >>> verify_signature("s" * 16, body, "1700000000", sig, now=1700000010)
    True
    >>> verify_signature("s" * 16, body + b" ", "1700000000", sig, now=1700000010)
    False
    """
    if not timestamp or not signature:
        return False
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign_body(secret, body, ts), signature)
