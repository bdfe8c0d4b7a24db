"""``driftline profile PATH``: a mergeable profile of a data file, and its quality."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from driftline.cli._common import (
    ColumnsOption,
    InputOptions,
    JsonOption,
    check_columns,
    existing_path,
    output_path,
    split_columns,
    with_input_options,
)
from driftline.cli._output import EXIT_CHECK_FAILED, print_json, print_text
from driftline.cli._progress import Steps, progress_console

if TYPE_CHECKING:
    from driftline.profiles import DatasetProfile

_MAGIC = b"DLPROF"


def _load(path: Path, what: str, columns: list[str] | None, inputs: InputOptions) -> DatasetProfile:
    """Profile a data file in one streamed pass, or read a profile saved with ``--out``."""
    from driftline.profiles import DatasetProfile

    existing_path(path, what=what)
    with path.open("rb") as fh:
        saved = fh.read(len(_MAGIC)) == _MAGIC
    if saved:
        found = DatasetProfile.from_bytes(path.read_bytes())
        where = f"the saved profile {path.name!r}"
        check_columns("--columns", columns, found.column_names, source=where)
        if columns is None:
            return found
        return DatasetProfile(found.n_rows, tuple(found[name] for name in columns))
    if columns is not None:
        names = inputs.column_names(path, what=what)
        check_columns("--columns", columns, names, source=f"the {what} file {path.name!r}")
    return inputs.profile(path, what=what, columns=columns)


@with_input_options
def profile_command(
    path: Annotated[Path, typer.Argument(help="Parquet or CSV file, or a saved profile.")],
    columns: ColumnsOption = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="Check data quality against this file or saved profile; exit 1 on findings.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the serialized profile to this file.")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report here.")] = None,
    json_output: JsonOption = False,
    *,
    inputs: InputOptions,
) -> None:
    """Profile PATH (streamed, bounded memory); optionally check its quality against a reference."""
    from driftline.profiles import check_quality

    cols = split_columns(columns)
    output_path(out, option="--out")
    output_path(html, option="--html")
    quality = None
    with Steps(progress_console(json_output)) as steps:
        with steps.step(f"profile {path.name}"):
            current = _load(path, "data", cols, inputs)
        if reference is not None:
            with steps.step(f"profile {reference.name}"):
                ref = _load(reference, "reference", cols, inputs)
            with steps.step("check quality"):
                # A column without any value has no kind of its own: it takes the reference's.
                current = current.adopt_kinds(ref.kinds)
                ref = ref.adopt_kinds(current.kinds)
                quality = check_quality(current, ref)
        if out is not None:
            out.write_bytes(current.to_bytes())
        if html is not None:
            with steps.step(f"write {html.name}"):
                current.to_report(quality, title=f"Profile of {path.name}").write(html)
    if json_output:
        # One shape with or without --reference: the profile, and its quality or null.
        quality_dict = None if quality is None else quality.to_dict()
        print_json({**current.to_dict(), "quality": quality_dict}, schema="profile")
    else:
        print_text("\n".join(current.summary()))
        if quality is not None:
            print_text("\n" + "\n".join(quality.summary()))
        if out is not None:
            print_text(f"Profile written to {out} ({out.stat().st_size:,} bytes)")
    if html is not None and not json_output:
        print_text(f"Report: {html}")
    if quality is not None and not quality.passed:
        raise typer.Exit(EXIT_CHECK_FAILED)
