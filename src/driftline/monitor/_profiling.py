"""Profiling stored prediction rows with a version's schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pyarrow as pa

if TYPE_CHECKING:
    from driftline.profiles import DatasetProfile
    from driftline.store import VersionSchema

__all__ = ["OUTPUT_COLUMNS", "monitored_columns", "profile_rows"]

#: The normalized names of the model-output columns in stored batches (the store renames
#: the schema's score / prediction columns to these).
OUTPUT_COLUMNS: Final = ("score", "prediction")


def monitored_columns(schema: VersionSchema) -> dict[str, str]:
    """Column name -> profile kind for what a window profile holds: features, score, prediction.

    >>> from driftline.store import VersionSchema
    >>> monitored_columns(VersionSchema({"age": "numeric", "city": "categorical"}))
    {'age': 'numeric', 'city': 'categorical', 'score': 'numeric', 'prediction': 'numeric'}
    """
    kinds: dict[str, str] = {name: str(kind) for name, kind in schema.features.items()}
    for name in OUTPUT_COLUMNS:
        kinds.setdefault(name, "numeric")
    return kinds


def profile_rows(schema: VersionSchema, table: pa.Table) -> DatasetProfile:
    """Profile normalized prediction rows (as stored by the store) with ``schema``'s kinds.

    The profile holds the feature columns (kinds from the schema) and the ``score`` and
    ``prediction`` columns (numeric) when present; ids and timestamps are left out. Use
    it for reference profiles too, so that reference and windows are profiled alike.

    >>> import pyarrow as pa
    >>> from driftline.store import VersionSchema
    >>> t = pa.table({"prediction_id": ["a", "b"], "x": [1.0, 3.0], "score": [0.2, 0.4]})
    >>> p = profile_rows(VersionSchema({"x": "numeric"}), t)
    >>> p.column_names, p["x"].mean
    (['x', 'score'], 2.0)
    """
    from driftline.profiles import profile

    kinds = monitored_columns(schema)
    present = [name for name in kinds if name in table.column_names]
    return profile(
        table.select(present),
        schema={name: kinds[name] for name in present},
    )
