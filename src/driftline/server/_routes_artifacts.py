"""The registry's artifacts: upload a version's ONNX or skops file (checked for size,
digest, format and signature before it is published and registered, its audit event in the
same transaction), download it with its sha256."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from driftline.exceptions import (
    DataError,
    DriftlineError,
    NotFoundError,
    ParameterError,
)
from driftline.registry import (
    ArtifactUpload,
    artifact_event,
    check_artifact,
    check_digest,
    retrying,
)
from driftline.server._audit import record
from driftline.server._auth import ProjectContext, project_access, resolve_version
from driftline.server._errors import ApiError
from driftline.server._registry_common import (
    VERSION,
    artifact_store,
    registry_error,
)
from driftline.server._state import state_of
from driftline.store import (
    FLAVORS,
    ModelVersion,
    RegistryRepository,
    VersionSchema,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["registry"])
_FLUSH: Final = 1 << 20  # bytes of an upload buffered before a write to the spool file
_SIGNATURE_HEADER: Final = "X-Driftline-Signature"


class ArtifactOut(BaseModel):
    """A version's artifact (``digest`` null: none uploaded yet)."""

    model: str
    version: str
    digest: str | None
    flavor: str | None
    size: int | None
    signature: dict[str, Any] | None
    created: bool = False


def _artifact_out(model: str, row: ModelVersion, created: bool = False) -> ArtifactOut:
    return ArtifactOut(model=model, version=row.version, digest=row.artifact_digest,
                       flavor=row.artifact_flavor, size=row.artifact_size,
                       signature=row.signature, created=created)  # fmt: skip


