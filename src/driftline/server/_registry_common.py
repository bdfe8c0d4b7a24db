"""What the registry's routes share: the artifact store of the server, the actor of a
request, and the 4xx answer to a registry error."""

from __future__ import annotations

from driftline.exceptions import (
    DataError,
    DigestMismatchError,
    DriftlineError,
    NotFoundError,
    ParameterError,
    SchemaMismatchError,
    SerializationError,
    UnsupportedInputError,
)
from driftline.registry import (
    ArtifactStore,
)
from driftline.server._errors import ApiError
from driftline.server._state import ServerState
from driftline.store import (
    TokenInfo,
)

__all__ = ["MODEL", "VERSION", "actor_of", "artifact_store", "registry_error"]

MODEL = "/projects/{project}/models/{model}"
VERSION = MODEL + "/versions/{version}"


def actor_of(token: TokenInfo) -> str:
    """Who the registry tables record as the author (a user, else the token)."""
    return f"user:{token.user_id}" if token.user_id else f"token:{token.token_id}"


def artifact_store(state: ServerState) -> ArtifactStore:
    """The server's artifact store, opened on first use from the settings."""
    if state.artifacts is None:
        settings = state.settings
        if settings.artifact_store_url:
            options = (
                {"endpoint_url": settings.artifact_store_endpoint_url}
                if settings.artifact_store_endpoint_url
                else {}
            )
            state.artifacts = ArtifactStore(settings.artifact_store_url, storage_options=options)
        else:
            url = state.engine.url.render_as_string(hide_password=False)
            state.artifacts = ArtifactStore.for_database(url, home=settings.home)
    store: ArtifactStore = state.artifacts
    return store


def registry_error(exc: DriftlineError) -> ApiError:
    """The 4xx answer to a registry error."""
    if isinstance(exc, NotFoundError):
        return ApiError(404, str(exc))
    if isinstance(exc, DigestMismatchError):
        return ApiError(422, str(exc), code="digest_mismatch",
                        details={"expected": exc.expected, "actual": exc.actual})  # fmt: skip
    if isinstance(exc, SchemaMismatchError):
        details = {"columns": getattr(exc, "columns", None),
                   "problems": getattr(exc, "problems", None)}  # fmt: skip
        return ApiError(422, str(exc), code="signature_mismatch", details=details)
    if isinstance(exc, UnsupportedInputError):
        return ApiError(422, str(exc), code="unsupported_artifact")
    if isinstance(exc, SerializationError):
        return ApiError(422, str(exc), code="invalid_artifact")
    if isinstance(exc, DataError):
        return ApiError(422, str(exc), code="invalid_data")
    if isinstance(exc, ParameterError):
        return ApiError(422, str(exc), code="invalid_parameter")
    return ApiError(400, str(exc))
