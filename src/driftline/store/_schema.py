"""What a model version's prediction rows look like: feature kinds and special columns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal, get_args

import pyarrow as pa

from driftline._params import Constraints, InstanceOf, Options, check, invalid, validate
from driftline.exceptions import ParameterError, SchemaMismatchError

__all__ = ["RESERVED_COLUMNS", "FeatureKind", "Task", "VersionSchema"]

FeatureKind = Literal["numeric", "categorical", "boolean", "datetime", "text"]
Task = Literal["binary", "multiclass", "regression"]
_KINDS: tuple[str, ...] = get_args(FeatureKind)
_TASKS: tuple[str, ...] = get_args(Task)
#: Names of the columns the store keeps for every row (the normalized batch) and that the
#: window export adds; a feature may not take them (nor a name starting with ``__``).
RESERVED_COLUMNS: Final = ("prediction_id", "timestamp", "score", "prediction", "label", "label_at")


@dataclass(frozen=True)
class VersionSchema:
    """The columns a version's prediction batches carry.

    ``features`` maps each feature column to its kind. Rows also carry a prediction id
    (generated when absent), a timestamp (the ingestion time when the column is absent),
    and a score and/or a numeric prediction. For ``task="binary"`` the score is the
    probability of the positive class and must lie in [0, 1].

    >>> schema = VersionSchema({"age": "numeric", "city": "categorical"})
    >>> VersionSchema.from_dict(schema.to_dict()) == schema
    True
    """

    features: Mapping[str, FeatureKind]
    task: Task = "binary"
    id_column: str = "prediction_id"
    timestamp_column: str = "timestamp"
    score_column: str | None = "score"
    prediction_column: str | None = "prediction"

    _parameter_constraints: ClassVar[Constraints] = {
        "features": [InstanceOf((Mapping,), "a non-empty mapping {column: kind}")],
        "task": [Options(*_TASKS)],
        "id_column": [InstanceOf((str,), "a column name")],
        "timestamp_column": [InstanceOf((str,), "a column name")],
        "score_column": [InstanceOf((str,), "a column name"), None],
        "prediction_column": [InstanceOf((str,), "a column name"), None],
    }

    def __post_init__(self) -> None:
        validate(self)
        if not self.features:
            raise invalid(self, "features", self.features, "a non-empty mapping {column: kind}")
        for name, kind in self.features.items():
            if not isinstance(name, str) or not name:
                raise ParameterError(f"Feature names must be non-empty strings; got {name!r}.")
            check(self, f"features[{name!r}]", kind, Options(*_KINDS))
        for field, value in (
            ("features", [n for n in self.features if "\x00" in n]),
            ("id_column", self.id_column),
            ("timestamp_column", self.timestamp_column),
            ("score_column", self.score_column),
            ("prediction_column", self.prediction_column),
        ):
            if (isinstance(value, str) and "\x00" in value) or (isinstance(value, list) and value):
                raise ParameterError(
                    f"The {field!r} parameter holds a NUL byte (\\x00): {value!r}; column names "
                    "must be printable text."
                )
        special = [self.id_column, self.timestamp_column, self.score_column, self.prediction_column]
        named = [c for c in special if c is not None]
        if len(set(named)) != len(named) or set(named) & set(self.features):
            raise ParameterError(
                "The id, timestamp, score and prediction columns must be distinct from each "
                f"other and from the features; got {named}."
            )
        if self.score_column is None and self.prediction_column is None:
            raise ParameterError(
                "At least one of 'score_column' and 'prediction_column' is needed."
            )
        object.__setattr__(self, "features", MappingProxyType(dict(self.features)))

    @property
    def columns(self) -> list[str]:
        """Every column a batch may carry for this schema: features, then id, timestamp,
        score and prediction (those that are named).

        >>> VersionSchema({"x": "numeric"}, prediction_column=None).columns
        ['x', 'prediction_id', 'timestamp', 'score']
        """
        special = (self.id_column, self.timestamp_column, self.score_column, self.prediction_column)
        return [*self.features, *(c for c in special if c is not None)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stored in ``model_versions.schema``)."""
        return {
            "features": dict(self.features),
            "task": self.task,
            "id_column": self.id_column,
            "timestamp_column": self.timestamp_column,
            "score_column": self.score_column,
            "prediction_column": self.prediction_column,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VersionSchema:
        """Rebuild a schema written by :meth:`to_dict`."""
        try:
            return cls(
                features=dict(data["features"]),
                task=data.get("task", "binary"),
                id_column=data.get("id_column", "prediction_id"),
                timestamp_column=data.get("timestamp_column", "timestamp"),
                score_column=data.get("score_column", "score"),
                prediction_column=data.get("prediction_column", "prediction"),
            )
        except (KeyError, TypeError) as exc:
            raise SchemaMismatchError(f"Not a driftline version schema: {data!r}") from exc

    def check_reserved(self) -> None:
        """Refuse (``ParameterError``) features named like the store's own columns
        (:data:`RESERVED_COLUMNS`, or a name starting with ``__``).

        Checked when a version is registered; schemas stored earlier still load.

        >>> VersionSchema({"score": "numeric"}, score_column="proba").check_reserved()
        Traceback (most recent call last):
        ...
        driftline.exceptions.ParameterError: The feature name(s) ['score'] are reserved: ...
        """
        taken = [n for n in self.features if n in RESERVED_COLUMNS or n.startswith("__")]
        if taken:
            raise ParameterError(
                f"The feature name(s) {taken} are reserved: the store keeps its own columns "
                f"under the names {list(RESERVED_COLUMNS)} (and names starting with '__'). "
                f"Rename the feature(s), e.g. {['feature_' + n.lstrip('_') for n in taken]}, "
                "in the schema and in the batches."
            )

    @classmethod
    def infer(
        cls,
        table: pa.Table,
        *,
        task: Task = "binary",
        id_column: str = "prediction_id",
        timestamp_column: str = "timestamp",
        score_column: str | None = "score",
        prediction_column: str | None = "prediction",
        exclude: tuple[str, ...] = (),
    ) -> VersionSchema:
        """Infer feature kinds from an Arrow table (every column but the special ones).

        Kinds come from :func:`driftline.tabular.infer_kind`, the rule profiles, drift
        and the client use; a column without any value is ``categorical``, as in a profile.

        >>> import pyarrow as pa
        >>> t = pa.table({"x": [1.0], "c": ["a"], "b": [True], "score": [0.5]})
        >>> dict(VersionSchema.infer(t).features)
        {'x': 'numeric', 'c': 'categorical', 'b': 'boolean'}
        """
        from driftline.tabular import infer_kind

        special = {id_column, timestamp_column, score_column, prediction_column, *exclude}
        features: dict[str, FeatureKind] = {}
        for field in table.schema:
            if field.name in special:
                continue
            features[field.name] = infer_kind(field, table.column(field.name)) or "categorical"
        return cls(
            features,
            task=task,
            id_column=id_column,
            timestamp_column=timestamp_column,
            score_column=score_column,
            prediction_column=prediction_column,
        )