@router.put(
    VERSION + "/artifact",
    response_model=ArtifactOut,
    summary="Upload the version's model artifact (ONNX, skops; pickle only if allowed)",
    responses={
        409: {"description": "The version has another artifact (artifacts are immutable)"},
        413: {"description": "Larger than max_artifact_bytes"},
        422: {
            "description": "Digest mismatch, bad flavor, unreadable artifact, or a "
            "signature that does not match the version's schema"
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_artifact(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("editor")],
    flavor: Annotated[
        str | None, Query(max_length=16, description=f"One of {list(FLAVORS)}.")
    ] = None,
    sha256: Annotated[
        str | None, Query(max_length=71, description="The sha256 the content must hash to.")
    ] = None,
    signature: Annotated[
        str | None,
        Header(alias=_SIGNATURE_HEADER, description="The signature as JSON (inputs, outputs)."),
    ] = None,
) -> ArtifactOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    if flavor is None or flavor not in FLAVORS:
        raise ApiError(
            422,
            f"Unknown artifact flavor {flavor!r}: pass ?flavor= one of {list(FLAVORS)}.",
            code="unsupported_artifact",
        )
    if flavor == "pickle" and not state.settings.allow_pickle:
        raise ApiError(
            422,
            "This server does not accept pickle artifacts (loading one runs arbitrary code); "
            "upload ONNX or skops, or have the operator opt in with allow_pickle.",
            code="pickle_not_allowed",
        )
    if sha256 is None:
        raise ApiError(
            422,
            "Pass ?sha256= the artifact's sha256 hex digest, so that a corrupted upload is "
            "detected.",
            code="digest_required",
        )
    try:
        expected = check_digest(sha256, "sha256")
        declared = None if signature is None else json.loads(signature)
        if declared is not None and not isinstance(declared, dict):
            raise ParameterError(f"The {_SIGNATURE_HEADER} header must hold a JSON object.")
    except (ParameterError, ValueError) as exc:
        raise ApiError(422, str(exc), code="invalid_parameter") from None
    with state.sessions() as session:
        row = session.get(ModelVersion, vctx.version_id)
        assert row is not None
        schema = VersionSchema.from_dict(row.schema)
        if row.artifact_digest is not None and row.artifact_digest != expected:
            raise ApiError(
                409,
                f"Version {version!r} of model {model!r} already has the artifact sha256 "
                f"{row.artifact_digest}; artifacts are immutable: register a new version.",
            )
    store = artifact_store(state)
    upload = await run_in_threadpool(
        store.begin, expected_sha256=expected, max_bytes=state.settings.max_artifact_bytes
    )
    with upload:
        await _receive(request, upload)
        try:
            await run_in_threadpool(upload.finish)
            checked = await run_in_threadpool(
                lambda: check_artifact(
                    upload.path,
                    flavor,
                    schema,
                    declared=declared,
                    allow_pickle=state.settings.allow_pickle,
                )
            )
            info = await run_in_threadpool(upload.commit)
        except DriftlineError as exc:
            raise registry_error(exc) from None
    sig = None if checked is None else checked.to_dict()

    def register(session: Session) -> tuple[ModelVersion, bool]:
        created = RegistryRepository(session).set_artifact(
            vctx.version_id, digest=info.digest, flavor=flavor, size=info.size, signature=sig
        )
        found = session.get(ModelVersion, vctx.version_id)
        assert found is not None
        if created:
            record(state, session, ctx, *artifact_event(
                model, found.version, found.id, digest=info.digest, flavor=flavor,
                size=info.size, signature=sig))  # fmt: skip
        return found, created

    try:
        registered, created = await run_in_threadpool(retrying, state.writes, register)
    except ParameterError as exc:  # a concurrent upload registered another artifact first
        raise ApiError(409, str(exc)) from None
    return _artifact_out(model, registered, created)


async def _receive(request: Request, upload: ArtifactUpload) -> None:
    """Stream the request body into ``upload`` (1 MiB at a time; 413 past the limit)."""
    buffer = bytearray()
    try:
        async for chunk in request.stream():
            buffer += chunk
            if len(buffer) >= _FLUSH:
                data, buffer = bytes(buffer), bytearray()
                await run_in_threadpool(upload.write, data)
        if buffer:
            await run_in_threadpool(upload.write, bytes(buffer))
    except DataError as exc:
        raise ApiError(413, str(exc), code="payload_too_large",
                       details={"limit_bytes": upload.max_bytes}) from None  # fmt: skip


@router.get(
    VERSION + "/artifact",
    response_model=ArtifactOut,
    summary="The version's artifact: its description, or (download=true) its bytes",
    responses={
        200: {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "description": "JSON description; the bytes with download=true (header "
            "X-Driftline-Sha256: verify it after the download)",
        },
        404: {"description": "download=true on a version without an artifact"},
    },
)
async def get_artifact(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    download: Annotated[bool, Query(description="Send the artifact's bytes.")] = False,
) -> Any:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    with state.sessions() as session:
        row = session.get(ModelVersion, vctx.version_id)
        assert row is not None
    if not download:
        return _artifact_out(model, row)
    digest = row.artifact_digest
    if digest is None:
        raise ApiError(
            404,
            f"Version {version!r} of model {model!r} has no artifact; upload one with "
            f"PUT .../versions/{version}/artifact.",
            code="no_artifact",
        )
    store = artifact_store(state)
    try:
        chunks: Iterator[bytes] = await run_in_threadpool(store.iter_chunks, digest)
    except NotFoundError:
        raise ApiError(
            404,
            f"The artifact sha256 {digest} of version {version!r} is missing from the "
            f"artifact store {store.url!r}.",
            code="artifact_missing",
        ) from None
    suffix = {"onnx": ".onnx", "skops": ".skops", "pickle": ".pkl"}.get(
        row.artifact_flavor or "", ""
    )
    filename = re.sub(r"[^A-Za-z0-9._~-]", "_", f"{model}-{version}")[:200] + suffix
    headers = {
        "X-Driftline-Sha256": digest,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    if row.artifact_size is not None:
        headers["Content-Length"] = str(row.artifact_size)
    # A stored artifact that no longer hashes to its digest breaks the stream at the end
    # (the client verifies X-Driftline-Sha256 and discards it).
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)
