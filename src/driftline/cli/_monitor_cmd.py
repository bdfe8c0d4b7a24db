"""``driftline monitor``: the monitoring worker (window results and alerts) on its own."""

from __future__ import annotations

import json
import logging
import signal
import threading
from typing import Annotated, Any

import typer

from driftline.exceptions import ParameterError

__all__ = ["monitor"]


def _connect(database_url: str | None) -> Any:
    from sqlalchemy.exc import SQLAlchemyError

    from driftline.store import create_engine_from_url, migrate

    engine = create_engine_from_url(database_url)
    try:
        migrate(engine)  # idempotent: a fresh database works, a current one is untouched
    except SQLAlchemyError as exc:
        engine.dispose()
        where = engine.url.render_as_string(hide_password=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(
            f"Cannot use the database at {where}: {first}. Check --database-url "
            "(or DRIFTLINE_DATABASE_URL) and that the server is running."
        ) from exc
    return engine


def monitor(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Database URL (default: DRIFTLINE_DATABASE_URL, then ./.driftline/driftline.db).",
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between passes.")
    ] = 5.0,
    once: Annotated[
        bool, typer.Option("--once", help="Run one pass, print what it did as JSON, and exit.")
    ] = False,
) -> None:
    """Compute window results and evaluate alert rules, as a worker separate from the server."""
    from driftline.cli._schemas import stamped
    from driftline.monitor import Monitor

    engine = _connect(database_url)
    worker = Monitor(engine, interval_seconds=interval)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        if once:
            stats = worker.run_once()
            typer.echo(json.dumps(stamped("monitor", stats.to_dict())))
            return
        stop = threading.Event()

        def _stop(signum: int, _frame: Any) -> None:
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stop)
        where = engine.url.render_as_string(hide_password=True)
        logging.getLogger("driftline.monitor").info(
            "monitoring %s every %.1f s (Ctrl+C to stop)", where, interval
        )
        worker.run_forever(stop)
    finally:
        engine.dispose()
