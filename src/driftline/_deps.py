"""Lazy imports of optional dependencies, failing with an install hint."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

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


def lazy_getattr(
    package: str, lazy: Mapping[str, tuple[str, tuple[str, ...]]], *, extra: str
) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) importing optional parts of ``package`` on first use.

    ``lazy`` maps an exported name to ``(private module, required packages)``: asking for
    the name checks the packages (:class:`MissingDependencyError` with the ``pip install``
    hint for ``extra`` when one is missing), imports the module and caches the name in the
    package, so that everything else in the package works without them.

    >>> module_getattr = lazy_getattr("driftline", {"x": ("_version", ("json",))}, extra="dev")
    >>> module_getattr("nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'driftline' has no attribute 'nothing'
    """

    def __getattr__(name: str) -> Any:  # noqa: N807  (it becomes a module's __getattr__)
        if name not in lazy:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, requires = lazy[name]
        for dependency in requires:
            require(dependency, extra=extra)
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
