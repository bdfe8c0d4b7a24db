"""Progress on standard error while a command works, on a terminal only.

A 1M-row drift, profile or estimate takes seconds to tens of seconds: on a terminal
the step in progress is shown with a spinner and its elapsed time, and each finished
step as one ``✓ step (1.2 s)`` line, all on standard error (standard output stays the
result). Nothing is shown with ``--json``, nor when standard error is not a terminal
(CI logs, pipes). ``DRIFTLINE_PROGRESS=1`` shows it even without a terminal,
``DRIFTLINE_PROGRESS=0`` never.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from driftline.cli._output import err_console, sanitize

__all__ = ["PROGRESS_ENV", "Steps", "progress_console"]

PROGRESS_ENV = "DRIFTLINE_PROGRESS"
_ON = ("1", "true", "yes", "on", "always")
_OFF = ("0", "false", "no", "off", "never")


def progress_console(json_output: bool = False) -> Console | None:
    """The console to show progress on, or ``None`` for none (``--json``, no terminal)."""
    if json_output:
        return None
    value = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if value in _OFF:
        return None
    if value in _ON:
        return Console(stderr=True, force_terminal=True, highlight=False, soft_wrap=True)
    return err_console if err_console.is_terminal else None


class Steps:
    """The steps of one command: ``with Steps(console) as steps: with steps.step("...")``.

    With ``console=None`` it shows nothing and costs nothing. ``done_lines=False`` keeps
    only the spinner (for a command that prints its own line per step).
    """

    def __init__(self, console: Console | None, *, done_lines: bool = True) -> None:
        self._done_lines = done_lines
        self._progress = (
            None
            if console is None
            else Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
        )

    def __enter__(self) -> Steps:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, text: str) -> None:
        """Show ``text`` as the step in progress (replacing the previous one)."""
        if self._progress is None:
            return
        for task in list(self._progress.task_ids):
            self._progress.remove_task(task)
        self._progress.add_task(escape(sanitize(text)))

    def done(self, text: str, seconds: float) -> None:
        """Clear the step in progress; print ``✓ text (seconds)`` unless told not to."""
        if self._progress is None:
            return
        for task in list(self._progress.task_ids):
            self._progress.remove_task(task)
        if self._done_lines:
            self._progress.console.print(
                f"[green]✓[/green] {escape(sanitize(text))} ({seconds:.1f} s)"
            )

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """Show ``text`` while the block runs; when it finishes, print it as done."""
        started = time.perf_counter()
        self.start(text)
        yield
        self.done(text, time.perf_counter() - started)
