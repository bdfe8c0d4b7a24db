"""Effective configuration: defaults, then a YAML file, then ``DRIFTLINE_*`` variables.

The configuration file is ``./driftline.yaml`` when it exists, or the path in
``DRIFTLINE_CONFIG``. Every key can be overridden by an environment variable
named ``DRIFTLINE_<KEY>`` in upper case.

>>> settings = load_settings(environ={"DRIFTLINE_LOG_LEVEL": "debug"}, config_path=None)
>>> settings.values.log_level
'debug'
>>> settings.sources["log_level"]
'env DRIFTLINE_LOG_LEVEL'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from driftline.exceptions import ParameterError

__all__ = ["EffectiveSettings", "Settings", "load_settings"]

_DEFAULT_CONFIG_FILE = "driftline.yaml"


class Settings(BaseModel):
    """driftline's settings, with their defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = Field(
        default="sqlite:///./.driftline/driftline.db",
        description="SQLAlchemy URL of the store; postgresql+psycopg://... for teams.",
    )
    home: str = Field(default="./.driftline", description="Directory for local state.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info")
    allow_pickle: bool = Field(
        default=False, description="Allow loading pickled model artifacts (logged)."
    )
    # --- registry (driftline.registry) ---------------------------------------------------
    artifact_store_url: str | None = Field(
        default=None,
        description="Where model artifacts are stored: a folder or s3://bucket/prefix (unset: "
        "'artifacts' next to the SQLite file, else under home).",
    )
    artifact_store_endpoint_url: str | None = Field(
        default=None,
        description="Endpoint of an S3-compatible server (MinIO, Ceph...); credentials come "
        "from the usual AWS variables.",
    )
    max_artifact_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024,
        description="Largest model artifact accepted by an upload (413 above).",
    )
    # --- server (driftline.server) -------------------------------------------------------
    server_host: str = Field(default="127.0.0.1", description="Address `driftline server` binds.")
    server_port: int = Field(default=8000, ge=0, le=65535, description="Port of the server.")
    server_workers: int = Field(default=1, ge=1, description="uvicorn worker processes.")
    server_monitor: bool = Field(
        default=True, description="Run the monitor loop inside the server process."
    )
    max_body_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    max_rows_per_request: int = Field(
        default=1_000_000, ge=1, description="Most rows one ingestion request may carry (413)."
    )
    max_json_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="Largest JSON body accepted (413 above): parsing JSON costs up to about 24 "
        "times its size; send Arrow or Parquet for larger batches.",
    )
    max_decoded_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1024,
        description="Largest decoded (decompressed, dictionary-expanded) size of an Arrow or "
        "Parquet body, checked before it is materialized (413 above).",
    )
    max_string_bytes: int = Field(
        default=64 * 1024, ge=1, description="Longest string value in a request body (413)."
    )
    max_inflight_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1024,
        description="Admission budget: the memory that the request bodies in flight may cost "
        "(JSON 24x its size, Arrow/Parquet their decoded size, plus 1 KiB per row); "
        "beyond it requests wait up to 5 s, then get 503.",
    )
    max_windows_per_request: int = Field(
        default=1000, ge=1, description="Most windows one ingestion request may reach (422)."
    )
    min_window_seconds: int = Field(
        default=60, ge=1, description="Shortest time window a version may register (422)."
    )
    min_window_rows: int = Field(
        default=100, ge=1, description="Smallest row window a version may register (422)."
    )
    rate_limit_per_second: float = Field(
        default=50.0,
        ge=0,
        description="Requests per second per API token (0 = no limit); below what one "
        "process sustains (benchmarks/bench_token_rate.py), so one token cannot saturate it.",
    )
    rate_limit_burst: int = Field(
        default=100, ge=1, description="Requests a token may send at once before limiting."
    )
    auth_failure_rate_per_second: float = Field(
        default=1.0,
        ge=0,
        description="Failed token checks per second allowed per client address (0 = no "
        "limit); over it, unknown tokens get 429 before any database lookup.",
    )
    auth_failure_burst: int = Field(
        default=20, ge=1, description="Failed token checks a client address may make at once."
    )
    server_header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="`driftline server`: a request's line and headers must arrive within this "
        "time of its first byte (or of the connection); else the connection is closed.",
    )
    server_body_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="`driftline server`: a request's body must arrive within this time of its "
        "headers (time the server itself pauses reading does not count).",
    )
    token_cache_seconds: float = Field(
        default=5.0, ge=0, description="How long a verified API token is trusted in memory."
    )
    ingest_coalesce: bool = Field(
        default=True,
        description="Coalesce concurrent ingestion requests into one transaction.",
    )
    metrics_enabled: bool = Field(
        default=True, description="Serve Prometheus /metrics (only when metrics_token is set)."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Bearer token Prometheus sends to GET /metrics (unset: /metrics is off).",
    )


@dataclass(frozen=True)
class EffectiveSettings:
    """The settings in force, and where each value came from."""

    values: Settings
    sources: dict[str, str]
    config_path: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the values, their sources and the configuration file used."""
        return {
            "config_file": self.config_path,
            "settings": {
                key: {"value": value, "source": self.sources[key]}
                for key, value in self.values.model_dump(mode="json").items()
            },
        }


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterError(f"Cannot read the configuration file {str(path)!r}: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ParameterError(
            f"The configuration file {str(path)!r} must hold a mapping of settings; "
            f"got a {type(loaded).__name__}."
        )
    return loaded


def load_settings(
    *,
    environ: Mapping[str, str] | None = None,
    config_path: str | os.PathLike[str] | Literal["auto"] | None = "auto",
) -> EffectiveSettings:
    """Load the effective settings.

    ``config_path="auto"`` uses ``DRIFTLINE_CONFIG`` or ``./driftline.yaml`` when it
    exists; ``None`` reads no file. Unknown keys and bad values raise
    :class:`~driftline.exceptions.ParameterError` naming the key.
    """
    env = dict(os.environ if environ is None else environ)
    path: Path | None
    if config_path == "auto":
        candidate = env.get("DRIFTLINE_CONFIG", _DEFAULT_CONFIG_FILE)
        path = Path(candidate) if Path(candidate).is_file() else None
        if "DRIFTLINE_CONFIG" in env and path is None:
            raise ParameterError(
                f"DRIFTLINE_CONFIG points to {candidate!r}, which is not a file. "
                "Fix the path or unset the variable."
            )
    else:
        path = None if config_path is None else Path(config_path)
    raw: dict[str, Any] = {}
    sources = dict.fromkeys(Settings.model_fields, "default")
    if path is not None:
        for key, value in _read_yaml(path).items():
            raw[key] = value
            sources[key] = f"file {path}"
    for key in Settings.model_fields:
        name = f"DRIFTLINE_{key.upper()}"
        if name in env:
            raw[key] = env[name]
            sources[key] = f"env {name}"
    try:
        values = Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ParameterError(
            f"Invalid configuration ({problems}). Allowed keys: {', '.join(Settings.model_fields)}."
        ) from exc
    return EffectiveSettings(
        values=values, sources=sources, config_path=str(path) if path else None
    )
