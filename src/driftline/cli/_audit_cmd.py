"""``driftline audit verify`` and ``driftline audit export`` (direct database access).

Register in ``cli/_app.py``::

    app.add_typer(audit_app)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from driftline.cli._output import EXIT_CHECK_FAILED, console, err_console, print_json
from driftline.cli._schemas import stamped
from driftline.exceptions import ParameterError

__all__ = ["audit_app"]

audit_app = typer.Typer(
    name="audit", help="Verify and export the tamper-evident audit log (direct database access)."
)
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the store (default: DRIFTLINE_DATABASE_URL, then the settings).",
    ),
]
KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="The signing key's PEM file (default: DRIFTLINE_AUDIT_KEY, else next to the "
        "SQLite file).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")]


def _log(database_url: str | None, key: Path | None) -> Any:
    from driftline._config import load_settings
    from driftline.audit import AuditLog
    from driftline.store import create_engine_from_url, migrate

    url = database_url or load_settings().values.database_url
    engine = create_engine_from_url(url)
    migrate(engine)
    return AuditLog(engine, key=key)


def _public_key(value: str) -> bytes:
    """A public key given as 64 hex digits, or a file holding them or a PEM public key."""
    text = value.strip()
    path = Path(text)
    if len(text) != 64 and path.exists():
        text = path.read_text(encoding="utf-8").strip()
        if text.startswith("-----BEGIN PUBLIC KEY-----"):
            from cryptography.hazmat.primitives import serialization

            loaded = serialization.load_pem_public_key(text.encode())
            raw: bytes = loaded.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            return raw
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ParameterError(
            f"--public-key must be 64 hex digits (a raw Ed25519 key) or a file holding them or a "
            f"PEM public key; got {value!r}."
        )
    return raw


def _checkpoint(path: Path) -> dict[str, Any]:
    from driftline.audit import SignedTreeHead

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParameterError(
            f"--checkpoint {str(path)!r} is not a readable JSON file: {exc}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("checkpoint"), dict):
        data = data["checkpoint"]  # an export file
    try:
        SignedTreeHead.from_dict(data)
        bytes.fromhex(str(data["public_key"]))
    except (ParameterError, KeyError, ValueError, TypeError) as exc:
        raise ParameterError(
            f"--checkpoint {str(path)!r} is not an audit checkpoint ({exc}); use the output of "
            "`driftline audit export`."
        ) from None
    checkpoint: dict[str, Any] = data
    return checkpoint


@audit_app.command("verify")
def verify(
    database_url: DatabaseOption = None,
    key: KeyOption = None,
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            "--public-key",
            help="A trusted public key (hex, or a file with hex or PEM); repeatable. Default: "
            "the signing key's.",
        ),
    ] = None,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint kept from an earlier export: the log must extend it; repeatable.",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Recompute every entry, node and signed tree head; exit 1 if anything was tampered with."""
    trusted = [_public_key(k) for k in public_key] if public_key else None
    checkpoints = [_checkpoint(p) for p in checkpoint or []]
    log = _log(database_url, key)
    try:
        report = log.verify(trusted_keys=trusted, checkpoints=checkpoints)
    finally:
        log.engine.dispose()
    if json_output:
        print_json(report.to_dict(), schema="audit_verify")
    else:
        state = "ok" if report.ok else "TAMPERED"
        console.print(
            f"audit log {state}: {report.entries} entries, {report.heads} signed tree heads, "
            f"root {report.root_hash.hex()} (keys: {report.trusted_keys}, "
            f"{report.seconds:.2f} s)",
            markup=False,
        )
        for problem in report.problems:
            err_console.print(f"{problem.kind}: {problem.message}", markup=False)
        if report.trusted_keys == "database":
            err_console.print(
                "warning: no trusted key (no --public-key and no signing key file): the "
                "signatures were checked against the keys recorded in the database.",
                markup=False,
            )
    if not report.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


@audit_app.command("export")
def export(
    database_url: DatabaseOption = None,
    key: KeyOption = None,
    project: Annotated[
        str | None, typer.Option("--project", help="Only this project's entries (by name).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
    proofs: Annotated[
        bool, typer.Option("--proofs/--no-proofs", help="Add each entry's inclusion proof.")
    ] = True,
    since: Annotated[
        Path | None,
        typer.Option(
            "--since",
            help="An older checkpoint (or export): add the proof that the log extends it.",
        ),
    ] = None,
) -> None:
    """Export the checkpoint (signed tree head and public key) and the entries as JSON."""
    from driftline.store import Catalog, session_factory

    older = None if since is None else _checkpoint(since)
    log = _log(database_url, key)
    try:
        project_id = None
        if project is not None:
            with session_factory(log.engine)() as session:
                found = Catalog(session).project_by_name(project)
            if found is None:
                raise ParameterError(f"No project named {project!r}.")
            project_id = found.id
        checkpoint = log.export_checkpoint()
        size = checkpoint["tree_size"]
        entries: list[dict[str, Any]] = []
        after = -1
        while True:
            page = log.entries(project=project_id, after=after, limit=1000)
            for e in page:
                if e.seq >= size:
                    break
                item = e.to_dict()
                if proofs:
                    item["inclusion_proof"] = [
                        p.hex() for p in log.inclusion_proof(e.seq, size).path
                    ]
                entries.append(item)
            if len(page) < 1000 or page[-1].seq >= size:
                break
            after = page[-1].seq
        document: dict[str, Any] = {"checkpoint": checkpoint, "entries": entries}
        if older is not None:
            if older["tree_size"] > size:
                raise ParameterError(
                    f"--since holds a checkpoint of {older['tree_size']} entries, more than the "
                    f"log's {size}: the log was truncated or rolled back (run `driftline audit "
                    "verify --checkpoint` on it)."
                )
            document["consistency_proof"] = log.consistency_proof(
                older["tree_size"], size
            ).to_dict()
    finally:
        log.engine.dispose()
    if output is None:
        print_json(document, schema="audit_export")
    else:
        text = json.dumps(stamped("audit_export", document), indent=2)
        output.write_text(text + "\n", encoding="utf-8")
        err_console.print(
            f"wrote {len(entries)} entries and the checkpoint to {output}", markup=False
        )
