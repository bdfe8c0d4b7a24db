"""``driftline serve MODEL``: serve an ONNX or skops model over HTTP.

Register in ``cli/_app.py``::

    app.command("serve")(serve)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli._output import err_console
from driftline.exceptions import ParameterError

__all__ = ["serve"]


def serve(
    model: Annotated[str, typer.Argument(help="A .onnx or .skops file to serve.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Model name (default: the file's stem).")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Version (default: the first 12 hex digits of its sha256)."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8080,
    max_latency_ms: Annotated[
        float,
        typer.Option(
            "--max-latency-ms",
            min=0.001,
            help="Latency objective: a request that cannot be answered in time gets "
            "429 with Retry-After.",
        ),
    ] = 100.0,
    max_batch_size: Annotated[
        int, typer.Option("--max-batch-size", min=1, help="Most rows per model call.")
    ] = 256,
    log_to: Annotated[
        str | None,
        typer.Option(
            "--log-to",
            help="Log every prediction: 'local' (the local store, "
            "DRIFTLINE_DATABASE_URL), a database URL, or a monitoring server's URL.",
        ),
    ] = None,
    project: Annotated[
        str, typer.Option("--project", help="Project to log into (remote: the token's).")
    ] = "default",
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="DRIFTLINE_TOKEN",
            help="API token for a remote monitoring server (or DRIFTLINE_TOKEN).",
        ),
    ] = None,
    spill_dir: Annotated[
        Path | None,
        typer.Option(
            "--spill-dir",
            help="Where undelivered predictions wait on disk "
            "(default ./.driftline/serve-spill/<model>-<version>).",
        ),
    ] = None,
    trust_type: Annotated[
        list[str] | None,
        typer.Option("--trust-type", help="A reviewed type a skops file may hold (repeat)."),
    ] = None,
) -> None:
    """Serve a model: Open Inference Protocol v2 (/v2/...) and MLflow /invocations, with
    adaptive micro-batching, OpenAPI at /docs and Prometheus /metrics."""
    from driftline._config import load_settings
    from driftline._deps import require

    require("uvicorn", extra="serve")
    from driftline.serve import load_model, prediction_log_to, run

    if "@" in model and not Path(model).exists():
        raise ParameterError(
            f"{model!r} looks like a registry reference (name@alias); serving from the model "
            "registry is not available yet. Pass the path of a .onnx or .skops file."
        )
    served = load_model(model, name=name, version=version, trusted_types=trust_type or ())
    log = None
    if log_to is not None:
        log = prediction_log_to(served, log_to, project=project, token=token, spill_dir=spill_dir)
    err_console.print(
        f"serving {served.name} version {served.version} ({served.kind}, {served.task}) on "
        f"http://{host}:{port} (OIP v2 /v2/models/{served.name}/infer, /invocations, docs /docs, "
        f"metrics /metrics); predictions logged: {log.sink.label if log else 'no'}",
        markup=False,
    )
    settings = load_settings().values
    run(served, host=host, port=port, log_level=settings.log_level, max_latency_ms=max_latency_ms,
        max_batch_size=max_batch_size, prediction_log=log, metrics_token=settings.metrics_token)  # fmt: skip
