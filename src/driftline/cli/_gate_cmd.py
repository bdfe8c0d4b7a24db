"""``driftline gate run|init``: the deployment gate in CI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from driftline.cli._common import InputOptions, output_path, with_input_options
from driftline.cli._output import (
    EXIT_CHECK_FAILED,
    console,
    print_json,
    print_text,
    print_warning,
    sanitize,
)
from driftline.cli._progress import Steps, progress_console
from driftline.exceptions import ParameterError

__all__ = ["gate_app"]

gate_app = typer.Typer(
    name="gate",
    help=(
        "Gate a candidate model against a policy (and the champion) before deployment.\n\n"
        "Exit codes: 0 pass (warnings and checks not evaluated allowed), 1 a check failed "
        "(or, with on_not_evaluated: fail, could not be evaluated), 2 usage or input error."
    ),
    no_args_is_help=True,
)

_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "not_evaluated": "magenta"}


@gate_app.command("run")
@with_input_options
def run_command(
    policy: Annotated[Path, typer.Option("--policy", help="The policy YAML file.")],
    candidate: Annotated[
        Path,
        typer.Option(
            "--candidate",
            help="Candidate model: .onnx, .skops, predictions (.csv/.parquet) or, with "
            "--allow-pickle, .pkl/.joblib.",
        ),
    ],
    data: Annotated[Path, typer.Option("--data", help="Evaluation data (Parquet or CSV).")],
    champion: Annotated[
        Path | None, typer.Option("--champion", help="Champion (production) model, same formats.")
    ] = None,
    train_data: Annotated[
        Path | None, typer.Option("--train-data", help="Training data (drift, overlap checks).")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Target column (overrides the policy).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write a PR comment (Markdown) here.")
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report here.")] = None,
    allow_pickle: Annotated[
        bool,
        typer.Option(
            "--allow-pickle",
            help="Allow loading pickle/joblib models (runs arbitrary code; recorded in the report).",
        ),
    ] = False,
    trust_type: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-type",
            help="A type a .skops file may contain beyond the reviewed allowlist (repeatable).",
        ),
    ] = None,
    *,
    inputs: InputOptions,
) -> None:
    """Run every check of the policy. Exit 0 pass (warnings allowed), 1 fail, 2 error."""
    from driftline.gate import run

    if allow_pickle:
        print_warning("--allow-pickle: pickle files run code when loaded.")
    for option, path in (("--markdown", markdown), ("--junit", junit), ("--html", html)):
        output_path(path, option=option)
    with Steps(progress_console(json_output)) as steps:
        with steps.step(f"run the checks of {policy.name}"):
            report = run(
                policy,
                candidate=candidate,
                champion=champion,
                data=data,
                train_data=train_data,
                target=target,
                allow_pickle=allow_pickle,
                trusted_types=trust_type or (),
                **inputs.to_gate(),
            )
        for path, text in ((markdown, report.to_markdown), (junit, report.to_junit)):
            if path is not None:
                path.write_text(text(), encoding="utf-8")
        if html is not None:
            with steps.step(f"write {html.name}"):
                report.to_html(html)
    if json_output:
        print_json(report.to_dict(), schema="gate")
    elif not console.is_terminal:  # CI logs: one plain line per check, never wrapped
        print_text(report.summary())
        for label, path in (("Markdown", markdown), ("JUnit", junit), ("HTML", html)):
            if path is not None:
                print_text(f"{label}: {path}")
    else:
        table = Table(title=sanitize(report.headline()), title_justify="left")
        for col in ("status", "check", "observed", "threshold", "CI", "reason"):
            table.add_column(col, overflow="fold")
        for c in report.checks:
            thr = "-" if c.threshold is None else f"{c.direction} {c.threshold:.4g}"
            obs = "-" if c.observed is None else f"{c.observed:.4g}"
            table.add_row(
                f"[{_STYLE[c.status]}]{c.status.upper().replace('_', ' ')}[/]",
                *(Text(sanitize(v, limit=None)) for v in (c.name, obs, thr, c.interval, c.reason)),
            )
        console.print(table)
        for note in report.notes:
            print_text(f"note: {note}")
        for label, path in (("Markdown", markdown), ("JUnit", junit), ("HTML", html)):
            if path is not None:
                print_text(f"{label}: {path}")
    if report.verdict == "fail":
        raise typer.Exit(EXIT_CHECK_FAILED)


@gate_app.command("init")
def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the policy.")] = Path(
        "driftline-gate.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example policy (refuses to overwrite without --force)."""
    from driftline.gate import example_policy

    if path.exists() and not force:
        raise ParameterError(f"{str(path)!r} already exists; pass --force to overwrite it.")
    output_path(path, option="PATH")
    path.write_text(example_policy(), encoding="utf-8")
    console.print(f"Wrote {path}. Edit the target, thresholds and columns, then run:", markup=False)
    console.print(
        f"  driftline gate run --policy {path} --candidate MODEL --data EVAL.parquet", markup=False
    )
