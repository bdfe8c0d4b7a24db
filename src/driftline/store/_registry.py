"""Repository of the registry's rows: artifacts of versions, alias moves, datasets, lineage.

Everything runs in the caller's session (the caller commits). An alias move writes the
alias's history row and its current row in the same transaction; the current row is
locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions are
serialized by ``BEGIN IMMEDIATE``), and the history's ``(model, alias, seq)`` is unique,
so two concurrent moves either serialize or one fails with an ``IntegrityError`` (retry
the transaction) — never history and current that disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from driftline.exceptions import NotFoundError, ParameterError
from driftline.store._models import Model, ModelVersion
from driftline.store._registry_names import FLAVORS, NODE_KINDS, check_alias
from driftline.store._registry_tables import AliasMove, Dataset, LineageEdge, ModelAlias
from driftline.store._types import utcnow

__all__ = ["RegistryRepository"]


class RegistryRepository:
    """The registry's reads and writes in one session (the caller commits).

    >>> from driftline.store import Catalog, VersionSchema, create_engine_from_url, migrate
    >>> from driftline.store import write_session_factory
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> with write_session_factory(engine).begin() as session:
    ...     catalog = Catalog(session)
    ...     model = catalog.create_model(catalog.create_project("p").id, "fraud")
    ...     v1 = catalog.create_version(model.id, "1", VersionSchema({"x": "numeric"}))
    ...     repo = RegistryRepository(session)
    ...     move, changed = repo.move_alias(model.id, "production", v1.id, actor="ana")
    ...     repo.alias_at(model.id, "production") == v1.id
    True
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    # artifacts --------------------------------------------------------------------------
    def set_artifact(
        self,
        version_id: str,
        *,
        digest: str,
        flavor: str,
        size: int,
        signature: dict[str, Any] | None,
    ) -> bool:
        """Record the version's artifact; False if it already holds this very artifact.

        A version's artifact is immutable: another digest raises :class:`ParameterError`.
        """
        if flavor not in FLAVORS:
            raise ParameterError(
                f"The artifact flavor must be one of {list(FLAVORS)}; got {flavor!r}."
            )
        row = self.session.get(ModelVersion, version_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"No model version with id {version_id!r}.")
        if row.artifact_digest is not None:
            if row.artifact_digest == digest:
                return False
            raise ParameterError(
                f"Version {row.version!r} already has the artifact sha256 {row.artifact_digest}; "
                "a version's artifact is immutable: register a new version for a new artifact."
            )
        row.artifact_digest = digest
        row.artifact_flavor = flavor
        row.artifact_size = size
        row.signature = signature
        self.session.flush()
        return True

    # aliases ----------------------------------------------------------------------------
    def move_alias(
        self,
        model_id: str,
        alias: str,
        version_id: str | None,
        *,
        actor: str,
        reason: str = "",
    ) -> tuple[AliasMove, bool]:
        """Point ``alias`` of ``model_id`` at ``version_id`` (None: remove it), appending the
        move to its history; (the move, whether anything changed). Moving it where it
        already points records nothing and returns its last move."""
        check_alias(alias)
        if version_id is not None:
            owner = self.session.scalar(
                select(ModelVersion.model_id).where(ModelVersion.id == version_id)
            )
            if owner != model_id:
                raise NotFoundError(f"No version with id {version_id!r} in model {model_id!r}.")
        current = self.session.scalar(
            select(ModelAlias)
            .where(ModelAlias.model_id == model_id, ModelAlias.alias == alias)
            .with_for_update()
        )
        last = self.session.scalar(
            select(AliasMove)
            .where(AliasMove.model_id == model_id, AliasMove.alias == alias)
            .order_by(AliasMove.seq.desc())
            .limit(1)
        )
        if version_id is None and current is None:
            raise NotFoundError(f"The model has no alias {alias!r} to remove.")
        previous = None if current is None else current.model_version_id
        if last is not None and previous == version_id:
            return last, False
        now = utcnow()
        if last is not None and last.moved_at > now:  # clocks of several servers
            now = last.moved_at
        move = AliasMove(
            model_id=model_id,
            alias=alias,
            seq=1 if last is None else last.seq + 1,
            model_version_id=version_id,
            previous_version_id=previous,
            actor=actor,
            reason=reason,
            moved_at=now,
        )
        self.session.add(move)
        if version_id is None:
            assert current is not None
            self.session.delete(current)
        elif current is None:
            self.session.add(
                ModelAlias(
                    model_id=model_id,
                    alias=alias,
                    model_version_id=version_id,
                    seq=move.seq,
                    moved_at=now,
                )
            )
        else:
            current.model_version_id = version_id
            current.seq = move.seq
            current.moved_at = now
        self.session.flush()
        return move, True

    def aliases(self, model_id: str) -> list[ModelAlias]:
        """The model's aliases as they point now, by name."""
        return list(
            self.session.scalars(
                select(ModelAlias).where(ModelAlias.model_id == model_id).order_by(ModelAlias.alias)
            )
        )

    def current_moves(self, model_id: str) -> dict[str, AliasMove]:
        """Each alias of the model as it points now: its last move (one query)."""
        rows = self.session.scalars(
            select(AliasMove)
            .join(
                ModelAlias,
                (ModelAlias.model_id == AliasMove.model_id)
                & (ModelAlias.alias == AliasMove.alias)
                & (ModelAlias.seq == AliasMove.seq),
            )
            .where(AliasMove.model_id == model_id)
            .order_by(AliasMove.alias)
        )
        return {move.alias: move for move in rows}

    def aliases_at(self, model_id: str, at: datetime) -> dict[str, AliasMove]:
        """Each alias of the model that pointed at a version at ``at``: its last move then."""
        moves = self.session.scalars(
            select(AliasMove)
            .where(AliasMove.model_id == model_id, AliasMove.moved_at <= at)
            .order_by(AliasMove.alias, AliasMove.seq)
        )
        last: dict[str, AliasMove] = {}
        for move in moves:
            last[move.alias] = move
        return {a: m for a, m in last.items() if m.model_version_id is not None}

    def alias_at(self, model_id: str, alias: str, at: datetime | None = None) -> str | None:
        """The version id ``alias`` pointed at at ``at`` (now if None), or None."""
        if at is None:
            current = self.session.get(ModelAlias, (model_id, alias))
            return None if current is None else current.model_version_id
        move = self.session.scalar(
            select(AliasMove)
            .where(AliasMove.model_id == model_id, AliasMove.alias == alias)
            .where(AliasMove.moved_at <= at)
            .order_by(AliasMove.seq.desc())
            .limit(1)
        )
        return None if move is None else move.model_version_id

    def history(self, model_id: str, alias: str | None = None) -> list[AliasMove]:
        """The moves of the model's aliases (of ``alias`` only, if given), oldest first."""
        query = select(AliasMove).where(AliasMove.model_id == model_id)
        if alias is not None:
            query = query.where(AliasMove.alias == alias)
        return list(
            self.session.scalars(query.order_by(AliasMove.moved_at, AliasMove.alias, AliasMove.seq))
        )

    def version_names(self, model_id: str) -> dict[str, str]:
        """``{version id: version name}`` of a model."""
        rows = self.session.execute(
            select(ModelVersion.id, ModelVersion.version).where(ModelVersion.model_id == model_id)
        )
        return {r[0]: r[1] for r in rows}

    # datasets ---------------------------------------------------------------------------
    def add_dataset(
        self,
        project_id: str,
        name: str,
        *,
        fingerprint: str,
        schema_digest: str,
        schema: dict[str, Any],
        profile: bytes | None,
        rows: int | None,
        source_uri: str,
        licence: str,
        pii: bool,
        created_by: str,
    ) -> tuple[Dataset, bool]:
        """Register a data set; (the row, whether it is new). The same name and fingerprint
        again returns the row registered first."""
        existing = self.session.scalar(
            select(Dataset).where(
                Dataset.project_id == project_id,
                Dataset.name == name,
                Dataset.fingerprint == fingerprint,
            )
        )
        if existing is not None:
            return existing, False
        row = Dataset(
            project_id=project_id,
            name=name,
            fingerprint=fingerprint,
            schema_digest=schema_digest,
            schema=schema,
            profile=profile,
            rows=rows,
            source_uri=source_uri,
            licence=licence,
            pii=pii,
            created_by=created_by,
        )
        self.session.add(row)
        self.session.flush()
        return row, True

    def datasets(self, project_id: str, name: str | None = None) -> list[Dataset]:
        """The project's data sets (of one name, if given), oldest first."""
        query = select(Dataset).where(Dataset.project_id == project_id)
        if name is not None:
            query = query.where(Dataset.name == name)
        return list(self.session.scalars(query.order_by(Dataset.created_at, Dataset.id)))

    def dataset(self, project_id: str, ref: str) -> Dataset | None:
        """A data set by id, by fingerprint, or by name (its latest registration)."""
        return self.session.scalar(
            select(Dataset)
            .where(
                Dataset.project_id == project_id,
                or_(Dataset.id == ref, Dataset.fingerprint == ref, Dataset.name == ref),
            )
            .order_by(Dataset.created_at.desc(), Dataset.id.desc())
            .limit(1)
        )

    # lineage ----------------------------------------------------------------------------
    def add_edge(
        self,
        project_id: str,
        source: tuple[str, str],
        target: tuple[str, str],
        relation: str,
        *,
        attributes: dict[str, Any] | None = None,
        created_by: str,
    ) -> tuple[LineageEdge, bool]:
        """Record ``source`` → ``target`` (each ``(kind, id)``); the same edge again is kept
        once. (the row, whether it is new)."""
        for kind, _ in (source, target):
            if kind not in NODE_KINDS:
                raise ParameterError(
                    f"A lineage node kind must be one of {list(NODE_KINDS)}; got {kind!r}."
                )
        existing = self.session.scalar(
            select(LineageEdge).where(
                LineageEdge.project_id == project_id,
                LineageEdge.source_kind == source[0],
                LineageEdge.source_id == source[1],
                LineageEdge.target_kind == target[0],
                LineageEdge.target_id == target[1],
                LineageEdge.relation == relation,
            )
        )
        if existing is not None:
            return existing, False
        row = LineageEdge(
            project_id=project_id,
            source_kind=source[0],
            source_id=source[1],
            target_kind=target[0],
            target_id=target[1],
            relation=relation,
            attributes=dict(attributes or {}),
            created_by=created_by,
        )
        self.session.add(row)
        self.session.flush()
        return row, True

    def edges(self, project_id: str) -> list[LineageEdge]:
        """Every recorded lineage edge of the project, oldest first."""
        return list(
            self.session.scalars(
                select(LineageEdge)
                .where(LineageEdge.project_id == project_id)
                .order_by(LineageEdge.created_at, LineageEdge.id)
            )
        )

    def model_of(self, project_id: str, name: str) -> Model | None:
        """The project's model named ``name``, or None."""
        return self.session.scalar(
            select(Model).where(Model.project_id == project_id, Model.name == name)
        )

    def version_of(self, model_id: str, version: str) -> ModelVersion | None:
        """The model's version named ``version``, or None."""
        return self.session.scalar(
            select(ModelVersion).where(
                ModelVersion.model_id == model_id, ModelVersion.version == version
            )
        )

    def count_moves(self, model_id: str, alias: str) -> int:
        """How many moves ``alias`` made."""
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(AliasMove)
                .where(AliasMove.model_id == model_id, AliasMove.alias == alias)
            )
            or 0
        )
