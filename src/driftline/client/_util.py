"""Small helpers of the SDK: path quoting, ISO times in query strings."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

__all__ = ["iso", "quote_name"]


def quote_name(name: object) -> str:
    """A name as one URL path segment (``/`` and every reserved character escaped).

    >>> quote_name("a/b c")
    'a%2Fb%20c'
    """
    return quote(str(name), safe="")


def iso(value: datetime | str | None) -> str | None:
    """An ISO 8601 string for a datetime (strings and None pass through)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()
