"""Each package's ``__all__`` is exactly its public names, and every name resolves."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import driftline


def _packages() -> list[str]:
    names = ["driftline"]
    for info in pkgutil.walk_packages(driftline.__path__, prefix="driftline."):
        parts = info.name.split(".")
        if info.ispkg and not any(p.startswith("_") for p in parts):
            names.append(info.name)
    return names


def _public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }


@pytest.mark.parametrize("name", _packages())
def test_all_is_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    declared = set(module.__all__)
    for export in declared:  # resolves lazy exports too
        assert hasattr(module, export), f"{name}.__all__ names {export!r}, which is missing"
    non_module_exports = {
        n
        for n in declared
        if not isinstance(getattr(module, n, None), types.ModuleType) and not n.startswith("__")
    }
    assert non_module_exports == _public_names(module), name
