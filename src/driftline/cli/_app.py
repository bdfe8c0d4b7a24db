"""The ``driftline`` Typer application and its error handling."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from driftline._version import __version__
from driftline.cli._audit_cmd import audit_app
from driftline.cli._config_cmd import config_app
from driftline.cli._drift_cmd import drift
from driftline.cli._estimate_cmd import estimate
from driftline.cli._evaluate_cmd import evaluate
from driftline.cli._gate_cmd import gate_app
from driftline.cli._monitor_cmd import monitor
from driftline.cli._output import EXIT_USAGE, print_error
from driftline.cli._profile_cmd import profile_command
from driftline.cli._quickstart_cmd import quickstart
from driftline.cli._schema_cmd import schema
from driftline.cli._server_cmd import project_app, server, token_app
from driftline.exceptions import DriftlineError

__all__ = ["app", "main"]

app = typer.Typer(
    name="driftline",
    help=(
        "Gate, monitor and audit tabular models in production.\n\n"
        "Exit codes: 0 ok, 1 a check failed (drift found, gate failed), 2 usage or input error."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"driftline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    """Gate, monitor and audit tabular models in production."""


app.command("quickstart")(quickstart)
app.command("profile")(profile_command)
app.command("drift")(drift)
app.command("evaluate")(evaluate)
app.command("estimate")(estimate)
app.add_typer(gate_app)
app.command("server")(server)
app.command("monitor")(monitor)
app.add_typer(project_app)
app.add_typer(token_app)
app.add_typer(config_app)
app.command("schema")(schema)
app.add_typer(audit_app)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and exit with its code: 0 ok, 1 check failed, 2 usage or input error.

    Errors print one line on standard error; ``--debug`` (or ``DRIFTLINE_DEBUG=1``)
    shows the full traceback instead.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("DRIFTLINE_DEBUG", "") not in ("", "0")
    command = typer.main.get_command(app)
    try:
        # Typer reports usage errors itself (exit 2) and exits with each command's code.
        command.main(args=args, prog_name="driftline", standalone_mode=True)
    except DriftlineError as exc:
        if debug:
            raise
        print_error(str(exc))
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        if debug:
            raise
        print_error(error_message(exc))
        sys.exit(EXIT_USAGE)


def error_message(exc: BaseException) -> str:
    """The one-line message for an error that is not one of driftline's own: what went
    wrong in words, never a bare exception class name (``IsADirectoryError: ...``)."""
    hint = " (run with --debug for the traceback)"
    if isinstance(exc, OSError):
        what = exc.strerror or str(exc) or "operating system error"
        where = "" if exc.filename is None else f" ({str(exc.filename)!r})"
        return f"Cannot use a file or folder{where}: {what}.{hint}"
    text = str(exc).strip().rstrip(".")
    arrow = sys.modules.get("pyarrow")
    if arrow is not None and isinstance(exc, arrow.ArrowException):
        return f"Cannot process the data: {text or 'invalid data'}.{hint}"
    if isinstance(exc, ValueError):
        return f"Invalid value: {text or 'no details'}.{hint}"
    return (
        f"internal error ({type(exc).__name__}): {text or 'no message'}. This is a bug in "
        "driftline; please report it with the output of the same command run with --debug."
    )
