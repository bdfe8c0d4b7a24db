"""Option types and the one data loader shared by the commands that read files.

Every command that reads data files takes the same reading options (added by
:func:`with_input_options`): ``--schema FILE``, ``--categorical COLS``, ``--numeric
COLS`` (the kind of columns), and ``--sep``, ``--decimal``, ``--thousands``,
``--encoding`` (how CSV files are written; sniffed when not given). It reads files with
:mod:`driftline.tabular`, so that a CSV file and a Parquet file of the same rows give
the same answer, and prints each :class:`~driftline.exceptions.DataWarning` as one
``warning:`` line on standard error (standard output stays clean for ``--json``).
"""

from __future__ import annotations

import difflib
import functools
import inspect
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from driftline.cli._output import print_warning
from driftline.cli._progress import Steps
from driftline.exceptions import DataError, DataWarning, ParameterError, SchemaMismatchError

if TYPE_CHECKING:
    import pyarrow as pa

    from driftline.profiles import DatasetProfile
    from driftline.tabular import ColumnKind, CsvOptions

__all__ = [
    "ColumnsOption",
    "InputOptions",
    "JsonOption",
    "check_columns",
    "did_you_mean",
    "existing_path",
    "output_path",
    "split_columns",
    "surfaced_warnings",
    "warn_unknown_columns",
    "with_input_options",
]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")]
ColumnsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--columns",
        help="Columns to use (repeat the option or separate names with commas). Default: all.",
    ),
]
_PANEL = "Reading data"
_INPUT_PARAMETERS: tuple[tuple[str, Any, Any], ...] = (
    (
        "schema_file",
        Annotated[
            Path | None,
            typer.Option(
                "--schema",
                help="YAML or JSON file mapping column names to kinds (numeric, categorical, "
                "boolean, datetime, text); overrides inference.",
                rich_help_panel=_PANEL,
            ),
        ],
        None,
    ),
    (
        "categorical",
        Annotated[
            list[str] | None,
            typer.Option(
                "--categorical",
                help="Columns to read as categorical, e.g. integer codes or zip codes "
                "(comma list, repeatable).",
                rich_help_panel=_PANEL,
            ),
        ],
        None,
    ),
    (
        "numeric",
        Annotated[
            list[str] | None,
            typer.Option(
                "--numeric",
                help="Columns to read as numeric (comma list, repeatable).",
                rich_help_panel=_PANEL,
            ),
        ],
        None,
    ),
    (
        "sep",
        Annotated[
            str | None,
            typer.Option(
                "--sep",
                help="CSV delimiter, e.g. ';' or tab (default: sniffed among , ; tab |).",
                rich_help_panel=_PANEL,
            ),
        ],
        None,
    ),
    (
        "decimal",
        Annotated[
            str | None,
            typer.Option(
                "--decimal",
                help="CSV decimal mark: '.' or ',' (default: sniffed).",
                rich_help_panel=_PANEL,
            ),
        ],
        None,
    ),
    (
        "thousands",
        Annotated[
            str | None,
            typer.Option(
                "--thousands",
                help="CSV thousands separator: ',', '.', ' ' or \"'\"; '' for none "
                "(default: sniffed).",
                rich_help_panel=_PANEL,
            ),
        ],
        None,
    ),
    (
        "encoding",
        Annotated[
            str,
            typer.Option("--encoding", help="Text encoding of CSV files.", rich_help_panel=_PANEL),
        ],
        "utf-8",
    ),
)
_SEPARATORS = {"\\t": "\t", "tab": "\t", "TAB": "\t"}


def split_columns(values: list[str] | None) -> list[str] | None:
    """Flatten ``--columns a,b --columns c`` into ``["a", "b", "c"]`` (None when absent)."""
    if not values:
        return None
    names = [name.strip() for value in values for name in value.split(",")]
    return [name for name in names if name]


