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

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from driftline.exceptions import ParameterError

__all__ = ["canonical_json"]

MAX_SAFE_INTEGER: Final = 2**53 - 1
_MAX_DEPTH: Final = 64
_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_TRANSLATION: Final = {
    **{i: f"\\u{i:04x}" for i in range(0x20)},
    **{ord(k): v for k, v in _ESCAPES.items()},
}


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


def _string(value: str, where: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ParameterError(
            f"The JSON string at {where} holds a lone surrogate ({value!r}); canonical JSON "
            "(RFC 8785) needs valid Unicode text."
        ) from None
    return '"' + value.translate(_TRANSLATION) + '"'


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _encode(value: Any, out: list[str], where: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ParameterError(
            f"The JSON value at {where} is nested deeper than {_MAX_DEPTH} levels; flatten it."
        )
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value, where))
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ParameterError(
                f"The JSON integer at {where} is {value}, beyond ±(2**53 - 1); canonical "
                "JSON numbers are doubles and cannot hold it exactly. Send it as a string."
            )
        out.append(str(int(value)))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(
                f"The JSON number at {where} is {value!r}; JSON has no NaN or infinity."
            )
        out.append(_number(value))
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise ParameterError(
                    f"The JSON object at {where} has a key of type {type(key).__name__} "
                    f"({key!r}); JSON object keys are strings."
                )
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_string(key, where))
            out.append(":")
            _encode(value[key], out, f"{where}.{key}", depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, f"{where}[{i}]", depth + 1)
        out.append("]")
    else:
        raise ParameterError(
            f"The value at {where} is a {type(value).__name__} ({value!r:.80}); canonical JSON "
            "holds only dicts, lists, strings, numbers, booleans and None."
        )


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of the JSON value ``value``.

    >>> canonical_json({"b": [1, 2.5, None], "a": "é", "c": 1e21, "d": 1e-7})
    b'{"a":"\\xc3\\xa9","b":[1,2.5,null],"c":1e+21,"d":1e-7}'
    >>> canonical_json({"n": float("nan")})
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The JSON number at $.n is nan; JSON has no NaN or infinity.
    """
    out: list[str] = []
    _encode(value, out, "$", 0)
    return "".join(out).encode("utf-8")
