"""The registry's operations on one database session, shared by :class:`Registry` (local)
and the server's routes: checking artifacts, moving aliases, resolving references,
registering data sets and building lineage graphs (their audit events: ``_events``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from driftline.exceptions import (
    NotFoundError,
    ParameterError,
    SchemaMismatchError,
    SerializationError,
    UnsupportedInputError,
)
from driftline.registry._flavors import flavor_of
from driftline.registry._lineage import LineageGraph, LineageLink, LineageNode
from driftline.registry._records import AliasRecord, DatasetRecord, ModelRef, ResolvedVersion
from driftline.registry._signature import Signature
from driftline.store import (
    FLAVORS,
    AliasMove,
    Dataset,
    Model,
    ModelVersion,
    RegistryRepository,
    VersionSchema,
    Window,
)

__all__ = [
    "check_artifact",
    "dataset_record",
    "lineage_of",
    "move_record",
    "resolve_in",
    "retrying",
]

T = TypeVar("T")
_ATTEMPTS: Final = 8


# retries --------------------------------------------------------------------------------
def retrying(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run ``work`` in a write transaction, again when a concurrent writer won a race (a
    unique-key conflict on PostgreSQL, a busy SQLite). Errors of ``work`` itself pass."""
    for attempt in range(_ATTEMPTS):
        try:
            with factory.begin() as session:
                return work(session)
        except (IntegrityError, OperationalError):
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# artifacts ------------------------------------------------------------------------------
def check_artifact(
    path: str | os.PathLike[str],
    flavor: str,
    schema: VersionSchema,
    *,
    declared: Mapping[str, Any] | None,
    allow_pickle: bool,
) -> Signature | None:
    """Check the artifact file for ``flavor`` and its signature against ``schema``.

    ONNX files are opened by onnxruntime (no code runs) and give their own signature;
    skops files are checked to be skops archives (nothing is loaded); pickle is refused
    unless ``allow_pickle``. A ``declared`` signature replaces the read one. Returns the
    signature (None if neither read nor declared); a :class:`SchemaMismatchError` naming
    the mismatched columns when it disagrees with ``schema``.
    """
    if flavor not in FLAVORS:
        flavor_of(path, flavor)  # raises the message
    if flavor == "pickle" and not allow_pickle:
        raise UnsupportedInputError(
            "A pickle artifact runs arbitrary code when it is loaded: upload ONNX or skops, "
            "or opt in explicitly (allow_pickle; on the server the allow_pickle setting, and "
            "the upload is recorded as a pickle opt-in)."
        )
    read: Signature | None = None
    if flavor == "onnx":
        read = Signature.of_onnx(path)
    elif flavor == "skops":
        _check_skops(path)
    signature = Signature.from_dict(declared) if declared is not None else read
    if signature is not None:
        problems = signature.problems(schema)
        if problems:
            columns = signature.mismatched_columns(schema)
            error = SchemaMismatchError(
                f"The artifact's signature does not match the version's monitoring schema "
                f"(columns {columns}): {'; '.join(problems)}."
            )
            error.columns = columns  # type: ignore[attr-defined]
            error.problems = problems  # type: ignore[attr-defined]
            raise error
    return signature


def _check_skops(path: str | os.PathLike[str]) -> None:
    from driftline._deps import require

    sio = require("skops.io", extra="models")
    try:
        sio.get_untrusted_types(file=os.fspath(path))
    except Exception as exc:
        raise SerializationError(
            f"The artifact is not a readable skops file ({type(exc).__name__}: {exc}); "
            "check its flavor."
        ) from exc


# aliases --------------------------------------------------------------------------------
def move_record(
    move: AliasMove, model: str, names: Mapping[str, str], changed: bool
) -> AliasRecord:
    """An :class:`AliasRecord` of a history row (``names``: version id → name)."""
    return AliasRecord(
        model=model,
        alias=move.alias,
        version=None if move.model_version_id is None else names.get(move.model_version_id),
        previous=None if move.previous_version_id is None else names.get(move.previous_version_id),
        seq=move.seq,
        actor=move.actor,
        reason=move.reason,
        moved_at=move.moved_at,
        changed=changed,
    )


