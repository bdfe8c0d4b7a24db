"""``driftline quickstart``: the showcase, end to end, offline."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from driftline.cli._output import console, print_json, print_text, sanitize
from driftline.cli._progress import Steps, progress_console
from driftline.exceptions import ParameterError

if TYPE_CHECKING:
    from driftline.quickstart import Finding

_ICONS = {
    "ok": "[green]✓[/green]",
    "warn": "[yellow]![/yellow]",
    "fail": "[red]✗[/red]",
    "info": "•",
}


class _Printer:
    """Prints each step's findings as soon as the step finishes (flushed: a pipe or a CI
    log sees them as they come), under a heading per step."""

    def __init__(self, steps: Steps) -> None:
        self._steps = steps
        self._heading: str | None = None

    def done(self, title: str, findings: Sequence[Finding], seconds: float) -> None:
        self._steps.done(title, seconds)
        for finding in findings:
            if finding.step != self._heading:
                self._heading = finding.step
                console.print(f"[bold]{escape(sanitize(finding.step))}[/bold]")
            text = escape(sanitize(finding.text, limit=None))
            console.print(f"  {_ICONS[finding.tone]} {text}")
        sys.stdout.flush()


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

    Everything is generated locally; nothing is downloaded. Each step's findings are
    printed as it finishes (on a terminal, the running step is shown on standard error).
    """
    from driftline.quickstart import run_quickstart

    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {str(out)!r} is a file; give a folder (it is created).")
    if json_output:
        result = run_quickstart(out, seed=seed, rows_per_week=rows_per_week)
        print_json(result.to_dict(), schema="quickstart")
        return
    console.print("[bold]driftline quickstart[/bold] — a credit model meets a downturn\n")
    sys.stdout.flush()
    with Steps(progress_console(), done_lines=False) as steps:
        printer = _Printer(steps)
        result = run_quickstart(
            out, seed=seed, rows_per_week=rows_per_week, on_start=steps.start, on_step=printer.done
        )
    print_text(f"\nReport:  {result.report_path}")
    print_text(f"Data:    {result.files['reference']}, {result.files['production']}")
    live = result.facts.get("monitoring_service") or {}
    if live.get("project"):
        print_text(
            f"Server:  driftline server --database-url {live['database_url']}  "
            f"(project {live['project']!r}, model {live['model']!r}, admin token above)"
        )
    print_text(f"Done in {result.elapsed_seconds:.1f} s.")
