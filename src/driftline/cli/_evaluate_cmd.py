"""``driftline evaluate DATA``: metrics with confidence intervals, and the worst slices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import typer

from driftline.cli._common import (
    InputOptions,
    JsonOption,
    did_you_mean,
    output_path,
    split_columns,
    with_input_options,
)
from driftline.cli._output import print_json, print_text
from driftline.cli._progress import Steps, progress_console
from driftline.exceptions import DataError, SchemaMismatchError

Task = Literal["binary", "multiclass", "regression"]


def _column(table: Any, name: str | None, role: str) -> np.ndarray | None:
    if name is None:
        return None
    return _required(table, name, role)


def _numeric(values: np.ndarray | None, name: str | None) -> np.ndarray | None:
    if values is None or values.dtype.kind in "iufb":
        return values
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"The score column {name!r} must hold numbers; it has values that are not ({exc})."
        ) from exc


def score_columns(values: list[str] | None) -> list[str] | dict[str, str] | None:
    """``--score a,b,c`` (columns named after the classes) or ``--score a=pa,b=pb`` (class
    to column); ``None`` when absent."""
    names = split_columns(values)
    if not names:
        return None
    pairs = [n.split("=", 1) for n in names]
    if all(len(p) == 2 for p in pairs):
        return {cls.strip(): col.strip() for cls, col in pairs}
    if any(len(p) == 2 for p in pairs):
        raise typer.BadParameter(
            "give either column names (--score a,b,c) or class=column pairs "
            "(--score a=pa,b=pb,c=pc), not both",
            param_hint="--score",
        )
    return names


def _class_scores(
    table: Any, spec: list[str] | dict[str, str], y_true: np.ndarray
) -> tuple[np.ndarray, list[Any]]:
    """``(n, K)`` probabilities from per-class columns matched to the classes by name."""
    from driftline.metrics import match_class_columns

    classes = np.unique(y_true).tolist()
    mapping = match_class_columns(spec, classes, extra=True)
    cols = [np.asarray(_numeric(_required(table, c, "score"), c)) for c in mapping.values()]
    return np.column_stack(cols).astype(np.float64), list(mapping)


_OPTIONS = {"target": "--target", "score": "--score", "prediction": "--pred", "slice": "--slices"}


def _required(table: Any, name: str, role: str) -> np.ndarray:
    if name not in table.column_names:
        raise SchemaMismatchError(
            f"The {role} column {name!r} ({_OPTIONS[role]}) is not in the data"
            f"{did_you_mean(name, table.column_names)}; its columns: {table.column_names[:20]}."
        )
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


@with_input_options
def evaluate(
    data: Annotated[Path, typer.Argument(help="Labelled predictions: a Parquet or CSV file.")],
    target: Annotated[str, typer.Option("--target", help="Column with the true labels.")],
    score: Annotated[
        list[str] | None,
        typer.Option(
            "--score",
            help="Column with scores or probabilities. Multiclass: one column per class, "
            "named after its class (a,b,c or proba_a,proba_b,...) or as class=column pairs.",
        ),
    ] = None,
    pred: Annotated[
        str | None, typer.Option("--pred", help="Column with predicted labels or values.")
    ] = None,
    task: Annotated[str, typer.Option(help="binary, multiclass or regression.")] = "binary",
    threshold: Annotated[float, typer.Option(help="Decision threshold on the score.")] = 0.5,
    pos_label: Annotated[
        str | None,
        typer.Option("--pos-label", help="The positive class (binary), e.g. yes. Default: 1."),
    ] = None,
    slices: Annotated[
        list[str] | None,
        typer.Option(
            "--slices",
            help="Columns to search for the worst slices (repeat or separate with commas).",
        ),
    ] = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999)] = 0.95,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report here.")] = None,
    json_output: JsonOption = False,
    *,
    inputs: InputOptions,
) -> None:
    """Evaluate predictions in DATA with confidence intervals; --slices finds the worst slices."""
    from driftline.metrics import evaluate as run_evaluation
    from driftline.metrics import evaluation_report, find_worst_slices

    if task not in ("binary", "multiclass", "regression"):
        raise typer.BadParameter(f"must be binary, multiclass or regression; got {task!r}")
    if score is None and pred is None:
        raise typer.BadParameter("give --score, --pred or both", param_hint="--score/--pred")
    output_path(html, option="--html")
    with Steps(progress_console(json_output)) as steps:
        with steps.step(f"read {data.name}"):
            table = inputs.read(data, what="data")
        y_true = _required(table, target, "target")
        scores = score_columns(score)
        labels: list[Any] | None = None
        y_score: np.ndarray | None = None
        if task == "multiclass" and scores is not None:
            y_score, labels = _class_scores(table, scores, y_true)
        elif scores is not None:
            if isinstance(scores, dict) or len(scores) > 1:
                raise typer.BadParameter(
                    f"task {task} takes one score column; per-class columns are for --task multiclass",
                    param_hint="--score",
                )
            y_score = _numeric(_column(table, scores[0], "score"), scores[0])
        y_pred = _column(table, pred, "prediction")
        positive: object = 1
        if pos_label is not None:
            positive = float(pos_label) if y_true.dtype.kind in "iufb" else pos_label
        with steps.step(f"evaluate {table.num_rows:,} rows"):
            report = run_evaluation(
                y_true,
                y_score,
                y_pred,
                task=task,  # type: ignore[arg-type]
                threshold=threshold,
                labels=labels,
                pos_label=positive,
                confidence=confidence,
                random_state=0,
            )
        slice_cols = split_columns(slices)
        worst = None
        if slice_cols and task == "binary":
            for name in slice_cols:
                _column(table, name, "slice")
            features = table.select(slice_cols).to_pandas()
            with steps.step("search the worst slices"):
                worst = find_worst_slices(
                    features, y_true, y_score, y_pred, threshold=threshold, random_state=0
                )
        if html is not None:
            with steps.step(f"write {html.name}"):
                page = evaluation_report(report, y_true=y_true, y_score=y_score, y_pred=y_pred,
                                         pos_label=positive, worst=worst,
                                         title=f"Evaluation of {data.name}")  # fmt: skip
                page.write(html)
    if json_output:
        payload = report.to_dict()
        if worst is not None:
            payload["worst_slices"] = worst.to_dict()
        print_json(payload, schema="evaluate")
    else:
        print_text(report.summary())
        if worst is not None:
            print_text("\n" + worst.summary())
    if html is not None and not json_output:
        print_text(f"Report: {html}")
