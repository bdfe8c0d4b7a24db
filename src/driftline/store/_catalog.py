"""Projects, users and their roles, models and model versions (the caller commits)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from driftline._params import Interval, Options, check, invalid
from driftline.exceptions import ParameterError
from driftline.store._arrow import from_ipc, to_ipc
from driftline.store._models import (
    ROLES,
    Model,
    ModelVersion,
    Project,
    ProjectMember,
    User,
)
from driftline.store._schema import VersionSchema
from driftline.store._window_keys import window_origin

if TYPE_CHECKING:
    from driftline.profiles import DatasetProfile

__all__ = ["Catalog"]


MAX_TIME_WINDOW_SECONDS = 366 * 86_400


def _need(obj: object, what: str, key: str) -> None:
    if obj is None:
        raise ParameterError(f"No {what} with id {key!r}.")


def check_name(parameter: str, value: object) -> None:
    """Refuse a name that is not a non-empty string or that holds a NUL byte.

    >>> check_name("name", "fraud" + chr(0))
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The 'name' parameter holds a NUL byte ...
    """
    if not isinstance(value, str) or not value:
        raise ParameterError(
            f"The {parameter!r} parameter must be a non-empty string; got {value!r}."
        )
    if "\x00" in value:
        raise ParameterError(
            f"The {parameter!r} parameter holds a NUL byte (\\x00): {value!r}; names must be "
            "printable text."
        )


class Catalog:
    """Create and look up projects, users, roles, models and versions in one session.

    >>> from driftline.store import create_engine_from_url, migrate, session_factory
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> with session_factory(engine).begin() as session:
    ...     catalog = Catalog(session)
    ...     model = catalog.create_model(catalog.create_project("p").id, "churn")
    ...     version = catalog.create_version(model.id, "1", VersionSchema({"x": "numeric"}))
    ...     catalog.schema_of(version.id).features["x"]
    'numeric'
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    # projects and people ---------------------------------------------------------------
    def create_project(self, name: str) -> Project:
        """A new project named ``name`` (unique)."""
        check_name("name", name)
        project = Project(name=name)
        self.session.add(project)
        self.session.flush()
        return project

    def get_project(self, project_id: str) -> Project | None:
        """The project with this id, or None."""
        return self.session.get(Project, project_id)

    def project_by_name(self, name: str) -> Project | None:
        """The project with this name, or None."""
        return self.session.scalar(select(Project).where(Project.name == name))

    def create_user(self, name: str) -> User:
        """A new user named ``name`` (unique)."""
        check_name("name", name)
        user = User(name=name)
        self.session.add(user)
        self.session.flush()
        return user

    def set_role(
        self, project_id: str, user_id: str, role: Literal["viewer", "editor", "admin"]
    ) -> None:
        """Give ``user_id`` the role ``role`` in ``project_id`` (replacing any earlier role)."""
        check("Catalog.set_role", "role", role, Options(*ROLES))
        _need(self.session.get(Project, project_id), "project", project_id)
        _need(self.session.get(User, user_id), "user", user_id)
        member = self.session.get(ProjectMember, (project_id, user_id))
        if member is None:
            self.session.add(ProjectMember(project_id=project_id, user_id=user_id, role=role))
        else:
            member.role = role
        self.session.flush()

    def role_of(self, user_id: str, project_id: str) -> str | None:
        """The user's role in the project, or None if they hold none."""
        member = self.session.get(ProjectMember, (project_id, user_id))
        return None if member is None else member.role

    # models and versions -------------------------------------------------------------------
    def create_model(self, project_id: str, name: str) -> Model:
        """A new model in ``project_id``; names are unique per project."""
        check_name("name", name)
        _need(self.session.get(Project, project_id), "project", project_id)
        model = Model(project_id=project_id, name=name)
        self.session.add(model)
        self.session.flush()
        return model

    def get_model(self, model_id: str) -> Model | None:
        """The model with this id, or None."""
        return self.session.get(Model, model_id)

    def create_version(
        self,
        model_id: str,
        version: str,
        schema: VersionSchema,
        *,
        reference_profile: DatasetProfile | bytes | None = None,
        reference_data: pa.Table | None = None,
        window_kind: Literal["time", "rows"] = "time",
        window_size: int = 3600,
        window_align: Literal["calendar", "epoch"] = "calendar",
    ) -> ModelVersion:
        """A new version of ``model_id``.

        ``reference_profile`` is a :class:`~driftline.profiles.DatasetProfile` (or its
        ``to_bytes()``); ``reference_data`` holds the reference scores and labels that
        estimation needs (stored as Arrow IPC). Windows are ``window_size`` seconds long
        (``window_kind="time"``, at most a year) or ``window_size`` rows (``"rows"``).
        Time windows of whole weeks start on Mondays (ISO weeks) with ``window_align=
        "calendar"``, on Thursdays (multiples of a week since the epoch) with ``"epoch"``;
        shorter ones start at midnight, the hour or the minute either way.
        Feature names may not take a column name the store keeps for every row
        (``prediction_id``, ``timestamp``, ``score``, ``prediction``, ``label``,
        ``label_at``) nor hold a NUL byte.
        """
        check_name("version", version)
        _need(self.session.get(Model, model_id), "model", model_id)
        if not isinstance(schema, VersionSchema):
            raise ParameterError(
                f"The 'schema' parameter must be a VersionSchema; got {type(schema).__name__}."
            )
        schema.check_reserved()
        check("Catalog.create_version", "window_kind", window_kind, Options("time", "rows"))
        check("Catalog.create_version", "window_size", window_size, Interval("int", 1, None))
        if window_kind == "time" and window_size > MAX_TIME_WINDOW_SECONDS:
            raise invalid(
                "Catalog.create_version",
                "window_size",
                window_size,
                f"at most {MAX_TIME_WINDOW_SECONDS} seconds (a year of 366 days) for a time window",
            )
        check("Catalog.create_version", "window_align", window_align, Options("calendar", "epoch"))
        profile_bytes: bytes | None
        if reference_profile is None or isinstance(reference_profile, bytes):
            profile_bytes = reference_profile
        elif hasattr(reference_profile, "to_bytes"):
            profile_bytes = reference_profile.to_bytes()
        else:
            raise ParameterError(
                "The 'reference_profile' parameter must be a DatasetProfile, bytes or None; "
                f"got {type(reference_profile).__name__}."
            )
        data_bytes: bytes | None = None
        if reference_data is not None:
            if not isinstance(reference_data, pa.Table):
                raise ParameterError(
                    "The 'reference_data' parameter must be a pyarrow.Table of reference "
                    f"scores and labels; got {type(reference_data).__name__}."
                )
            data_bytes = to_ipc(reference_data)
        row = ModelVersion(
            model_id=model_id,
            version=version,
            schema=schema.to_dict(),
            reference_profile=profile_bytes,
            reference_data=data_bytes,
            window_kind=window_kind,
            window_size=window_size,
            window_origin=window_origin(window_size, window_align) if window_kind == "time" else 0,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get_version(self, version_id: str) -> ModelVersion | None:
        """The model version with this id, or None."""
        return self.session.get(ModelVersion, version_id)

    def reference_data(self, version_id: str) -> pa.Table | None:
        """The version's reference scores and labels (as stored), or None."""
        row = self.session.get(ModelVersion, version_id)
        if row is None:
            raise ParameterError(f"No model version with id {version_id!r}.")
        return None if row.reference_data is None else from_ipc(row.reference_data)

    def reference_profile(self, version_id: str) -> DatasetProfile | None:
        """The version's reference profile, or None."""
        from driftline.profiles import DatasetProfile

        row = self.session.get(ModelVersion, version_id)
        if row is None:
            raise ParameterError(f"No model version with id {version_id!r}.")
        if row.reference_profile is None:
            return None
        return DatasetProfile.from_bytes(row.reference_profile)

    def schema_of(self, version_id: str) -> VersionSchema:
        """The version's schema."""
        row = self.session.get(ModelVersion, version_id)
        if row is None:
            raise ParameterError(f"No model version with id {version_id!r}.")
        return VersionSchema.from_dict(row.schema)

    def project_of_version(self, version_id: str) -> str | None:
        """The project a version belongs to (for access checks), or None."""
        return self.session.scalar(
            select(Model.project_id)
            .join(ModelVersion, ModelVersion.model_id == Model.id)
            .where(ModelVersion.id == version_id)
        )
