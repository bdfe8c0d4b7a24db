"""The OpenAPI document, made to tell the truth about errors.

FastAPI documents 422 with its own ``HTTPValidationError`` shape; driftline answers every
error as ``{"error": {"code", "message", "details"}}``. This replaces that schema, adds the
bearer-token errors (401/403/404/429) and the other 4xx of every operation, and documents
``Retry-After`` on 429.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict

__all__ = ["ErrorBody", "install_openapi"]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every error response (other keys may accompany it, e.g. a refused ingestion)."""

    model_config = ConfigDict(extra="allow")
    error: ErrorDetail


_REF = {"$ref": "#/components/schemas/ErrorBody"}
_JSON = {"application/json": {"schema": _REF}}
_STANDARD = {
    "400": "Unreadable request (body, parameters)",
    "401": "Missing, invalid, expired or revoked token",
    "403": "The token's role is too low",
    "404": "No such object, or not visible to this token",
    "413": "Body or rows over the limit",
    "415": "Unsupported content type",
    "422": "Invalid request or data",
    "429": "Rate limited; retry after the Retry-After seconds",
    "503": "Busy (admission budget, ingestion queue or database); retry after Retry-After",
}


def install_openapi(app: FastAPI) -> None:
    """Generate (once) a document whose error responses match what the server sends."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(error_schema.pop("$defs", {}))
        schemas["ErrorBody"] = error_schema
        for path, item in doc.get("paths", {}).items():
            for operation in item.values():
                responses: dict[str, Any] = operation.setdefault("responses", {})
                secured = path != "/api/v1/health"
                for status, description in _STANDARD.items():
                    if not secured and status in ("401", "403", "404", "429"):
                        continue
                    entry = responses.setdefault(status, {"description": description})
                    entry["content"] = _JSON
                    if status == "422" and path.endswith("/predictions"):
                        entry["description"] = (
                            "Schema mismatch; or all_or_nothing and a row is invalid: then the "
                            "body also carries the IngestOut fields (stored=false, rejected)"
                        )
                    if status in ("429", "503"):
                        entry["headers"] = {
                            "Retry-After": {
                                "description": "Seconds to wait",
                                "schema": {"type": "integer"},
                            }
                        }
                responses.setdefault(
                    "500",
                    {"description": "Internal error (with a correlation id)", "content": _JSON},
                )
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
