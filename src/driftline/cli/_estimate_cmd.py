"""``driftline estimate REFERENCE CURRENT``: performance before labels arrive (CBPE)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli._common import (
    InputOptions,
    JsonOption,
    check_columns,
    output_path,
    split_columns,
    with_input_options,
)
from driftline.cli._output import EXIT_CHECK_FAILED, print_json, print_text
from driftline.cli._progress import Steps, progress_console


@with_input_options
def estimate(
    reference: Annotated[
        Path, typer.Argument(help="Labelled reference predictions: Parquet or CSV.")
    ],
    current: Annotated[Path, typer.Argument(help="Current predictions: Parquet or CSV.")],
    score: Annotated[
        list[str],
        typer.Option(
            "--score",
            help="Score column; several = multiclass: one per class, named after its class "
            "(a,b,c or proba_a,proba_b,...; matched by name, any order) or class=column pairs.",
        ),
    ],
    target: Annotated[str, typer.Option("--target", help="Label column of the reference.")],
    pred: Annotated[
        str | None, typer.Option("--pred", help="Predicted-label column (default: threshold).")
    ] = None,
    chunk_size: Annotated[
        int | None, typer.Option("--chunk-size", min=2, help="Rows per chunk (default: 10 chunks).")
    ] = None,
    features: Annotated[
        list[str] | None,
        typer.Option("--features", help="Feature columns to check for covariate shift."),
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report here.")] = None,
    json_output: JsonOption = False,
    *,
    inputs: InputOptions,
) -> None:
    """Estimate ROC AUC, F1, accuracy, ... of CURRENT from its scores alone (CBPE).

    Exit 1 if an estimate leaves the reference band or an assumption is violated.
    If CURRENT has the target column, realized values are compared with the estimates.
    """
    from driftline.cli._evaluate_cmd import score_columns
    from driftline.estimate import CBPE

    scores = score_columns(score) or []
    multiclass = isinstance(scores, dict) or len(scores) > 1
    one = scores[0] if isinstance(scores, list) and scores else ""
    output_path(html, option="--html")
    with Steps(progress_console(json_output)) as steps:
        ref_table, cur_table = inputs.read_pair(reference, current, steps=steps)
        names = ref_table.column_names
        check_columns("--target", [target], names, source="the reference file")
        check_columns("--pred", [pred] if pred else None, names, source="the reference file")
        check_columns("--features", split_columns(features), names, source="the reference file")
        ref, cur = ref_table.to_pandas(), cur_table.to_pandas()
        cbpe = CBPE(
            problem="multiclass" if multiclass else "binary",
            chunk_size=chunk_size,
            chunk_number=None if chunk_size else 10,
        )
        with steps.step(f"fit CBPE on {len(ref):,} rows"):
            cbpe.fit(
                ref,
                y_score=scores if multiclass else one,
                y_true=target,
                y_pred=pred,
                features=split_columns(features),
            )
        with steps.step(f"estimate {len(cur):,} rows"):
            result = cbpe.estimate(cur, y_true=target if target in cur.columns else None)
        if html is not None:
            with steps.step(f"write {html.name}"):
                result.to_html(html)
    if json_output:
        print_json(result.to_dict(), schema="estimate")
    else:
        print_text("\n".join(result.summary()))
    if html is not None and not json_output:
        print_text(f"Report: {html}")
    if result.alerts or any(w.severity == "warning" for w in result.warnings):
        raise typer.Exit(EXIT_CHECK_FAILED)
