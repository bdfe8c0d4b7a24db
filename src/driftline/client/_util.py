"""Small helpers of the SDK: path quoting, ISO times, unwrapping list answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

__all__ = ["iso", "quote_name", "unwrap"]


def quote_name(name: object) -> str:
    """A name as one URL path segment (``/`` and every reserved character escaped)."""
    return quote(str(name), safe="")


def iso(value: datetime | str | None) -> str | None:
    """An ISO 8601 string for a datetime (strings and None pass through)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def unwrap(body: Any, key: str) -> Any:
    """``body[key]`` when the server wrapped a list in an object, else ``body``."""
    if isinstance(body, dict) and key in body:
        return body[key]
    return body
