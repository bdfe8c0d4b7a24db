"""``driftline schema [NAME]``: the JSON Schemas of the ``--json`` outputs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from driftline.cli._output import print_text
from driftline.cli._schemas import SCHEMAS, load_schema

__all__ = ["schema"]


def schema(
    name: Annotated[
        str | None,
        typer.Argument(help=f"The output whose schema to print: {', '.join(SCHEMAS)}."),
    ] = None,
) -> None:
    """Print the JSON Schema of a command's --json output; without NAME, list them."""
    if name is None:
        for key, commands in SCHEMAS.items():
            print_text(f"{key:<11} {load_schema(key)['$id']}  ({commands})")
        return
    typer.echo(json.dumps(load_schema(name), indent=2, ensure_ascii=False))
