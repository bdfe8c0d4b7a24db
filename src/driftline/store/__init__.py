"""SQLAlchemy 2 tables and repositories, Alembic migrations (SQLite by default, PostgreSQL for teams).

Needs the ``sqlalchemy`` and ``alembic`` packages (``pip install 'driftline[serve]'``);
``import driftline`` does not import this package.

>>> from driftline.store import create_engine_from_url, migrate
>>> engine = create_engine_from_url("sqlite://")
>>> migrate(engine)
"""

from driftline._deps import require as _require

_require("sqlalchemy", extra="serve")
_require("alembic", extra="serve")

from driftline.store._arrow import from_ipc, to_ipc  # noqa: E402
from driftline.store._catalog import Catalog  # noqa: E402
from driftline.store._engine import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    create_engine_from_url,
    migrate,
    session_factory,
    write_options,
    write_session_factory,
)
from driftline.store._ingest import PredictionStore, PreparedBatch  # noqa: E402
from driftline.store._labels import ValidatedLabels, validate_labels  # noqa: E402
from driftline.store._models import (  # noqa: E402
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
from driftline.store._results import (  # noqa: E402
    IngestResult,
    LabelResult,
    NewToken,
    RejectedRow,
    TokenInfo,
)
from driftline.store._schema import RESERVED_COLUMNS, VersionSchema  # noqa: E402
from driftline.store._timestamps import MAX_TIMESTAMP, MIN_TIMESTAMP  # noqa: E402
from driftline.store._tokens import TokenRepository, role_allows  # noqa: E402
from driftline.store._uuid7 import uuid7, uuid7_strings  # noqa: E402
from driftline.store._validate import ValidatedBatch, validate_batch  # noqa: E402

__all__ = [
    "DEFAULT_DATABASE_URL",
    "MAX_TIMESTAMP",
    "MIN_TIMESTAMP",
    "RESERVED_COLUMNS",
    "ROLES",
    "AlertEvent",
    "AlertRule",
    "ApiToken",
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
    "create_engine_from_url",
    "from_ipc",
    "migrate",
    "role_allows",
    "session_factory",
    "to_ipc",
    "uuid7",
    "uuid7_strings",
    "validate_batch",
    "validate_labels",
    "write_options",
    "write_session_factory",
]
