"""``driftline server``, ``driftline project create`` and ``driftline token create``.

Register in ``cli/_app.py``::

    app.command("server")(server)
    app.add_typer(project_app)
    app.add_typer(token_app)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from driftline.cli._output import console, err_console, print_json
from driftline.exceptions import ParameterError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from driftline.store import NewToken

__all__ = ["project_app", "server", "token_app"]

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the store (default: DRIFTLINE_DATABASE_URL, then the settings).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")]
_SHOWN_ONCE = (
    "This token is shown once and cannot be retrieved again (only its hash is stored). "
    "Keep it in a secret store."
)


def server(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8000).")] = None,
    database_url: DatabaseOption = None,
    no_monitor: Annotated[
        bool, typer.Option("--no-monitor", help="Do not run the monitor loop in this process.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="uvicorn workers (default 1).")
    ] = None,
) -> None:
    """Run the monitoring API (uvicorn; OpenAPI at /docs, API under /api/v1, /metrics).

    Slow clients are cut off: request headers must arrive within
    ``server_header_timeout_seconds`` (10 s) and bodies within
    ``server_body_timeout_seconds`` (60 s); idle keep-alive connections close after 5 s.
    """
    from driftline._config import load_settings
    from driftline._deps import require

    require("uvicorn", extra="serve")
    from driftline.server import run

    settings = load_settings().values
    workers = settings.server_workers if workers is None else workers
    # The factory reads its settings from the environment (also in worker processes).
    if database_url is not None:
        os.environ["DRIFTLINE_DATABASE_URL"] = database_url
    if no_monitor:
        os.environ["DRIFTLINE_SERVER_MONITOR"] = "false"
    if workers > 1 and not no_monitor:
        err_console.print(
            "note: every worker runs its own monitor loop; they share the database safely, "
            "but run `driftline monitor` separately with --no-monitor to avoid duplicate work.",
            markup=False,
        )
    bind_host = host or settings.server_host
    bind_port = settings.server_port if port is None else port
    metrics = "/metrics" if settings.metrics_token is not None else "off (no metrics_token)"
    err_console.print(
        f"driftline API on http://{bind_host}:{bind_port}/api/v1 (docs: /docs, metrics: {metrics})",
        markup=False,
    )
    run(host=bind_host, port=bind_port, workers=workers, log_level=settings.log_level)


def _engine(database_url: str | None) -> Engine:
    from driftline._config import load_settings
    from driftline.store import create_engine_from_url, migrate

    url = database_url or load_settings().values.database_url
    engine = create_engine_from_url(url)
    migrate(engine)
    return engine


def _token_payload(new: NewToken) -> dict[str, str]:
    return {"token_id": new.info.token_id, "role": new.info.role}


def _print_token(payload: dict[str, str], json_output: bool, what: str) -> None:
    if json_output:
        print_json({**payload, "warning": _SHOWN_ONCE}, schema="token")
        return
    console.print(what, markup=False)
    console.print(f"token: {payload['secret']}", markup=False)
    err_console.print(f"warning: {_SHOWN_ONCE}", markup=False)


project_app = typer.Typer(name="project", help="Manage projects (direct database access).")
token_app = typer.Typer(name="token", help="Manage API tokens (direct database access).")


@project_app.command("create")
def project_create(
    name: Annotated[str, typer.Argument(help="Project name (unique).")],
    database_url: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a project and an admin token for it (the token is printed once)."""
    from sqlalchemy.exc import IntegrityError

    from driftline.audit import AuditLog, Event
    from driftline.store import Catalog, TokenRepository, session_factory

    engine = _engine(database_url)
    try:
        log = AuditLog(engine)
        with session_factory(engine).begin() as session:
            project = Catalog(session).create_project(name)
            new = TokenRepository(session).create(project.id, name="admin", role="admin")
            # recorded in the same transaction: both commit or neither does
            log.append_many(
                [
                    Event("project.created", {"name": name}, project.id, "system:cli"),
                    Event("token.created", _token_payload(new), project.id, "system:cli"),
                ],
                session=session,
            )
    except IntegrityError:
        raise ParameterError(f"A project named {name!r} already exists.") from None
    finally:
        engine.dispose()
    payload = {
        "project": name,
        "role": "admin",
        "token_id": new.info.token_id,
        "secret": new.secret,
    }
    _print_token(payload, json_output, f"created project {name!r} with an admin token")


@token_app.command("create")
def token_create(
    project: Annotated[str, typer.Option("--project", help="Project name.")],
    role: Annotated[str, typer.Option("--role", help="viewer, editor or admin.")] = "editor",
    name: Annotated[str, typer.Option("--name", help="A label for the token.")] = "cli",
    database_url: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create an API token for a project (printed once)."""
    from driftline.audit import AuditLog
    from driftline.store import ROLES, Catalog, TokenRepository, session_factory

    if role not in ROLES:
        raise ParameterError(f"--role must be one of {list(ROLES)}; got {role!r}.")
    chosen: Literal["viewer", "editor", "admin"] = role  # type: ignore[assignment]
    engine = _engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            found = Catalog(session).project_by_name(project)
            if found is None:
                raise ParameterError(
                    f"No project named {project!r}; create it with `driftline project create`."
                )
            new = TokenRepository(session).create(found.id, name=name, role=chosen)
            AuditLog(engine).append(
                "token.created",
                _token_payload(new),
                project=found.id,
                actor="system:cli",
                session=session,
            )
    finally:
        engine.dispose()
    payload = {
        "project": project,
        "role": role,
        "token_id": new.info.token_id,
        "secret": new.secret,
    }
    _print_token(payload, json_output, f"created a {role} token for project {project!r}")
