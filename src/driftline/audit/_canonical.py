"""RFC 8785 (JSON Canonicalization Scheme) serialization of JSON values.

Objects have their keys sorted by UTF-16 code units, no whitespace is written, strings
escape only what JSON requires (``"``, ``\\``, and control characters, as ``\\b \\t \\n
\\f \\r`` or lowercase ``\\u00xx``), and numbers are written as ECMAScript's
``Number.prototype.toString`` writes an IEEE 754 double (shortest round-trip digits,
exponent form below 1e-6 and from 1e21). The result is UTF-8.

Only I-JSON values are accepted (RFC 7493): no NaN or infinity, integers within
±(2**53 - 1) (beyond, a double cannot hold them exactly), strings of valid Unicode (no
lone surrogates), string keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from driftline.exceptions import ParameterError

__all__ = ["canonical_json"]

MAX_SAFE_INTEGER: Final = 2**53 - 1
_MAX_DEPTH: Final = 64
_encode_string = json.encoder.encode_basestring


def _number(value: float) -> str:
    """ECMAScript ``Number.prototype.toString`` of a finite double."""
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    digits_tuple = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digits_tuple.digits)).rstrip("0")
    exponent = int(digits_tuple.exponent)  # value = int(all digits) * 10**exponent
    exponent += len(digits_tuple.digits) - len(digits)  # the stripped zeros
    k = len(digits)
    n = exponent + k  # value = 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text


class _RefusedError(Exception):
    """A value canonical JSON cannot hold; ``path`` is filled in on the way out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _needs_utf16_sort(keys: Any) -> bool:
    # Code-point order (Python's) and UTF-16 order differ only between U+E000..U+FFFF and
    # astral characters; most keys are plain ASCII.
    return any(not k.isascii() for k in keys)


def _encode(value: Any, out: list[str], depth: int) -> None:
    # json's C string encoder (ensure_ascii=False) escapes exactly what RFC 8785 escapes:
    # '"', '\\', \b \t \n \f \r, and other controls as lowercase \u00xx.
    kind = type(value)
    if kind is str:
        out.append(_encode_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int or (isinstance(value, int) and kind is not bool):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            out.append(str(int(value)))
        else:
            raise _RefusedError(
                f"is {value}, beyond ±(2**53 - 1); canonical JSON numbers are doubles and "
                "cannot hold it exactly. Send it as a string"
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _RefusedError(f"is {value!r}; JSON has no NaN or infinity")
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_encode_string(str(value)))
    elif depth >= _MAX_DEPTH:
        raise _RefusedError(f"is nested deeper than {_MAX_DEPTH} levels; flatten it")
    elif isinstance(value, Mapping):
        keys = list(value)
        for key in keys:
            if type(key) is not str:
                raise _RefusedError(
                    f"has a key of type {type(key).__name__} ({key!r}); JSON object keys are "
                    "strings"
                )
        keys.sort(key=_utf16_key) if _needs_utf16_sort(keys) else keys.sort()
        out.append("{")
        first = True
        for key in keys:
            if not first:
                out.append(",")
            first = False
            out.append(_encode_string(key))
            out.append(":")
            try:
                _encode(value[key], out, depth + 1)
            except _RefusedError as exc:
                exc.path.append(f".{key}")
                raise
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            try:
                _encode(item, out, depth + 1)
            except _RefusedError as exc:
                exc.path.append(f"[{i}]")
                raise
        out.append("]")
    else:
        raise _RefusedError(
            f"is a {type(value).__name__} ({value!r:.80}); canonical JSON holds only dicts, "
            "lists, strings, numbers, booleans and None"
        )


def _fast(value: Any) -> bytes | None:
    """The canonical bytes through json's C encoder when that is exactly RFC 8785: no
    floats, integers within ±(2**53 - 1), ASCII keys (code-point order is then UTF-16
    order), only dicts, lists, strings, booleans and None, at most 64 levels. None otherwise
    (the full encoder then writes the value, or says what is wrong with it)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return None
        elif kind is dict:
            if depth >= _MAX_DEPTH:
                return None
            for key, child in item.items():
                if type(key) is not str or not key.isascii():
                    return None
                push((child, depth + 1))
        elif kind is list or kind is tuple:
            if depth >= _MAX_DEPTH:
                return None
            for child in item:
                push((child, depth + 1))
        else:
            return None
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of the JSON value ``value``.

    >>> canonical_json({"b": [1, 2.5, None], "a": "é", "c": 1e21, "d": 1e-7})
    b'{"a":"\\xc3\\xa9","b":[1,2.5,null],"c":1e+21,"d":1e-7}'
    >>> canonical_json({"n": float("nan")})
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The JSON number at $.n is nan; JSON has no NaN or infinity.
    """
    fast = _fast(value)
    if fast is not None:
        return fast
    out: list[str] = []
    try:
        _encode(value, out, 0)
    except _RefusedError as exc:
        where = "$" + "".join(reversed(exc.path))
        what = "number" if "NaN" in exc.message or "2**53" in exc.message else "value"
        raise ParameterError(f"The JSON {what} at {where} {exc.message}.") from None
    text = "".join(out)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParameterError(
            f"A JSON string holds a lone surrogate ({text[exc.start : exc.end]!r} at character "
            f"{exc.start}); canonical JSON (RFC 8785) needs valid Unicode text."
        ) from None
