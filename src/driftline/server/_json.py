"""A JSON response rendered with orjson (numpy-aware, NaN-safe)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

__all__ = ["JSONResponse", "dumps"]

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    """``content`` as JSON bytes (NaN and infinities become null, as orjson does)."""
    return orjson.dumps(content, option=_OPTIONS, default=str)


class JSONResponse(Response):
    """``application/json`` rendered by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
