"""The monitoring loop: incremental window profiles, window results, alerts (issue 7).

Needs the ``serve`` extra (SQLAlchemy, Alembic); ``import driftline`` does not import it.

>>> from driftline.monitor import Monitor, MonitorStats, ingest_profile, profile_rows
>>> MonitorStats().windows_computed
0
"""

from driftline._deps import require as _require

_require("sqlalchemy", extra="serve")

from driftline.monitor._estimators import band_chunk_size  # noqa: E402
from driftline.monitor._ingest_profile import ingest_profile  # noqa: E402
from driftline.monitor._monitor import Monitor, MonitorStats  # noqa: E402
from driftline.monitor._profiling import monitored_columns, profile_rows  # noqa: E402
from driftline.monitor._results import RESULTS_SCHEMA  # noqa: E402

__all__ = [
    "RESULTS_SCHEMA",
    "Monitor",
    "MonitorStats",
    "band_chunk_size",
    "ingest_profile",
    "monitored_columns",
    "profile_rows",
]
