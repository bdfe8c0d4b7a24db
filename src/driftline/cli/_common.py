"""Option types and small helpers shared by the data commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.exceptions import DataError

__all__ = ["ColumnsOption", "JsonOption", "existing_path", "split_columns"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")]
ColumnsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--columns",
        help="Columns to use (repeat the option or separate names with commas). Default: all.",
    ),
]


def split_columns(values: list[str] | None) -> list[str] | None:
    """Flatten ``--columns a,b --columns c`` into ``["a", "b", "c"]`` (None when absent)."""
    if not values:
        return None
    names = [name.strip() for value in values for name in value.split(",")]
    return [name for name in names if name]


def existing_path(path: Path, *, what: str) -> Path:
    """Return ``path`` if it is a readable file, else raise a one-line :class:`DataError`."""
    if not path.exists():
        raise DataError(f"The {what} file {str(path)!r} does not exist.")
    if not path.is_file():
        raise DataError(f"The {what} path {str(path)!r} is not a file.")
    return path