def existing_path(path: Path, *, what: str) -> Path:
    """Return ``path`` if it is a readable file, else raise a one-line :class:`DataError`."""
    if not path.exists():
        raise DataError(f"The {what} file {str(path)!r} does not exist.")
    if not path.is_file():
        raise DataError(f"The {what} path {str(path)!r} is not a file.")
    return path


def output_path(path: Path | None, *, option: str) -> Path | None:
    """Check a file the command will write, before any work: the one rule for outputs.

    Every command creates the missing parent folders of the files it writes (``--out``,
    ``--html``, ``--markdown``, ``--junit``), as CI jobs write into report folders that
    a fresh checkout does not have yet. A path that is a folder, or whose parent is a
    file, is refused with the option's name.
    """
    if path is None:
        return None
    if path.is_dir():
        raise ParameterError(
            f"{option} {str(path)!r} is a folder; give a file name, "
            f"e.g. {str(path / ('report.html' if option != '--out' else 'data.dlprof'))!r}."
        )
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ParameterError(
            f"{option} {str(path)!r}: a part of the folder {str(parent)!r} is a file, not a folder."
        ) from None
    except OSError as exc:
        raise ParameterError(
            f"{option} {str(path)!r}: cannot create the folder {str(parent)!r} "
            f"({exc.strerror or exc})."
        ) from None
    if not os.access(parent, os.W_OK):
        raise ParameterError(f"{option} {str(path)!r}: the folder {str(parent)!r} is not writable.")
    return path


