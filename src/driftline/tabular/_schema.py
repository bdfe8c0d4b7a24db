"""Schemas: a mapping column -> kind that overrides inference, from code, a file or the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa

from driftline.exceptions import ParameterError
from driftline.tabular._kinds import KINDS, ColumnKind, check_kind, infer_kind

__all__ = ["Schema", "build_schema", "check_schema", "read_schema", "table_kinds"]

#: A schema: column name -> kind. Columns it does not name are inferred.
Schema = Mapping[str, ColumnKind]


def check_schema(
    schema: Mapping[str, str] | None, *, parameter: str = "schema"
) -> dict[str, ColumnKind]:
    """Validate a schema (None is an empty one); errors name the column and the kinds.

    >>> check_schema({"zip": "categorical"})
    {'zip': 'categorical'}
    >>> check_schema(["zip"])
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The 'schema' parameter must be None or a mapping of column name to kind; got list instead.
    """
    if schema is None:
        return {}
    if not isinstance(schema, Mapping):
        raise ParameterError(
            f"The {parameter!r} parameter must be None or a mapping of column name to kind; "
            f"got {type(schema).__name__} instead."
        )
    return {str(k): check_kind(v, parameter=f"{parameter}[{k!r}]") for k, v in schema.items()}


def read_schema(path: str | os.PathLike[str]) -> dict[str, ColumnKind]:
    """Read a schema file: a YAML or JSON mapping of column name to kind.

    The kinds may also be given the other way round, kind -> list of columns
    (``categorical: [zip, store]``).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "schema.yaml"
    >>> _ = p.write_text("zip: categorical\\nnumeric: [price, qty]\\n")
    >>> read_schema(p)
    {'zip': 'categorical', 'price': 'numeric', 'qty': 'numeric'}
    """
    import yaml

    file = Path(os.fspath(path))
    where = f"the schema file {str(file)!r}"
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"Cannot read {where}: {exc.strerror or exc}.") from exc
    try:
        loaded = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"Cannot parse {where}: {first}.") from exc
    if not isinstance(loaded, Mapping):
        raise ParameterError(
            f"{where[0].upper()}{where[1:]} must hold a mapping of column name to kind "
            f"(for example 'zip: categorical'); it holds {type(loaded).__name__}."
        )
    out: dict[str, ColumnKind] = {}
    for key, value in loaded.items():
        if key in KINDS and isinstance(value, list):
            for name in value:
                _add(out, str(name), str(key), where)
        elif isinstance(value, str):
            _add(out, str(key), value, where)
        else:
            raise ParameterError(
                f"In {where}, column {key!r} has {value!r}; give one of {list(KINDS)}."
            )
    return out


def _add(out: dict[str, ColumnKind], name: str, kind: str, where: str) -> None:
    if kind not in KINDS:
        raise ParameterError(
            f"In {where}, column {name!r} has the kind {kind!r}; kinds are {list(KINDS)}."
        )
    if out.get(name, kind) != kind:
        raise ParameterError(f"In {where}, column {name!r} is given two kinds: "
                             f"{out[name]!r} and {kind!r}.")  # fmt: skip
    out[name] = kind


def build_schema(
    schema: Mapping[str, str] | None = None,
    *,
    categorical: Iterable[str] = (),
    numeric: Iterable[str] = (),
) -> dict[str, ColumnKind]:
    """One schema from a mapping and lists of categorical and numeric columns.

    A column given two different kinds is a :class:`~driftline.exceptions.ParameterError`.

    >>> build_schema({"zip": "categorical"}, numeric=["price"])
    {'zip': 'categorical', 'price': 'numeric'}
    >>> build_schema(categorical=["x"], numeric=["x"])
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: Column 'x' is given two kinds: 'categorical' and 'numeric'.
    """
    out = check_schema(schema)
    for kind, names in (("categorical", categorical), ("numeric", numeric)):
        for name in names:
            if out.get(name, kind) != kind:
                raise ParameterError(
                    f"Column {name!r} is given two kinds: {out[name]!r} and {kind!r}."
                )
            out[name] = kind  # type: ignore[assignment]
    return out


def table_kinds(table: pa.Table) -> dict[str, ColumnKind | None]:
    """The kind of every column of an Arrow table (None: all null, kind unknown).

    >>> table_kinds(pa.table({"x": [1.5], "c": ["a"], "empty": pa.nulls(1)}))
    {'x': 'numeric', 'c': 'categorical', 'empty': None}
    """
    return {f.name: infer_kind(f, table.column(f.name)) for f in table.schema}
