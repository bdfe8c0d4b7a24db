"""``driftline config ...``: inspect the effective configuration."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from driftline._config import load_settings
from driftline.cli._output import console, print_json

config_app = typer.Typer(
    name="config", help="Inspect driftline's configuration.", no_args_is_help=True
)


@config_app.command("show")
def show(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective configuration and where each value comes from."""
    settings = load_settings()
    if json_output:
        print_json(settings.to_dict(), schema="config")
        return
    table = Table(title="driftline configuration", title_justify="left")
    table.add_column("setting")
    table.add_column("value")
    table.add_column("source")
    for key, entry in settings.to_dict()["settings"].items():
        table.add_row(key, str(entry["value"]), entry["source"])
    console.print(table)
    console.print(f"config file: {settings.config_path or '(none)'}")