def did_you_mean(name: str, available: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest name in ``available``, else ``""``."""
    close = difflib.get_close_matches(name, list(available), n=1, cutoff=0.75)
    if not close:
        close = [a for a in available if a.lower() == name.lower()][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _shown(available: Sequence[str]) -> str:
    names = list(available)
    more = f" and {len(names) - 20} more" if len(names) > 20 else ""
    return f"{names[:20]}{more}"


def check_columns(
    option: str, names: Sequence[str] | None, available: Sequence[str], *, source: str
) -> None:
    """Refuse names given to ``option`` (``--columns``, ...) that ``source`` lacks: one
    :class:`SchemaMismatchError` in the command line's words, with a did-you-mean."""
    unknown = [n for n in names or () if n not in set(available)]
    if unknown:
        raise SchemaMismatchError(
            f"{option} names column(s) {unknown} that {source} does not have"
            f"{did_you_mean(unknown[0], available)}; its columns: {_shown(available)}."
        )


def warn_unknown_columns(
    option: str, names: Sequence[str] | None, available: Sequence[str], *, source: str
) -> None:
    """Warn (standard error) about each name given to ``option`` (``--exclude``) that
    ``source`` lacks, with a did-you-mean: it has no effect."""
    for name in [n for n in names or () if n not in set(available)]:
        print_warning(
            f"{option} {name}: {source} has no such column{did_you_mean(name, available)}; "
            "nothing was excluded for it."
        )


@contextmanager
def surfaced_warnings(source: Path | None = None) -> Iterator[None]:
    """Print every :class:`DataWarning` raised inside as ``warning: SOURCE: message``."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as recorded:
            warnings.simplefilter("always", DataWarning)
            try:
                yield
            finally:
                caught = list(recorded)
    finally:  # also when reading failed: the warnings may say why
        _print_warnings(caught, source)


def _print_warnings(caught: list[warnings.WarningMessage], source: Path | None) -> None:
    seen: set[str] = set()
    for item in caught:
        if not issubclass(item.category, DataWarning):
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
            continue
        text = str(item.message)
        if text not in seen:
            seen.add(text)
            where = "" if source is None else f"{source}: "
            print_warning(f"{where}{text}")


@dataclass(frozen=True)
class InputOptions:
    """The reading options of one command: the column kinds and the CSV format."""

    schema: dict[str, ColumnKind] = field(default_factory=dict)
    csv: CsvOptions | None = None

    @classmethod
    def from_cli(
        cls,
        *,
        schema_file: Path | None = None,
        categorical: list[str] | None = None,
        numeric: list[str] | None = None,
        sep: str | None = None,
        decimal: str | None = None,
        thousands: str | None = None,
        encoding: str = "utf-8",
    ) -> InputOptions:
        """Build the options from the command line (errors name the option)."""
        from driftline.tabular import CsvOptions, build_schema, read_schema

        base = (
            None if schema_file is None else read_schema(existing_path(schema_file, what="schema"))
        )
        schema = build_schema(
            base,
            categorical=split_columns(categorical) or (),
            numeric=split_columns(numeric) or (),
        )
        sep = _SEPARATORS.get(sep, sep) if sep is not None else None
        return cls(schema, CsvOptions(sep=sep, decimal=decimal, thousands=thousands,
                                      encoding=encoding))  # fmt: skip

    def read(self, path: Path, *, what: str, columns: Sequence[str] | None = None) -> pa.Table:
        """Read a data file whole, typed and with its kinds (warnings printed)."""
        from driftline.tabular import read_table

        existing_path(path, what=what)
        with surfaced_warnings(path):
            return read_table(path, columns=columns, schema=self.schema, csv=self.csv)

    def column_names(self, path: Path, *, what: str) -> list[str]:
        """The column names of a data file (reads only its first rows)."""
        from driftline.tabular import iter_slices

        existing_path(path, what=what)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # printed when the file is read
            for first in iter_slices(path, batch_size=1_000, csv=self.csv):
                return list(first.column_names)
        return []

    def read_pair(
        self,
        reference: Path,
        current: Path,
        *,
        columns: Sequence[str] | None = None,
        steps: Steps | None = None,
    ) -> tuple[pa.Table, pa.Table]:
        """Read a reference and a current file; a column without any value on one side
        takes its kind (and type) from the other side, so that it arrives as a column
        that is 100 % missing rather than a column of unknown kind."""
        from driftline.tabular import table_kinds, to_table

        steps = steps or Steps(None)
        with steps.step(f"read {reference.name}"):
            ref = self.read(reference, what="reference", columns=columns)
        with steps.step(f"read {current.name}"):
            cur = self.read(current, what="current", columns=columns)
        ref_kinds, cur_kinds = table_kinds(ref), table_kinds(cur)
        for_ref = {n: k for n, k in cur_kinds.items() if k and ref_kinds.get(n, k) is None}
        for_cur = {n: k for n, k in ref_kinds.items() if k and cur_kinds.get(n, k) is None}
        if for_ref:
            ref = to_table(ref, schema=for_ref)
        if for_cur:
            cur = to_table(cur, schema=for_cur)
        return ref, cur

    def profile(
        self, path: Path, *, what: str, columns: Sequence[str] | None = None
    ) -> DatasetProfile:
        """Profile a data file in one streamed pass (warnings printed)."""
        from driftline.profiles import profile

        existing_path(path, what=what)
        with surfaced_warnings(path):
            return profile(path, columns=columns, schema=self.schema, csv=self.csv)

    def to_gate(self) -> dict[str, Any]:
        """Keyword arguments for :func:`driftline.gate.run`."""
        return {"schema": self.schema or None, "csv": self.csv}


def with_input_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the shared reading options to a command; it receives them as ``inputs``.

    The command declares a keyword parameter ``inputs: InputOptions``; the options
    (``--schema``, ``--categorical``, ``--numeric``, ``--sep``, ``--decimal``,
    ``--thousands``, ``--encoding``) appear in its ``--help`` under "Reading data".
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "inputs"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint)
        for name, hint, default in _INPUT_PARAMETERS
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        options = {name: kwargs.pop(name) for name, _, _ in _INPUT_PARAMETERS}
        with surfaced_warnings():  # what the command reads itself (gate run)
            command(**kwargs, inputs=InputOptions.from_cli(**options))

    wrapper.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
    return wrapper
