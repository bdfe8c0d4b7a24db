"""``Registry``: the registry of one project, on a database and an artifact store."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import Session

from driftline._params import BOOLEAN, Constraints, InstanceOf, Interval, validate
from driftline.exceptions import NotFoundError, ParameterError
from driftline.registry._artifacts import ArtifactStore, check_digest
from driftline.registry._datasets import fingerprint_dataset
from driftline.registry._events import (
    AuditEvent,
    alias_event,
    artifact_event,
    dataset_event,
    lineage_events,
)
from driftline.registry._flavors import flavor_of
from driftline.registry._lineage import LineageGraph
from driftline.registry._records import (
    AliasRecord,
    ArtifactRecord,
    DatasetRecord,
    ModelRef,
    ResolvedVersion,
)
from driftline.registry._service import (
    check_artifact,
    dataset_record,
    lineage_of,
    move_record,
    resolve_in,
    retrying,
)
from driftline.store import (
    Model,
    Project,
    RegistryRepository,
    VersionSchema,
    check_alias,
    create_engine_from_url,
    session_factory,
    write_session_factory,
)

if TYPE_CHECKING:
    from driftline.audit import AuditLog

__all__ = ["Registry"]


class Registry:
    """The registry of ``project`` in the database ``engine`` (an engine or a URL).

    Artifacts go to ``artifacts`` (default: :meth:`ArtifactStore.for_database`, a folder
    next to the SQLite file). ``actor`` is recorded as the author of every write.
    ``allow_pickle`` is the explicit opt-in that lets pickle artifacts in (recorded).

    With ``audit`` (a :class:`driftline.audit.AuditLog` of the same database), every write
    that changes something appends its audit event (``artifact.uploaded``,
    ``alias.moved``, ``alias.removed``, ``dataset.registered``, ``lineage.recorded``) in
    the transaction of the change: both commit or neither does. Its actor is ``actor``,
    which must then be a reference (``subject:<id>``, ``user:<id>``, ``service:<name>``...);
    the default ``"local"`` is logged as ``system:local``. Without ``audit`` nothing is
    logged (a local registry has no log unless you give it one).

    >>> from driftline.store import Catalog, VersionSchema, create_engine_from_url, migrate
    >>> from driftline.store import session_factory
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> with session_factory(engine).begin() as s:
    ...     c = Catalog(s); m = c.create_model(c.create_project("risk").id, "fraud")
    ...     _ = c.create_version(m.id, "1", VersionSchema({"x": "numeric"}))
    >>> import tempfile
    >>> registry = Registry(engine, project="risk", actor="ana",
    ...                     artifacts=ArtifactStore(tempfile.mkdtemp()))
    >>> registry.set_alias("fraud", "production", "1", reason="first release").seq
    1
    >>> registry.resolve("fraud@production").version
    '1'
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "project": [InstanceOf((str,), "a project name")],
        "actor": [InstanceOf((str,), "a name")],
        "allow_pickle": [BOOLEAN],
        "max_artifact_bytes": [Interval("int", 1, None), None],
    }

    def __init__(
        self,
        engine: Engine | str | None = None,
        *,
        project: str,
        artifacts: ArtifactStore | None = None,
        actor: str = "local",
        allow_pickle: bool = False,
        max_artifact_bytes: int | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        params = validate(self, locals())
        self.audit = audit
        self._audit_actor = "system:local"
        if audit is not None:
            engine = _audit_engine(engine, audit)
            if params["actor"] != "local":
                from driftline.audit import check_actor

                check_actor(params["actor"])
                self._audit_actor = params["actor"]
        self.engine = engine if isinstance(engine, Engine) else create_engine_from_url(engine)
        self.project: str = params["project"]
        self.actor: str = params["actor"]
        self.allow_pickle: bool = params["allow_pickle"]
        self.max_artifact_bytes: int | None = params["max_artifact_bytes"]
        self.artifacts = (
            artifacts
            if artifacts is not None
            else ArtifactStore.for_database(self.engine.url.render_as_string(hide_password=False))
        )
        self._reads = session_factory(self.engine)
        self._writes = write_session_factory(self.engine)
        self._project_id: str | None = None

    def __repr__(self) -> str:
        return f"Registry(project={self.project!r}, artifacts={self.artifacts!r})"

    def _pid(self, session: Session) -> str:
        if self._project_id is None:
            found = session.scalar(select(Project.id).where(Project.name == self.project))
            if found is None:
                raise NotFoundError(f"No project named {self.project!r}.")
            self._project_id = found
        return self._project_id

    def _record(self, session: Session, events: Sequence[AuditEvent]) -> None:
        """Append ``events`` to the audit log (if any) in ``session``'s transaction."""
        if self.audit is not None and events:
            from driftline.audit import Event

            pid = self._pid(session)
            self.audit.append_many(
                [Event(kind, payload, pid, self._audit_actor) for kind, payload in events],
                session=session,
            )

    # artifacts ------------------------------------------------------------------------------
    def upload_artifact(
        self,
        model: str,
        version: str,
        path: str | os.PathLike[str],
        *,
        flavor: str | None = None,
        signature: Mapping[str, Any] | None = None,
        expected_sha256: str | None = None,
    ) -> ArtifactRecord:
        """Store the artifact file and register it to ``model``'s ``version``.

        ``flavor`` is ``"onnx"``, ``"skops"`` or ``"pickle"`` (default: from the file
        name). The signature is read from ONNX files, or given as ``signature``
        (``{"inputs": [{"name", "type"}...], "outputs": [...]}``), and must match the
        version's monitoring schema. ``expected_sha256`` is checked before anything is
        registered. A version's artifact cannot change.
        """
        kind = flavor_of(path, flavor)
        ref = ModelRef(model, version=str(version))
        with self._reads() as session:
            _, row, _ = resolve_in(session, self._pid(session), ref)
            schema = VersionSchema.from_dict(row.schema)
            version_id = row.id
        checked = check_artifact(path, kind, schema, declared=signature,
                                 allow_pickle=self.allow_pickle)  # fmt: skip
        info = self.artifacts.put_file(
            path, expected_sha256=expected_sha256, max_bytes=self.max_artifact_bytes
        )
        sig = None if checked is None else checked.to_dict()

        def register(session: Session) -> bool:
            created = RegistryRepository(session).set_artifact(
                version_id, digest=info.digest, flavor=kind, size=info.size, signature=sig
            )
            if created:
                self._record(session, [artifact_event(
                    model, str(version), version_id, digest=info.digest, flavor=kind,
                    size=info.size, signature=sig)])  # fmt: skip
            return created

        created = retrying(self._writes, register)
        return ArtifactRecord(model, str(version), info.digest, kind, info.size, sig, created)

    def download_artifact(
        self, ref: str, destination: str | os.PathLike[str], *, at: datetime | None = None
    ) -> Path:
        """Copy the artifact of ``ref`` (``"fraud@production"``, ``"fraud:3"``) to
        ``destination``, verifying its digest (nothing is left on a mismatch)."""
        resolved = self.resolve(ref, at=at)
        if resolved.artifact_digest is None:
            raise NotFoundError(
                f"Version {resolved.version!r} of model {resolved.model!r} has no artifact; "
                "upload one first."
            )
        return self.artifacts.get_file(check_digest(resolved.artifact_digest), destination)

    # aliases ---------------------------------------------------------------------------------
    def set_alias(self, model: str, alias: str, version: str, *, reason: str = "") -> AliasRecord:
        """Point ``alias`` of ``model`` at ``version`` (recorded with the actor and reason)."""
        return self._move(model, check_alias(alias), str(version), reason)

    def remove_alias(self, model: str, alias: str, *, reason: str = "") -> AliasRecord:
        """Remove ``alias`` from ``model`` (the removal is recorded in its history)."""
        return self._move(model, check_alias(alias), None, reason)

    def _move(self, model: str, alias: str, version: str | None, reason: str) -> AliasRecord:
        if not isinstance(reason, str) or len(reason) > 1000 or "\x00" in reason:
            raise ParameterError("The 'reason' must be text of at most 1000 characters.")

        def work(session: Session) -> AliasRecord:
            pid = self._pid(session)
            found = session.scalar(
                select(Model).where(Model.project_id == pid, Model.name == model)
            )
            if found is None:
                raise NotFoundError(f"No model named {model!r} in project {self.project!r}.")
            repo = RegistryRepository(session)
            version_id = None
            if version is not None:
                row = repo.version_of(found.id, version)
                if row is None:
                    raise NotFoundError(f"No version {version!r} of model {model!r}.")
                version_id = row.id
            move, changed = repo.move_alias(found.id, alias, version_id, actor=self.actor,
                                            reason=reason)  # fmt: skip
            moved = move_record(move, model, repo.version_names(found.id), changed)
            if changed:
                self._record(session, [alias_event(moved)])
            return moved

        return retrying(self._writes, work)

    def resolve(self, ref: str, *, at: datetime | None = None) -> ResolvedVersion:
        """The version ``ref`` names: ``"fraud@production"`` now, or what served at ``at``
        (a timezone-aware time); ``"fraud:3"`` names a version directly."""
        parsed = ModelRef.parse(ref)
        with self._reads() as session:
            return resolve_in(session, self._pid(session), parsed, at)[2]

    def aliases(self, model: str, *, at: datetime | None = None) -> dict[str, str]:
        """``{alias: version}`` of ``model``, now or at ``at``."""
        with self._reads() as session:
            pid = self._pid(session)
            found = session.scalar(
                select(Model).where(Model.project_id == pid, Model.name == model)
            )
            if found is None:
                raise NotFoundError(f"No model named {model!r} in project {self.project!r}.")
            repo = RegistryRepository(session)
            names = repo.version_names(found.id)
            if at is None:
                return {a.alias: names[a.model_version_id] for a in repo.aliases(found.id)}
            return {
                a: names[m.model_version_id]
                for a, m in repo.aliases_at(found.id, at).items()
                if m.model_version_id is not None
            }

    def alias_history(self, model: str, alias: str | None = None) -> list[AliasRecord]:
        """Every move of ``model``'s aliases (of ``alias`` only, if given), oldest first."""
        with self._reads() as session:
            pid = self._pid(session)
            found = session.scalar(
                select(Model).where(Model.project_id == pid, Model.name == model)
            )
            if found is None:
                raise NotFoundError(f"No model named {model!r} in project {self.project!r}.")
            repo = RegistryRepository(session)
            names = repo.version_names(found.id)
            return [move_record(m, model, names, True) for m in repo.history(found.id, alias)]

    # datasets and lineage ---------------------------------------------------------------------
    def register_dataset(
        self,
        name: str,
        data: object,
        *,
        source_uri: str = "",
        licence: str = "",
        pii: bool = False,
    ) -> DatasetRecord:
        """Register a training or evaluation data set by fingerprint (sha256 of its
        content, schema digest and profile), with its source, licence and PII flag.
        Registering the same content under the same name again returns the first record."""
        fp = fingerprint_dataset(data)

        def work(session: Session) -> DatasetRecord:
            row, created = RegistryRepository(session).add_dataset(
                self._pid(session), name, fingerprint=fp.fingerprint,
                schema_digest=fp.schema_digest, schema=fp.schema, profile=fp.profile,
                rows=fp.rows, source_uri=source_uri, licence=licence, pii=pii,
                created_by=self.actor,
            )  # fmt: skip
            registered = dataset_record(row, created)
            if created:
                self._record(session, [dataset_event(registered)])
            return registered

        return retrying(self._writes, work)

    def record_training(
        self,
        model: str,
        version: str,
        *,
        run: str,
        datasets: Sequence[str] = (),
        evaluation: Sequence[str] = (),
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        """Record that training run ``run`` read ``datasets`` (names, fingerprints or ids),
        was evaluated on ``evaluation`` and produced ``model``'s ``version``."""
        ref = ModelRef(model, version=str(version))

        def work(session: Session) -> None:
            pid = self._pid(session)
            _, row, _ = resolve_in(session, pid, ref)
            repo = RegistryRepository(session)
            wanted: list[tuple[tuple[str, str], tuple[str, str], str, dict[str, Any] | None]]
            wanted = []
            for names, relation in ((datasets, "trained_on"), (evaluation, "evaluated_on")):
                for item in names:
                    found = repo.dataset(pid, item)
                    if found is None:
                        raise NotFoundError(
                            f"No data set {item!r} is registered; register it first."
                        )
                    wanted.append((("dataset", found.id), ("run", run), relation, None))
            wanted.append((("run", run), ("model_version", row.id), "produced",
                           {"name": run, **dict(attributes or {})}))  # fmt: skip
            added = []
            for edge in wanted:
                source, target, relation, attrs = edge
                if repo.add_edge(
                    pid, source, target, relation, attributes=attrs, created_by=self.actor
                )[1]:
                    added.append(edge)
            self._record(session, lineage_events(model, row.version, added))

        retrying(self._writes, work)

    def lineage(self, ref: str, *, at: datetime | None = None) -> LineageGraph:
        """The lineage of ``ref`` (``"fraud@production"``): data sets → runs → version →
        gate reports → approvals → alias moves → monitored windows."""
        parsed = ModelRef.parse(ref)
        with self._reads() as session:
            return lineage_of(session, self._pid(session), parsed, at)


def _audit_engine(engine: Engine | str | None, audit: AuditLog) -> Engine:
    """The engine of ``audit`` when ``engine`` names its database (None: take it); events are
    appended in the registry's transactions, so both must be on one database."""
    from driftline.audit import AuditLog

    if not isinstance(audit, AuditLog):
        raise ParameterError(
            f"The 'audit' parameter of Registry must be a driftline.audit.AuditLog or None; "
            f"got {type(audit).__name__}."
        )
    if engine is None or engine is audit.engine:
        return audit.engine
    url = engine.url if isinstance(engine, Engine) else make_url(engine)
    same = url.render_as_string(hide_password=False) == audit.engine.url.render_as_string(
        hide_password=False
    )
    if not same or url.database in (None, "", ":memory:"):
        raise ParameterError(
            "The registry and its audit log must be on one database (events are appended in "
            "the transaction of each change): pass AuditLog(engine) and the same engine, or "
            "engine=None to use the audit log's."
        )
    return audit.engine
