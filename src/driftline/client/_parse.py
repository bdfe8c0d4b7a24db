"""Reading the server's JSON into the SDK's result classes: times, and answers of the wrong shape.

No httpx here: the result classes import on a core install.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from driftline.exceptions import ApiError

__all__ = ["iso_time", "optional_time", "parse", "parse_list", "required_time"]

T = TypeVar("T")


def optional_time(value: object) -> datetime | None:
    """An ISO 8601 string from the server as an aware datetime (naive means UTC).

    >>> optional_time("2026-12-02T10:30:00Z").isoformat()
    '2026-12-02T10:30:00+00:00'
    >>> optional_time("2026-12-02T10:30:00").tzname(), optional_time(None)
    ('UTC', None)
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        raise TypeError(f"expected an ISO 8601 time, got {type(value).__name__} {value!r}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def required_time(value: object) -> datetime:
    """Like :func:`optional_time`, for a field the server always fills."""
    moment = optional_time(value)
    if moment is None:
        raise TypeError("a required time is null")
    return moment


def iso_time(value: datetime | None) -> str | None:
    """A datetime as ISO 8601 text (for ``to_dict``)."""
    return None if value is None else value.isoformat()


def parse(
    factory: Callable[[Mapping[str, Any]], T],
    body: object,
    what: str,
    *,
    status: int | None = None,
) -> T:
    """``factory(body)``, or an :class:`ApiError` (code ``bad_response``) naming ``what``
    when the server's answer (HTTP ``status``) does not have the expected shape.

    >>> parse(dict, {"a": 1}, "GET /x")
    {'a': 1}
    >>> parse(dict, [1], "GET /x", status=200)
    Traceback (most recent call last):
    ...
    driftline.exceptions.ApiError: GET /x: the server's answer is not a JSON object: [1] (HTTP 200, bad_response)
    """
    if not isinstance(body, Mapping):
        raise ApiError(
            f"{what}: the server's answer is not a JSON object: {str(body)[:200]}",
            status=status,
            code="bad_response",
        )
    try:
        return factory(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(
            f"{what}: the server's answer has an unexpected shape ({type(exc).__name__}: "
            f"{exc}); are the client and the server driftline versions that match?",
            status=status,
            code="bad_response",
        ) from exc


def parse_list(
    factory: Callable[[Mapping[str, Any]], T],
    body: object,
    what: str,
    *,
    key: str,
    status: int | None = None,
) -> list[T]:
    """Each item of a list answer (or of ``body[key]`` when the list is wrapped) parsed.

    >>> parse_list(dict, {"items": [{"a": 1}]}, "GET /x", key="items")
    [{'a': 1}]
    """
    if isinstance(body, Mapping) and key in body:
        body = body[key]
    if not isinstance(body, list):
        raise ApiError(
            f"{what}: the server's answer is not a JSON list: {str(body)[:200]}",
            status=status,
            code="bad_response",
        )
    return [parse(factory, item, what, status=status) for item in body]
