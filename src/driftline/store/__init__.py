"""SQLAlchemy 2 tables and repositories, Alembic migrations (SQLite by default, PostgreSQL for teams).

Needs the ``sqlalchemy`` and ``alembic`` packages (``pip install 'driftline[serve]'``),
except :class:`VersionSchema`, which a core install can import; the rest is imported on
first use. ``import driftline`` does not import this package.

>>> from driftline.store import create_engine_from_url, migrate
>>> engine = create_engine_from_url("sqlite://")
>>> migrate(engine)
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from driftline._deps import lazy_getattr as _lazy_getattr

# pyarrow only: these work on a core install
from driftline.store._labels import ValidatedLabels, validate_labels
from driftline.store._schema import RESERVED_COLUMNS, VersionSchema
from driftline.store._timestamps import MAX_TIMESTAMP, MIN_TIMESTAMP
from driftline.store._validate import ValidatedBatch, validate_batch

if _TYPE_CHECKING:
    from driftline.store._arrow import from_ipc, to_ipc
    from driftline.store._audit_tables import AuditEntry, AuditNode, AuditSubject, AuditTreeHead
    from driftline.store._catalog import Catalog
    from driftline.store._engine import (
        DEFAULT_DATABASE_URL,
        create_engine_from_url,
        migrate,
        session_factory,
        write_options,
        write_session_factory,
    )
    from driftline.store._ingest import PredictionStore, PreparedBatch
    from driftline.store._models import (
        ROLES,
        AlertEvent,
        AlertRule,
        ApiToken,
        Base,
        Model,
        ModelVersion,
        PendingLabel,
        Prediction,
        PredictionBatch,
        Project,
        ProjectMember,
        User,
        Window,
    )
    from driftline.store._results import (
        IngestResult,
        LabelResult,
        NewToken,
        RejectedRow,
        TokenInfo,
    )
    from driftline.store._tokens import TokenRepository, role_allows
    from driftline.store._uuid7 import uuid7, uuid7_strings
    from driftline.store._window_keys import time_window_keys, window_origin
    from driftline.store._windows import WindowIndex, WindowStore

__all__ = [
    "DEFAULT_DATABASE_URL",
    "MAX_TIMESTAMP",
    "MIN_TIMESTAMP",
    "RESERVED_COLUMNS",
    "ROLES",
    "AlertEvent",
    "AlertRule",
    "ApiToken",
    "AuditEntry",
    "AuditNode",
    "AuditSubject",
    "AuditTreeHead",
    "Base",
    "Catalog",
    "IngestResult",
    "LabelResult",
    "Model",
    "ModelVersion",
    "NewToken",
    "PendingLabel",
    "Prediction",
    "PredictionBatch",
    "PredictionStore",
    "PreparedBatch",
    "Project",
    "ProjectMember",
    "RejectedRow",
    "TokenInfo",
    "TokenRepository",
    "User",
    "ValidatedBatch",
    "ValidatedLabels",
    "VersionSchema",
    "Window",
    "WindowIndex",
    "WindowStore",
    "create_engine_from_url",
    "from_ipc",
    "migrate",
    "role_allows",
    "session_factory",
    "time_window_keys",
    "to_ipc",
    "uuid7",
    "uuid7_strings",
    "validate_batch",
    "validate_labels",
    "window_origin",
    "write_options",
    "write_session_factory",
]

_NEEDS = ("sqlalchemy", "alembic")
__getattr__ = _lazy_getattr(
    __name__,
    {
        name: (module, _NEEDS)
        for module, names in (
            ("_arrow", ("from_ipc", "to_ipc")),
            # Base through the module of the audit tables, so that its metadata holds them
            ("_audit_tables", ("AuditEntry", "AuditNode", "AuditSubject", "AuditTreeHead",
                               "Base")),
            ("_catalog", ("Catalog",)),
            ("_engine", ("DEFAULT_DATABASE_URL", "create_engine_from_url", "migrate",
                         "session_factory", "write_options", "write_session_factory")),
            ("_ingest", ("PredictionStore", "PreparedBatch")),
            ("_models", ("ROLES", "AlertEvent", "AlertRule", "ApiToken", "Model",
                         "ModelVersion", "PendingLabel", "Prediction", "PredictionBatch",
                         "Project", "ProjectMember", "User", "Window")),
            ("_results", ("IngestResult", "LabelResult", "NewToken", "RejectedRow", "TokenInfo")),
            ("_tokens", ("TokenRepository", "role_allows")),
            ("_uuid7", ("uuid7", "uuid7_strings")),
            ("_window_keys", ("time_window_keys", "window_origin")),
            ("_windows", ("WindowIndex", "WindowStore")),
        )
        for name in names
    },
    extra="serve",
)  # fmt: skip
