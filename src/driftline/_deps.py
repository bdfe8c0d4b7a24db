"""Lazy imports of optional dependencies, failing with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from driftline.exceptions import MissingDependencyError


def require(module: str, *, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra.

    >>> require("json", extra="dev").__name__
    'json'
    >>> require("surely_not_installed_xyz", extra="spark")
    Traceback (most recent call last):
    ...
    driftline.exceptions.MissingDependencyError: This feature needs 'surely_not_installed_xyz', which is not installed. Install it with: pip install 'driftline[spark]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"This feature needs {module!r}, which is not installed. "
            f"Install it with: pip install 'driftline[{extra}]'"
        ) from exc
