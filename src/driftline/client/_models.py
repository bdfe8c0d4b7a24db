"""The SDK's model and version calls: list, create, register a version and its reference."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

import pyarrow as pa

from driftline.client._api import DEFAULT_COLUMNS, ApiBase
from driftline.client._bodies import ARROW_STREAM, ipc_bytes
from driftline.client._convert import check_task, infer_schema, parse_window, to_table
from driftline.client._results import Model, Version
from driftline.exceptions import ApiError, DataError, DriftlineError, ParameterError
from driftline.store import VersionSchema

__all__ = ["PROFILE_TYPE", "ModelsMixin", "differences"]

PROFILE_TYPE: Final = "application/vnd.driftline.profile"


class ModelsMixin(ApiBase):
    """Models and versions of the client's project."""

    def models(self) -> list[Model]:
        """The project's models, by name."""
        return self._many(Model.from_dict, f"{self._project_path()}/models", key="models")

    def model(self, name: str) -> Model:
        """One model (``ApiNotFoundError`` if there is none of that name)."""
        return self._one(Model.from_dict, "GET", self._model_path(name))

    def create_model(self, name: str, *, exist_ok: bool = False) -> Model:
        """Create a model; with ``exist_ok`` an existing model of that name is returned instead."""
        try:
            return self._one(
                Model.from_dict, "POST", f"{self._project_path()}/models", json={"name": name},
                idempotent=exist_ok,  # a retried POST that finds its own model is fine then
            )  # fmt: skip
        except ApiError as exc:
            if exist_ok and exc.status == 409:
                return self.model(name)
            raise

    def versions(self, model: str) -> list[Version]:
        """A model's versions, oldest first."""
        return self._many(Version.from_dict, f"{self._model_path(model)}/versions", key="versions")

    def version(self, model: str, version: str) -> Version:
        """One model version (its schema, window and reference status)."""
        result = self._one(Version.from_dict, "GET", self._version_path(model, str(version)))
        self._remember_columns(model, result.version, result.schema)
        return result

    def register_version(
        self,
        model: str,
        version: str,
        *,
        reference: object = None,
        reference_profile: object = None,
        schema: VersionSchema | Mapping[str, Any] | None = None,
        task: str = "binary",
        score: str | None = "score",
        prediction: str | None = None,
        target: str | None = None,
        window: str | int | timedelta | Mapping[str, Any] = "1h",
        exist_ok: bool = False,
    ) -> Version:
        """Register a model version and upload its reference.

        ``reference`` is the reference data (any input :meth:`log_predictions` accepts) with
        the features, the ``score`` and/or ``prediction`` column and, for estimation, the
        ``target`` (label) column: the server profiles it and keeps scores and labels.
        ``reference_profile`` is a precomputed ``DatasetProfile`` (or its bytes) instead:
        drift and quality only. ``schema`` is a ``VersionSchema``, its ``to_dict()``, or a
        ``{feature: kind}`` mapping; if omitted it is inferred from ``reference``.
        ``window`` is ``"15m"``, ``"1h"``, ``"1d"``, ``"1w"`` (time windows) or
        ``"10000 rows"``.

        Versions are immutable. With ``exist_ok=True`` registering a version that exists
        returns it when it is the same (schema, task, columns and window) and raises
        :class:`~driftline.exceptions.ApiError` (status 409, ``details`` listing each
        difference) when it is not. The reference is then uploaded only if the existing
        version has none yet (a registration that stopped before its upload is completed);
        an existing reference is kept. So a deployment script may run it on every start.

        Returns the version as the server describes it after the upload.
        """
        self._check_open()
        version = str(version)
        if reference is not None and reference_profile is not None:
            raise ParameterError(
                "Pass either reference= (raw rows) or reference_profile= (a profile), not both."
            )
        table = to_table(reference) if reference is not None else None
        if table is not None and table.num_rows == 0:
            raise DataError("The reference data has no rows.")
        schema_dict = version_schema(schema, table, task, score, prediction, target)
        window_dict = parse_window(window)
        body = {"version": version, "schema": schema_dict, "window": window_dict}
        path = f"{self._model_path(model)}/versions"
        try:
            registered = self._one(Version.from_dict, "POST", path, json=body, idempotent=exist_ok)
        except ApiError as exc:
            if not (exist_ok and exc.status == 409):
                raise
            registered = self._existing(model, version, schema_dict, window_dict)
            if registered.has_reference_data or registered.has_reference_profile:
                return registered
        self._remember_columns(model, version, registered.schema)
        if table is not None:
            params = {"target": target} if target is not None else None
            self._send("PUT", f"{self._version_path(model, version)}/reference", params=params,
                       content=ipc_bytes(table, None), headers={"Content-Type": ARROW_STREAM})  # fmt: skip
        elif reference_profile is not None:
            self._send("PUT", f"{self._version_path(model, version)}/reference",
                       content=_profile_bytes(reference_profile, "reference_profile"),
                       headers={"Content-Type": PROFILE_TYPE})  # fmt: skip
        else:
            return registered
        return self.version(model, version)

    def _existing(
        self, model: str, version: str, schema: Mapping[str, Any], window: Mapping[str, Any]
    ) -> Version:
        """The registered version, if it is the one asked for (else a 409 naming the changes)."""
        existing = self.version(model, version)
        changes = differences(existing, schema, window)
        if changes:
            raise ApiError(
                f"Model {model!r} already has a version {version!r} that differs from this one: "
                f"{'; '.join(changes)}. Versions are immutable: register the change under a new "
                "version name, or register the existing one as it is.",
                status=409,
                code="conflict",
                details=changes,
                method="POST",
                url=f"{self.url}{self._model_path(model)}/versions",
            )
        return existing


