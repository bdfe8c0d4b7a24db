"""``driftline serve MODEL``: serve an ONNX or skops model over HTTP, from a file or from
the model registry (``MODEL@ALIAS``, ``MODEL:VERSION``) through a driftline server.

Register in ``cli/_app.py``::

    app.command("serve")(serve)
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from driftline.cli._model_cmd import UrlOption, _client
from driftline.cli._output import err_console
from driftline.exceptions import ParameterError

if TYPE_CHECKING:
    from driftline.client import Client

__all__ = ["serve"]

_DEFAULT_URL = "http://127.0.0.1:8000"
_SUFFIXES = {"onnx": ".onnx", "skops": ".skops"}


def _is_reference(model: str) -> bool:
    """``MODEL@ALIAS`` or ``MODEL:VERSION`` (an existing file of that name stays a file)."""
    return ("@" in model or ":" in model) and not Path(model).exists()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(client: Client, ref: str, cache_dir: Path) -> tuple[Path, str, str, bool]:
    """Resolve ``ref`` and put its artifact in ``cache_dir`` (a cached file is reused only
    when its sha256 is the registered digest): ``(path, model, version, downloaded)``."""
    resolved = client.resolve(ref)
    if resolved.artifact_digest is None:
        raise ParameterError(
            f"{ref!r} resolves to {resolved.model}:{resolved.version}, which has no artifact; "
            f"upload one with `driftline model upload {resolved.model} {resolved.version} FILE`."
        )
    suffix = _SUFFIXES.get(resolved.artifact_flavor or "")
    if suffix is None:
        raise ParameterError(
            f"{ref!r} resolves to {resolved.model}:{resolved.version}, a "
            f"{resolved.artifact_flavor} artifact: driftline serves onnx and skops artifacts only."
        )
    digest = resolved.artifact_digest.removeprefix("sha256:").lower()
    if re.fullmatch(r"[0-9a-f]{64}", digest) is None:
        raise ParameterError(
            f"The server gave {resolved.artifact_digest!r} as the sha256 of {ref!r}'s artifact; "
            "that is not a sha256 digest."
        )
    target = cache_dir / f"{digest}{suffix}"
    if target.is_file() and _sha256(target) == digest:
        return target, resolved.model, resolved.version, False
    # The version, not the alias: the alias may move between the two calls.
    client.download_artifact(f"{resolved.model}:{resolved.version}", target)
    return target, resolved.model, resolved.version, True


def serve(
    model: Annotated[
        str,
        typer.Argument(
            help="A .onnx or .skops file, or a registry reference MODEL@ALIAS or MODEL:VERSION "
            "(fetched through the server at --url)."
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", help="Model name (default: the file's stem; a file only)."),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Version (default: the first 12 hex digits of its sha256; a file only).",
        ),
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
    url: UrlOption = _DEFAULT_URL,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            envvar="DRIFTLINE_PROJECT",
            help="Project of the registry and to log into (default: the token's; the local "
            "store: 'default'; env DRIFTLINE_PROJECT).",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="DRIFTLINE_TOKEN",
            help="API token for the registry's or a monitoring server (or DRIFTLINE_TOKEN).",
        ),
    ] = None,
    cache_dir: Annotated[
        Path,
        typer.Option(
            "--cache-dir",
            help="Where artifacts fetched from the registry are kept (a cached file is reused "
            "only when its sha256 is the registered digest).",
        ),
    ] = Path(".driftline") / "serve-cache",
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

    path, source = model, ""
    if _is_reference(model):
        if name is not None or version is not None:
            raise ParameterError(
                f"--name and --version apply to a file; {model!r} is served under its registered "
                "model name and the version it resolves to."
            )
        with _client(url, token, project) as client:
            fetched, name, version, downloaded = _fetch(client, model, cache_dir)
        path = str(fetched)
        source = f" from {model} ({'downloaded' if downloaded else 'cached'}: {fetched})"
    served = load_model(path, name=name, version=version, trusted_types=trust_type or ())
    log = None
    if log_to is not None:
        log = prediction_log_to(served, log_to, project=project or "default", token=token,
                                spill_dir=spill_dir)  # fmt: skip
    err_console.print(
        f"serving {served.name} version {served.version}{source} ({served.kind}, {served.task}) on "
        f"http://{host}:{port} (OIP v2 /v2/models/{served.name}/infer, /invocations, docs /docs, "
        f"metrics /metrics); predictions logged: {log.sink.label if log else 'no'}",
        markup=False,
    )
    settings = load_settings().values
    run(served, host=host, port=port, log_level=settings.log_level, max_latency_ms=max_latency_ms,
        max_batch_size=max_batch_size, prediction_log=log, metrics_token=settings.metrics_token)  # fmt: skip
