"""driftline: gate, register, serve and monitor tabular models in production.

The public API is re-exported here; everything under a module whose name starts
with an underscore is private and may change without notice.

>>> import driftline
>>> isinstance(driftline.__version__, str)
True
"""

from __future__ import annotations

from driftline import exceptions
from driftline._version import __version__

__all__ = [
    "__version__",
    "exceptions",
]
