"""Output helpers shared by the CLI commands.

Standard output carries the result (text, or JSON with ``--json``); standard error
carries errors, warnings and progress. Every text that may come from a data file (an
error quoting a CSV line, a column name) goes through :func:`sanitize` before it
reaches a terminal: control characters and terminal escape sequences are shown as
visible escapes (``\\x1b``), never interpreted, and an overlong message is cut in the
middle so that its beginning and its fix remain readable.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from rich.console import Console

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "MAX_MESSAGE",
    "console",
    "err_console",
    "print_error",
    "print_json",
    "print_text",
    "print_warning",
    "sanitize",
]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
MAX_MESSAGE = 600
"""Longest error or warning line printed; longer ones are cut in the middle."""

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

# C0 controls but tab and newline, DEL, C1 controls, and the Unicode format characters
# that reorder or hide text (bidirectional overrides and isolates, zero-width marks).
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def sanitize(text: str, *, limit: int | None = MAX_MESSAGE, one_line: bool = True) -> str:
    r"""``text`` made safe to print: control characters shown as escapes, cut to ``limit``.

    With ``one_line`` (errors and warnings), line breaks and tabs become spaces;
    otherwise they are kept (multi-line summaries).

    >>> sanitize("3,\x1b[31mEVIL\x1b[0m,5")
    '3,\\x1b[31mEVIL\\x1b[0m,5'
    >>> sanitize("a\nb\tc")
    'a b c'
    >>> len(sanitize("x" * 5000, limit=100))
    100
    """
    if one_line:
        text = re.sub(r"[\t\r]*\n[\t\r]*|\t", " ", text)
    cleaned = _CONTROL.sub(_escape, text)
    if limit is not None and len(cleaned) > limit:
        tail = limit // 3
        cut = f" … ({len(cleaned) - limit + 1:,} characters cut) … "
        head = max(limit - tail - len(cut), 0)
        cleaned = (cleaned[:head] + cut + cleaned[len(cleaned) - tail :])[:limit]
    return cleaned


def print_error(message: str) -> None:
    """Print ``error: MESSAGE`` as one sanitized line on standard error."""
    err_console.print(sanitize(f"error: {message}"), markup=False)


def print_warning(message: str) -> None:
    """Print ``warning: MESSAGE`` as one sanitized line on standard error."""
    err_console.print(sanitize(f"warning: {message}"), markup=False)


def print_text(text: str) -> None:
    """Print a result's text on standard output, its lines sanitized (not cut)."""
    console.print(sanitize(text, limit=None, one_line=False), markup=False)


def _default(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def print_json(payload: dict[str, Any], *, schema: str) -> None:
    """Write ``payload`` as indented JSON to standard output (no colour, no wrapping),
    stamped with the id and version of its JSON Schema ``schema`` (see ``cli/schemas``)."""
    from driftline.cli._schemas import stamped

    text = json.dumps(stamped(schema, payload), indent=2, default=_default, allow_nan=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