def _model(session: Session, project_id: str, name: str) -> Model:
    model = session.scalar(select(Model).where(Model.project_id == project_id, Model.name == name))
    if model is None:
        raise NotFoundError(f"No model named {name!r} in this project.")
    return model


def resolve_in(
    session: Session, project_id: str, ref: ModelRef, at: datetime | None = None
) -> tuple[Model, ModelVersion, ResolvedVersion]:
    """The version ``ref`` names (an alias at ``at``, now if None; or a version)."""
    if at is not None and at.tzinfo is None:
        raise ParameterError(f"The 'at' time must be timezone-aware; got {at!r}.")
    model = _model(session, project_id, ref.model)
    repo = RegistryRepository(session)
    if ref.alias is not None:
        version_id = repo.alias_at(model.id, ref.alias, at)
        if version_id is None:
            when = "now" if at is None else f"at {at.isoformat()}"
            known = [a.alias for a in repo.aliases(model.id)]
            raise NotFoundError(
                f"Model {ref.model!r} has no alias {ref.alias!r} {when} (aliases now: "
                f"{known or 'none'})."
            )
        row = session.get(ModelVersion, version_id)
    elif ref.version is not None:
        row = repo.version_of(model.id, ref.version)
    else:
        raise ParameterError(
            f"{str(ref)!r} names a model, not a version: use 'MODEL@ALIAS' or 'MODEL:VERSION'."
        )
    if row is None:
        raise NotFoundError(f"No version {ref.version!r} of model {ref.model!r}.")
    resolved = ResolvedVersion(
        model=model.name,
        version=row.version,
        alias=ref.alias,
        at=at,
        artifact_digest=row.artifact_digest,
        artifact_flavor=row.artifact_flavor,
        artifact_size=row.artifact_size,
        signature=row.signature,
    )
    return model, row, resolved


# datasets -------------------------------------------------------------------------------
def dataset_record(row: Dataset, created: bool) -> DatasetRecord:
    """A :class:`DatasetRecord` of a ``datasets`` row."""
    return DatasetRecord(
        id=row.id, name=row.name, fingerprint=row.fingerprint, schema_digest=row.schema_digest,
        rows=row.rows, source_uri=row.source_uri, licence=row.licence, pii=row.pii,
        created_by=row.created_by, created_at=row.created_at, created=created,
    )  # fmt: skip


# lineage --------------------------------------------------------------------------------
def _short(digest: str | None) -> str | None:
    return None if digest is None else f"sha256:{digest[:12]}"


