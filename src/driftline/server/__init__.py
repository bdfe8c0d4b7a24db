"""The monitoring API: a FastAPI app with one router per resource, auth, limits, ``/metrics``.

Needs the ``serve`` extra (``pip install 'driftline[serve]'``). Run it with
``driftline server`` or with any ASGI server through the factory::

    uvicorn --factory driftline.server:create_app
"""

from driftline._deps import require as _require

_require("fastapi", extra="serve")
_require("orjson", extra="serve")
_require("prometheus_client", extra="serve")

from driftline.server._app import create_app  # noqa: E402
from driftline.server._ingestor import DirectIngestor  # noqa: E402
from driftline.server._run import run  # noqa: E402

__all__ = ["DirectIngestor", "create_app", "run"]
