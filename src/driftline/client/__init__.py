"""The Python SDK of the driftline monitoring server (``pip install 'driftline[client]'``).

Talks HTTP only (httpx); needs none of the server's dependencies. Logging calls queue the
rows and return at once; a daemon thread sends them in Arrow batches with retries.
Its errors are the :mod:`driftline.exceptions` classes (re-exported here): ``ApiError``,
``ApiNotFoundError`` (a 404) and ``ClientTimeoutError``.

>>> from driftline.client import Client
>>> client = Client("http://127.0.0.1:9", "dl_0123456789abcdef_secret", project="demo",
...                 block=False)
>>> ids = client.log_predictions("scorer", "1", {"amount": 12.5, "score": 0.31})
>>> len(ids), ids[0][14]
(1, '7')
>>> client.close(timeout=0.1)
"""

from __future__ import annotations

from driftline.client._client import Client
from driftline.client._errors import Rejection
from driftline.client._sender import ClientStats
from driftline.exceptions import ApiError, ApiNotFoundError, ClientTimeoutError

__all__ = [
    "ApiError",
    "ApiNotFoundError",
    "Client",
    "ClientStats",
    "ClientTimeoutError",
    "Rejection",
]