def lineage_of(
    session: Session, project_id: str, ref: ModelRef, at: datetime | None = None
) -> LineageGraph:
    """The lineage of the version ``ref`` names: data sets → runs → the version → gate
    reports → approvals → its alias moves → the windows monitored while each alias
    pointed at it."""
    model, version, _ = resolve_in(session, project_id, ref, at)
    repo = RegistryRepository(session)
    edges = repo.edges(project_id)
    nodes: dict[tuple[str, str], LineageNode] = {}
    links: list[LineageLink] = []
    names = repo.version_names(model.id)

    def add_version(row_id: str) -> None:
        row = session.get(ModelVersion, row_id)
        if row is None or ("model_version", row_id) in nodes:
            return
        nodes[("model_version", row_id)] = LineageNode(
            "model_version", row_id, f"{model.name}:{row.version}",
            {"flavor": row.artifact_flavor, "artifact": _short(row.artifact_digest),
             "time": row.created_at.isoformat()},
        )  # fmt: skip

    add_version(version.id)
    # upstream: everything with a path to the version; downstream: recorded edges out of it
    frontier = [("model_version", version.id)]
    seen = set(frontier)
    while frontier:
        target = frontier.pop()
        for edge in edges:
            if (edge.target_kind, edge.target_id) == target:
                source = (edge.source_kind, edge.source_id)
                links.append(LineageLink(source, target, edge.relation, edge.attributes))
                if source not in seen:
                    seen.add(source)
                    frontier.append(source)
    frontier = [("model_version", version.id)]
    while frontier:
        source = frontier.pop()
        for edge in edges:
            if (edge.source_kind, edge.source_id) == source:
                target = (edge.target_kind, edge.target_id)
                links.append(LineageLink(source, target, edge.relation, edge.attributes))
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
    for kind, node_id in seen:
        if (kind, node_id) in nodes:
            continue
        if kind == "dataset":
            row = session.get(Dataset, node_id)
            nodes[(kind, node_id)] = (
                LineageNode(kind, node_id, node_id)
                if row is None
                else LineageNode(kind, node_id, row.name, {
                    "fingerprint": _short(row.fingerprint), "rows": row.rows,
                    "source_uri": row.source_uri, "licence": row.licence, "pii": row.pii,
                    "schema": row.schema, "time": row.created_at.isoformat()})
            )  # fmt: skip
        elif kind == "model_version":
            add_version(node_id)
            nodes.setdefault((kind, node_id), LineageNode(kind, node_id, node_id))
        else:
            attributes = next(
                (
                    dict(e.attributes)
                    for e in edges
                    if (e.target_kind, e.target_id) == (kind, node_id)
                ),
                {},
            )
            name = str(attributes.pop("name", node_id))
            nodes[(kind, node_id)] = LineageNode(kind, node_id, name, attributes)
    # the version's alias moves, and what was monitored while each held
    moves = session.scalars(
        select(AliasMove)
        .where(AliasMove.model_id == model.id)
        .order_by(AliasMove.alias, AliasMove.seq)
    ).all()
    for i, move in enumerate(moves):
        if move.model_version_id != version.id:
            continue
        following = (
            moves[i + 1] if i + 1 < len(moves) and moves[i + 1].alias == move.alias else None
        )
        key = ("alias_move", move.id)
        nodes[key] = LineageNode(
            "alias_move", move.id, f"{model.name}@{move.alias} #{move.seq}",
            {"actor": move.actor, "reason": move.reason, "moved_at": move.moved_at.isoformat(),
             "previous": None if move.previous_version_id is None
             else names.get(move.previous_version_id),
             "until": None if following is None else following.moved_at.isoformat()},
        )  # fmt: skip
        sources = [k for k in nodes if k[0] == "approval"] or [("model_version", version.id)]
        links.extend(
            LineageLink(
                source, key, "moved_alias" if source[0] == "model_version" else "authorized"
            )
            for source in sources
        )
        start = move.moved_at
        end = None if following is None else following.moved_at
        # windows that overlap the time the alias pointed at the version
        begins = func.coalesce(Window.start_at, Window.created_at)
        ends = func.coalesce(Window.end_at, Window.created_at)
        query = select(func.count(), func.min(begins), func.max(ends), func.sum(Window.row_count))
        query = query.where(Window.model_version_id == version.id, ends >= start)
        if end is not None:
            query = query.where(begins < end)
        count, first, last, rows = session.execute(query).one()
        if count:
            wkey = ("window", f"{move.id}:windows")
            nodes[wkey] = LineageNode(
                "window", wkey[1], f"{count} window(s) of {model.name}:{version.version}",
                {"windows": int(count), "rows": int(rows or 0),
                 "first": None if first is None else _iso(first),
                 "last": None if last is None else _iso(last)},
            )  # fmt: skip
            links.append(LineageLink(key, wkey, "served"))
    subject = str(ref) + ("" if at is None else f" at {at.isoformat()}")
    return LineageGraph(subject, tuple(nodes.values()), tuple(_unique(links)))


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value)


def _unique(links: list[LineageLink]) -> list[LineageLink]:
    seen: set[tuple[tuple[str, str], tuple[str, str], str]] = set()
    out = []
    for link in links:
        key = (link.source, link.target, link.relation)
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out
