"""``driftline drift REFERENCE CURRENT``: compare two data sets column by column.

Exit codes: 0 no drift, 1 drift found (a column's distribution, missing rate or kind
changed), 2 usage or input error — including data too small to judge: the report is still
printed (and written with ``--html``), and the message on standard error says why.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from driftline.cli._common import (
    ColumnsOption,
    InputOptions,
    JsonOption,
    check_columns,
    did_you_mean,
    output_path,
    split_columns,
    warn_unknown_columns,
    with_input_options,
)
from driftline.cli._output import EXIT_CHECK_FAILED, print_json, print_text
from driftline.cli._progress import Steps, progress_console
from driftline.exceptions import InsufficientDataError, SchemaMismatchError

_PERIODS = ("H", "D", "W", "M", "Q", "Y")


def _check_options(
    ref_cols: list[str],
    cur_cols: list[str],
    columns: list[str] | None,
    exclude: list[str],
    timestamp: str | None,
) -> None:
    """Refuse unknown --columns, warn about unknown --exclude, in the words of the CLI."""
    check_columns("--columns", columns, ref_cols, source="the reference file")
    warn_unknown_columns("--exclude", exclude, ref_cols, source="the reference file")
    if timestamp is not None and timestamp not in cur_cols:
        raise SchemaMismatchError(
            f"--timestamp {timestamp}: the current file has no such column"
            f"{did_you_mean(timestamp, cur_cols)}."
        )
    wanted = columns if columns is not None else ref_cols
    lacking = [c for c in wanted if c not in cur_cols and c not in exclude and c != timestamp]
    if lacking:
        extra = [c for c in cur_cols if c not in ref_cols]
        raise SchemaMismatchError(
            f"The current file lacks column(s) {lacking} that the reference has"
            f"{did_you_mean(lacking[0], extra)}; use --columns/--exclude to compare a subset."
        )


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
    timestamp: Annotated[
        str | None,
        typer.Option(
            "--timestamp", help="Timestamp column of CURRENT: order rows by it and chunk by time."
        ),
    ] = None,
    chunk_period: Annotated[
        str | None,
        typer.Option(
            "--chunk-period",
            help="Also judge each calendar period: H, D, W (ISO week), M, Q or Y (needs --timestamp).",
        ),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=1, help="Also judge each block of this many rows."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    json_output: JsonOption = False,
    *,
    inputs: InputOptions,
) -> None:
    """Detect drift between REFERENCE and CURRENT.

    Exit 1 if drift is found, 0 if not, 2 on an input error or when the data are too
    small to judge (the report is printed all the same).
    """
    from driftline.drift import DriftDetector

    names, left_out = split_columns(columns), split_columns(exclude) or []
    if chunk_period is not None and chunk_period not in _PERIODS:
        raise typer.BadParameter(
            f"{chunk_period!r} is not one of {', '.join(_PERIODS)}.", param_hint="--chunk-period"
        )
    if chunk_period is not None and timestamp is None:
        raise typer.BadParameter("--chunk-period needs --timestamp.", param_hint="--chunk-period")
    if chunk_period is not None and chunk_size is not None:
        raise typer.BadParameter(
            "use either --chunk-period or --chunk-size.", param_hint="--chunk-size"
        )
    output_path(html, option="--html")
    with Steps(progress_console(json_output)) as steps:
        ref, cur = inputs.read_pair(reference, current, steps=steps)
        ref_cols = ref.column_names
        _check_options(ref_cols, cur.column_names, names, left_out, timestamp)
        if timestamp is not None and names is None and timestamp in ref_cols:
            left_out = [*left_out, timestamp]  # the timestamp moves by construction
        detector = DriftDetector(alpha=alpha, columns=names, exclude=left_out)
        with steps.step(f"fit the reference ({ref.num_rows:,} rows)"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # said above in the CLI's words
            detector.fit(ref)
        period: Any = chunk_period  # the detector refuses a period it does not know, by name
        with steps.step(f"compare {cur.num_rows:,} rows"):
            report = detector.compare(
                cur, timestamp=timestamp, chunk_period=period, chunk_size=chunk_size
            )
        if html is not None:
            with steps.step(f"write {html.name}"):
                report.to_html(html)
    if json_output:
        print_json(report.to_dict(), schema="drift")
    else:
        print_text(report.summary())
        if html is not None:
            print_text(f"Report: {html}")
    if report.status in ("not_enough_data", "not_tested"):
        raise InsufficientDataError(
            f"No column could be tested for drift. {report.summary().splitlines()[0]}."
        )
    if report.drifted:
        raise typer.Exit(EXIT_CHECK_FAILED)
