"""driftline: gate, register, serve and monitor tabular models in production.

The public API is re-exported here and imported lazily, so ``import driftline`` stays
fast; everything under a module whose name starts with an underscore is private and
may change without notice.

>>> import driftline
>>> isinstance(driftline.__version__, str)
True
>>> driftline.DriftDetector.__name__
'DriftDetector'
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from driftline import exceptions
from driftline._version import __version__

if _typing.TYPE_CHECKING:
    from driftline.client import Client
    from driftline.drift import DriftDetector, DriftReport
    from driftline.estimate import CBPE, DLE
    from driftline.profiles import DatasetProfile, check_quality, profile

__all__ = [
    "CBPE",
    "DLE",
    "Client",
    "DatasetProfile",
    "DriftDetector",
    "DriftReport",
    "__version__",
    "check_quality",
    "exceptions",
    "profile",
]

_LAZY = {
    "CBPE": "driftline.estimate",
    "Client": "driftline.client",
    "DLE": "driftline.estimate",
    "DatasetProfile": "driftline.profiles",
    "DriftDetector": "driftline.drift",
    "DriftReport": "driftline.drift",
    "check_quality": "driftline.profiles",
    "profile": "driftline.profiles",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'driftline' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
