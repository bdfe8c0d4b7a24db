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
from driftline.store._registry_names import FLAVORS, check_alias
from driftline.store._schema import VersionSchema
from driftline.store._timestamps import MAX_TIMESTAMP, MIN_TIMESTAMP
from driftline.store._validate import ValidatedBatch, validate_batch

if _TYPE_CHECKING:
    from driftline.store._arrow import from_ipc, to_ipc
    from driftline.store._audit_tables import AuditEntry, AuditNode, AuditSubject, AuditTreeHead
    from driftline.store._catalog import Catalog
    from driftline.store._engine import (
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
        Model,
        ModelVersion,
        Project,
        Window,
    )
    from driftline.store._registry import RegistryRepository
    from driftline.store._registry_tables import AliasMove, Dataset
    from driftline.store._results import (
        IngestResult,
        LabelResult,
        NewToken,
        RejectedRow,
        TokenInfo,
    )
    from driftline.store._tokens import TokenRepository, role_allows
    from driftline.store._window_keys import window_origin
    from driftline.store._windows import WindowIndex, WindowStore

__all__ = [
    "FLAVORS",
    "MAX_TIMESTAMP",
    "MIN_TIMESTAMP",
    "ROLES",
    "AlertEvent",
    "AlertRule",
    "AliasMove",
    "ApiToken",
    "AuditEntry",
    "AuditNode",
    "AuditSubject",
    "AuditTreeHead",
    "Catalog",
    "Dataset",
    "IngestResult",
    "LabelResult",
    "Model",
    "ModelVersion",
    "NewToken",
    "PredictionStore",
    "PreparedBatch",
    "Project",
    "RegistryRepository",
    "RejectedRow",
    "TokenInfo",
    "TokenRepository",
    "ValidatedBatch",
    "ValidatedLabels",
    "VersionSchema",
    "Window",
    "WindowIndex",
    "WindowStore",
    "check_alias",
    "create_engine_from_url",
    "from_ipc",
    "migrate",
    "role_allows",
    "session_factory",
    "to_ipc",
    "uuid7",
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
            ("_audit_tables", ("AuditEntry", "AuditNode", "AuditSubject", "AuditTreeHead")),
            ("_catalog", ("Catalog",)),
            ("_engine", ("create_engine_from_url", "migrate", "session_factory", "write_options",
                         "write_session_factory")),
            ("_ingest", ("PredictionStore", "PreparedBatch")),
            ("_models", ("ROLES", "AlertEvent", "AlertRule", "ApiToken", "Model", "ModelVersion",
                         "Project", "Window")),
            ("_registry", ("RegistryRepository",)),
            ("_registry_tables", ("AliasMove", "Dataset")),
            ("_results", ("IngestResult", "LabelResult", "NewToken", "RejectedRow", "TokenInfo")),
            ("_tokens", ("TokenRepository", "role_allows")),
            ("_uuid7", ("uuid7",)),
            ("_window_keys", ("window_origin",)),
            ("_windows", ("WindowIndex", "WindowStore")),
        )
        for name in names
    },
    extra="serve",
)  # fmt: skip
