"""Output helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

__all__ = ["EXIT_CHECK_FAILED", "EXIT_OK", "EXIT_USAGE", "console", "err_console", "print_json"]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _default(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def print_json(payload: Any) -> None:
    """Write ``payload`` as indented JSON to standard output (no colour, no wrapping)."""
    sys.stdout.write(json.dumps(payload, indent=2, default=_default, allow_nan=False) + "\n")
    sys.stdout.flush()
