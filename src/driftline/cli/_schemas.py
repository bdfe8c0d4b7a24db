"""The JSON Schemas of the CLI's ``--json`` outputs, shipped in ``cli/schemas/``.

Every ``--json`` output is one JSON object that starts with ``"$schema"`` (the ``$id``
of its schema) and ``"schema_version"``; the schema is a JSON Schema (draft 2020-12)
that the tests check real outputs against. A version changes when a field is removed
or changes meaning; adding a field does not change it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from driftline.exceptions import ParameterError

__all__ = ["SCHEMAS", "load_schema", "stamped"]

SCHEMAS: dict[str, str] = {
    "profile": "driftline profile --json",
    "drift": "driftline drift --json",
    "evaluate": "driftline evaluate --json",
    "estimate": "driftline estimate --json",
    "gate": "driftline gate run --json",
    "quickstart": "driftline quickstart --json",
    "config": "driftline config show --json",
    "token": "driftline project create --json, driftline token create --json",
    "monitor": "driftline monitor --once",
    "audit_verify": "driftline audit verify --json",
    "audit_export": "driftline audit export",
}
"""Schema name -> the command(s) whose output it describes."""


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema called ``name`` (one of :data:`SCHEMAS`)."""
    if name not in SCHEMAS:
        raise ParameterError(f"No output schema named {name!r}; choose one of {list(SCHEMAS)}.")
    text = resources.files("driftline.cli").joinpath("schemas", f"{name}.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def stamped(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with its schema's ``$schema`` id and ``schema_version`` first."""
    schema = load_schema(name)
    version = schema["properties"]["schema_version"]["const"]
    return {"$schema": schema["$id"], "schema_version": version, **payload}
