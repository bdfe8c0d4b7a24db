"""``driftline quickstart``: the showcase, end to end, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli._output import console, print_json

_ICONS = {
    "ok": "[green]✓[/green]",
    "warn": "[yellow]![/yellow]",
    "fail": "[red]✗[/red]",
    "info": "•",
}


def quickstart(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for the report and the demo data.")
    ] = Path("driftline-quickstart"),
    seed: Annotated[int, typer.Option(help="Seed of the generated demo.")] = 7,
    rows_per_week: Annotated[
        int, typer.Option("--rows-per-week", min=50, help="Predictions per demo week.")
    ] = 2_000,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run the demo: train a model, watch it meet drift and decay, write a report.

    Everything is generated locally; nothing is downloaded. Takes well under a minute.
    """
    from driftline.quickstart import run_quickstart

    if not json_output:
        console.print("[bold]driftline quickstart[/bold] — a credit model meets a downturn\n")
    result = run_quickstart(out, seed=seed, rows_per_week=rows_per_week)
    if json_output:
        print_json(result.to_dict(), schema="quickstart")
        return
    step = None
    for finding in result.findings:
        if finding.step != step:
            step = finding.step
            console.print(f"[bold]{step}[/bold]")
        console.print(f"  {_ICONS[finding.tone]} {finding.text}", markup=True)
    console.print(f"\nReport:  {result.report_path}")
    console.print(f"Data:    {result.files['reference']}, {result.files['production']}")
    console.print(f"Done in {result.elapsed_seconds:.1f} s.")
