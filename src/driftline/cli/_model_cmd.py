"""``driftline model upload|download|alias|resolve|history`` and ``driftline lineage``:
the registry, through a driftline server (``--url``, ``--token``).

Register in ``cli/_app.py``::

    app.add_typer(model_app)
    app.command("lineage")(lineage)
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from driftline.cli._output import console, print_json
from driftline.exceptions import ParameterError

if TYPE_CHECKING:
    from driftline.client import Client

__all__ = ["lineage", "model_app"]

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="DRIFTLINE_URL", help="The driftline server (env DRIFTLINE_URL)."),
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", envvar="DRIFTLINE_TOKEN", help="An API token (env DRIFTLINE_TOKEN).",
                 show_default=False),
]  # fmt: skip
ProjectOption = Annotated[
    str | None,
    typer.Option("--project", envvar="DRIFTLINE_PROJECT",
                 help="Project (default: the token's project)."),
]  # fmt: skip
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="A time (ISO 8601, e.g. 2026-11-30T12:00:00Z): what served then."),
]
_DEFAULT_URL = "http://127.0.0.1:8000"

model_app = typer.Typer(
    name="model",
    help="The model registry: artifacts, aliases and their history (through the server).",
    no_args_is_help=True,
)


def _client(url: str, token: str | None, project: str | None) -> Client:
    from driftline.client import Client

    if not token:
        raise ParameterError(
            "No API token: pass --token or set DRIFTLINE_TOKEN (create one with "
            "`driftline token create --project NAME`)."
        )
    return Client(url, token, project=project, retries=2, block=True)


def _at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            f"--at must be an ISO 8601 time such as 2026-11-30T12:00:00Z; got {value!r}."
        ) from None
    if moment.tzinfo is None:
        raise ParameterError(
            f"--at must carry a time zone (e.g. a trailing Z for UTC); got {value!r}."
        )
    return moment


@model_app.command("upload")
def upload(
    model: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version (registered already).")],
    path: Annotated[Path, typer.Argument(help="The artifact: .onnx, .skops (.pkl if allowed).")],
    flavor: Annotated[
        str | None, typer.Option("--flavor", help="onnx, skops or pickle (default: from the name).")
    ] = None,
    signature: Annotated[
        Path | None,
        typer.Option("--signature", help="A JSON file: {inputs: [{name, type}], outputs: [...]}."),
    ] = None,
    url: UrlOption = _DEFAULT_URL,
    token: TokenOption = None,
    project: ProjectOption = None,
    json_output: JsonOption = False,
) -> None:
    """Upload a version's artifact (checked: digest, format, signature vs. its schema)."""
    declared: dict[str, Any] | None = None
    if signature is not None:
        try:
            declared = json.loads(signature.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ParameterError(f"--signature {str(signature)!r}: {exc}") from None
    with _client(url, token, project) as client:
        record = client.upload_artifact(model, version, path, flavor=flavor, signature=declared)
    if json_output:
        print_json(record.to_dict(), schema="model-upload")
        return
    state = "uploaded" if record.created else "already registered"
    console.print(
        f"{model}:{version} {state}: {record.flavor}, {record.size} bytes, sha256 {record.digest}",
        markup=False,
    )


@model_app.command("download")
def download(
    ref: Annotated[str, typer.Argument(help="MODEL@ALIAS or MODEL:VERSION.")],
    destination: Annotated[Path, typer.Argument(help="Where to write the artifact.")],
    at: AtOption = None,
    url: UrlOption = _DEFAULT_URL,
    token: TokenOption = None,
    project: ProjectOption = None,
) -> None:
    """Download an artifact (its sha256 verified; nothing written on a mismatch)."""
    with _client(url, token, project) as client:
        out = client.download_artifact(ref, destination, at=_at(at))
    console.print(f"wrote {out}", markup=False)


@model_app.command("alias")
def alias(
    model: Annotated[str, typer.Argument(help="Model name.")],
    name: Annotated[str, typer.Argument(help="Alias (production, staging, ...).")],
    version: Annotated[str | None, typer.Argument(help="The version it points at.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the alias.")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history).")] = "",
    url: UrlOption = _DEFAULT_URL,
    token: TokenOption = None,
    project: ProjectOption = None,
    json_output: JsonOption = False,
) -> None:
    """Point an alias at a version, or --remove it (every move is kept in its history)."""
    if (version is None) == (not remove):
        raise ParameterError("Give the VERSION the alias points at, or --remove (not both).")
    with _client(url, token, project) as client:
        if remove:
            record = client.remove_alias(model, name, reason=reason)
        else:
            assert version is not None
            record = client.set_alias(model, name, version, reason=reason)
    if json_output:
        print_json(record.to_dict(), schema="model-alias")
        return
    if not record.changed:
        console.print(f"{model}@{name} already points at {record.version}", markup=False)
    elif record.version is None:
        console.print(f"removed {model}@{name} (was {record.previous})", markup=False)
    else:
        console.print(
            f"{model}@{name} -> {record.version} (was {record.previous or 'unset'}; move "
            f"#{record.seq})",
            markup=False,
        )


@model_app.command("resolve")
def resolve(
    ref: Annotated[str, typer.Argument(help="MODEL@ALIAS or MODEL:VERSION.")],
    at: AtOption = None,
    url: UrlOption = _DEFAULT_URL,
    token: TokenOption = None,
    project: ProjectOption = None,
    json_output: JsonOption = False,
) -> None:
    """The version an alias points at (now, or --at a past time) and its artifact."""
    with _client(url, token, project) as client:
        found = client.resolve(ref, at=_at(at))
    if json_output:
        print_json(found.to_dict(), schema="model-resolve")
        return
    artifact = (
        f"{found.artifact_flavor} sha256 {found.artifact_digest}"
        if found.artifact_digest
        else "no artifact"
    )
    console.print(f"{ref} -> {found.model}:{found.version} ({artifact})", markup=False)


@model_app.command("history")
def history(
    model: Annotated[str, typer.Argument(help="Model name.")],
    name: Annotated[str | None, typer.Option("--alias", help="Only this alias.")] = None,
    url: UrlOption = _DEFAULT_URL,
    token: TokenOption = None,
    project: ProjectOption = None,
    json_output: JsonOption = False,
) -> None:
    """Every move of the model's aliases, oldest first."""
    with _client(url, token, project) as client:
        moves = client.alias_history(model, name)
    if json_output:
        print_json({"model": model, "moves": [m.to_dict() for m in moves]}, schema="model-history")
        return
    if not moves:
        console.print(f"{model}: no alias moves", markup=False)
    for m in moves:
        target = m.version if m.version is not None else "(removed)"
        why = f" - {m.reason}" if m.reason else ""
        console.print(
            f"{m.moved_at.isoformat()}  {m.alias} #{m.seq}: {m.previous or '-'} -> {target}  "
            f"by {m.actor}{why}",
            markup=False,
        )


def lineage(
    ref: Annotated[str, typer.Argument(help="MODEL@ALIAS or MODEL:VERSION.")],
    at: AtOption = None,
    output: Annotated[
        Literal["text", "json", "openlineage"],
        typer.Option("--format", help="text, json (the graph) or openlineage (run events)."),
    ] = "text",
    json_output: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    url: UrlOption = _DEFAULT_URL,
    token: TokenOption = None,
    project: ProjectOption = None,
) -> None:
    """The lineage of a version: data sets -> training run -> version -> gate report ->
    approval -> alias moves -> monitored windows."""
    with _client(url, token, project) as client:
        graph = client.lineage(ref, at=_at(at))
        namespace = f"driftline://{client.project}"
    if json_output or output == "json":
        print_json(graph.to_dict(), schema="lineage")
    elif output == "openlineage":
        # OpenLineage run events as they are (their own schemaURL), not stamped.
        sys.stdout.write(json.dumps(graph.to_openlineage(namespace), indent=2) + "\n")
    else:
        console.print(graph.to_text(), markup=False)