def differences(
    existing: Version, schema: Mapping[str, Any], window: Mapping[str, Any]
) -> list[str]:
    """How a registered version differs from the ``schema`` and ``window`` given now.

    >>> from datetime import UTC, datetime
    >>> v = Version("m", "1", VersionSchema({"x": "numeric"}), {"kind": "time",
    ...             "size_seconds": 3600}, False, False, datetime(2026, 1, 1, tzinfo=UTC))
    >>> differences(v, {"features": {"x": "numeric"}}, {"kind": "time", "size_seconds": 3600})
    []
    >>> differences(v, {"features": {"x": "categorical", "y": "numeric"}, "task": "regression"},
    ...             {"kind": "rows", "size": 500})  # doctest: +NORMALIZE_WHITESPACE
    ["features: 'y' is new", "features['x']: registered 'numeric', given 'categorical'",
     "task: registered 'binary', given 'regression'",
     "window: registered {'kind': 'time', 'size_seconds': 3600}, given {'kind': 'rows', 'size': 500}"]
    """
    try:
        given = VersionSchema.from_dict(schema)
    except DriftlineError as exc:  # the server accepted it, so this is not expected
        return [f"schema: {exc}"]
    old, new = existing.schema, given
    found = [f"features: {name!r} is new" for name in new.features if name not in old.features]
    found += [f"features: {name!r} is missing" for name in old.features if name not in new.features]
    found += [
        f"features[{name!r}]: registered {kind!r}, given {new.features[name]!r}"
        for name, kind in old.features.items()
        if name in new.features and new.features[name] != kind
    ]
    for field in ("task", "id_column", "timestamp_column", "score_column", "prediction_column"):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            found.append(f"{field}: registered {before!r}, given {after!r}")
    if any(existing.window.get(key) != value for key, value in window.items()):
        found.append(f"window: registered {dict(existing.window)}, given {dict(window)}")
    return found


def _profile_bytes(profile: object, name: str) -> bytes:
    """A ``DatasetProfile`` (or its bytes) as bytes."""
    payload = profile
    to_bytes = getattr(profile, "to_bytes", None)
    if callable(to_bytes):
        payload = to_bytes()
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise ParameterError(
            f"{name}= must be a driftline DatasetProfile or its to_bytes(); "
            f"got {type(profile).__name__}."
        )
    return bytes(payload)


def version_schema(
    schema: object,
    table: pa.Table | None,
    task: str,
    score: str | None,
    prediction: str | None,
    target: str | None,
) -> dict[str, Any]:
    """The schema to register, as ``VersionSchema.to_dict()``: given, or inferred from the
    reference ``table``."""
    if schema is None:
        if table is None:
            raise ParameterError(
                "register_version needs reference= (to infer the schema from) or schema="
                " (a VersionSchema, its to_dict(), or a {feature: kind} mapping)."
            )
        return infer_schema(table, task=task, score=score, prediction=prediction, target=target)
    to_dict = getattr(schema, "to_dict", None)
    if callable(to_dict):  # a VersionSchema
        result: dict[str, Any] = dict(to_dict())
        return result
    if isinstance(schema, Mapping):
        if "features" in schema:
            return dict(schema)
        check_task(task, score, prediction)
        return {
            "features": dict(schema),
            "task": task,
            "id_column": DEFAULT_COLUMNS[0],
            "timestamp_column": DEFAULT_COLUMNS[1],
            "score_column": score,
            "prediction_column": prediction,
        }
    raise ParameterError(
        "schema= must be a VersionSchema, its to_dict(), or a {feature: kind} mapping; "
        f"got {type(schema).__name__}."
    )
