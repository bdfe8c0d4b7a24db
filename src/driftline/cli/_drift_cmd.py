"""``driftline drift REFERENCE CURRENT``: compare two data sets column by column."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli._common import (
    ColumnsOption,
    InputOptions,
    JsonOption,
    split_columns,
    with_input_options,
)
from driftline.cli._output import EXIT_CHECK_FAILED, console, print_json
from driftline.exceptions import InsufficientDataError


@with_input_options
def drift(
    reference: Annotated[Path, typer.Argument(help="Reference data: a Parquet or CSV file.")],
    current: Annotated[Path, typer.Argument(help="Current data: a Parquet or CSV file.")],
    columns: ColumnsOption = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Columns to leave out (repeatable).")
    ] = None,
    alpha: Annotated[
        float, typer.Option(min=1e-6, max=0.5, help="Test level after FDR control.")
    ] = 0.05,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    json_output: JsonOption = False,
    *,
    inputs: InputOptions,
) -> None:
    """Detect drift between REFERENCE and CURRENT. Exit 1 if drift is found, 0 if not."""
    from driftline.drift._detector import DriftDetector

    selected = split_columns(columns)
    ref, cur = inputs.read_pair(reference, current, columns=selected)
    detector = DriftDetector(alpha=alpha, columns=selected, exclude=split_columns(exclude) or [])
    detector.fit(ref)
    report = detector.compare(cur)
    if not report.columns:
        reasons = "; ".join(f"{name}: {why}" for name, why in report.skipped.items())
        raise InsufficientDataError(f"No column could be tested for drift ({reasons}).")
    if html is not None:
        report.to_html(html)
    if json_output:
        print_json(report.to_dict())
    else:
        console.print(report.summary(), markup=False)
        if html is not None:
            console.print(f"Report: {html}")
    if report.drifted:
        raise typer.Exit(EXIT_CHECK_FAILED)
