"""Run a serving app under uvicorn, and build its prediction log from a ``--log-to`` value."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from driftline.serve._predlog import ClientSink, PredictionLog, StoreSink, log_schema
from driftline.serve._runtime import ServedModel

__all__ = ["prediction_log_to", "run"]


def prediction_log_to(
    model: ServedModel,
    log_to: str,
    *,
    project: str = "default",
    token: str | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
    max_spill_bytes: int = 1 << 30,
) -> PredictionLog:
    """A :class:`PredictionLog` for ``model``: ``log_to`` is ``"local"`` (the local store at
    ``DRIFTLINE_DATABASE_URL``, default SQLite file), a database URL (``sqlite:///...``,
    ``postgresql+psycopg://...``), or a monitoring server's ``http(s)://`` URL (with
    ``token``). Undelivered rows spill to ``spill_dir`` (default
    ``./.driftline/serve-spill/<model>-<version>``).
    """
    from driftline.exceptions import ParameterError

    schema = log_schema(model)
    directory = Path(spill_dir) if spill_dir is not None else (
        Path(".driftline") / "serve-spill" / f"{model.name}-{model.version}"
    )  # fmt: skip
    sink: Any
    if log_to.startswith(("http://", "https://")):
        if not token:
            raise ParameterError(
                "Logging to a monitoring server needs an API token (--token, or "
                "DRIFTLINE_TOKEN); create one with `driftline token create`."
            )
        from driftline.client import Client

        client = Client(log_to, token, project=None if project == "default" else project,
                        retries=1, backoff=0.1, timeout=10.0)  # fmt: skip
        sink = ClientSink(client, model=model.name, version=model.version, schema=schema)
    else:
        from driftline._config import load_settings
        from driftline.store import create_engine_from_url, migrate

        url = load_settings().values.database_url if log_to == "local" else log_to
        if "://" not in url:
            raise ParameterError(
                f"--log-to must be 'local', a database URL or an http(s) URL; got {log_to!r}."
            )
        engine = create_engine_from_url(url)
        migrate(engine)
        sink = StoreSink(engine, project=project, model=model.name, version=model.version,
                         schema=schema)  # fmt: skip
    return PredictionLog(sink, spill_dir=directory, max_spill_bytes=max_spill_bytes)


def run(
    model: ServedModel,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    log_level: str = "info",
    **options: Any,
) -> None:
    """Serve ``model`` on ``host:port`` until interrupted (one uvicorn process; the model
    runs on its own thread). ``options`` go to :func:`driftline.serve.create_app`.
    """
    import uvicorn

    from driftline.serve._app import create_app

    app = create_app(model, **options)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=15,
        limit_concurrency=1024,
        h11_max_incomplete_event_size=64 * 1024,
    )
