"""The Python SDK of the driftline monitoring server (``pip install 'driftline[client]'``).

Talks HTTP only (httpx); needs none of the server's dependencies. Logging calls queue the
rows and return at once; a daemon thread sends them in Arrow batches with retries.
Resource calls return small frozen result classes (``Model``, ``Version``, ``Window``,
``WindowResults``, ``Point``, ``AlertRule``, ``AlertEvent``, ...) with ``to_dict()``.
``send_predictions`` posts one batch synchronously (an ``IngestReceipt``), for callers that
keep their own durable queue (``driftline serve``'s spill to disk).
Its errors are the :mod:`driftline.exceptions` classes (re-exported here): ``ApiError``,
``ApiNotFoundError`` (a 404) and ``ClientTimeoutError``.

The result classes, ``ClientStats`` and ``Rejection`` import on a core install;
``Client`` needs httpx and says so (``MissingDependencyError``) when it is missing.

>>> from driftline.client import Client
>>> client = Client("http://127.0.0.1:9", "dl_0123456789abcdef_secret", project="demo",
...                 block=False)
>>> ids = client.log_predictions("scorer", "1", {"amount": 12.5, "score": 0.31})
>>> len(ids), ids[0][14]
(1, '7')
>>> client.close(timeout=0.1)
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from driftline._deps import lazy_getattr as _lazy_getattr
from driftline.client._alert_results import AlertEvent, AlertRule
from driftline.client._records import ClientStats, Rejection
from driftline.client._results import (
    Health,
    Identity,
    IngestReceipt,
    Model,
    ProfileReceipt,
    Version,
)
from driftline.client._window_results import Point, Window, WindowResults
from driftline.exceptions import ApiError, ApiNotFoundError, ClientTimeoutError

if _TYPE_CHECKING:
    from driftline.client._client import Client

__all__ = [
    "AlertEvent",
    "AlertRule",
    "ApiError",
    "ApiNotFoundError",
    "Client",
    "ClientStats",
    "ClientTimeoutError",
    "Health",
    "Identity",
    "IngestReceipt",
    "Model",
    "Point",
    "ProfileReceipt",
    "Rejection",
    "Version",
    "Window",
    "WindowResults",
]

__getattr__ = _lazy_getattr(__name__, {"Client": ("_client", ("httpx",))}, extra="client")
