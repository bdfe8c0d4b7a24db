"""OpenAPI descriptions of the bodies the serving app parses itself (with orjson)."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["INFER_BODY", "INVOCATIONS_BODY", "error_responses"]

_TENSOR: Final = {
    "type": "object",
    "required": ["name", "shape", "datatype", "data"],
    "properties": {
        "name": {"type": "string", "description": "A feature column, or the model's tensor."},
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "datatype": {"type": "string", "enum": ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64",
                     "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"]},
        "data": {"type": "array", "description": "Row-major values (flat or nested)."},
        "parameters": {"type": "object"},
    },
}  # fmt: skip

INFER_BODY: Final[dict[str, Any]] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["inputs"],
                "properties": {
                    "id": {"type": "string", "description": "Request id (X-Request-Id wins)."},
                    "inputs": {"type": "array", "items": _TENSOR, "minItems": 1},
                    "outputs": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string", "enum": ["predictions", "probabilities"]}
                            },
                        },
                    },
                    "parameters": {"type": "object"},
                },
            }
        }
    },
}

_ROWS: Final = {"type": "array", "items": {"type": "array"}}
INVOCATIONS_BODY: Final[dict[str, Any]] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "Exactly one of the keys.",
                "properties": {
                    "dataframe_split": {
                        "type": "object",
                        "required": ["columns", "data"],
                        "properties": {
                            "columns": {"type": "array", "items": {"type": "string"}},
                            "data": _ROWS,
                        },
                    },
                    "dataframe_records": {"type": "array", "items": {"type": "object"}},
                    "instances": {
                        "type": "array",
                        "description": "Records (objects) or rows (lists in signature order).",
                    },
                },
            }
        }
    },
}

_ERROR: Final = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "details": {},
                        },
                    }
                },
            }
        }
    }
}


def error_responses() -> dict[int | str, dict[str, Any]]:
    """The 4xx answers every prediction route may give."""
    reasons = {
        400: "Invalid JSON, body or request id",
        404: "No such model or version",
        408: "The body did not arrive in time",
        413: "Body or rows over the limit",
        415: "Not application/json",
        422: "Input does not match the model's signature (the field is named)",
        429: "Over the latency objective: retry after Retry-After seconds",
    }
    return {code: {"description": text, **_ERROR} for code, text in reasons.items()}
