"""Run the monitoring API under uvicorn with driftline's connection defences."""

from __future__ import annotations

__all__ = ["run"]


def run(*, host: str, port: int, workers: int = 1, log_level: str = "info") -> None:
    """Serve :func:`create_app` on ``host:port`` until interrupted.

    Slow clients are cut off (header and body read timeouts from the settings, see
    docs/server.md), rate limits count TCP peers (``X-Forwarded-For`` is ignored), idle
    keep-alive connections close after 5 s. The app factory reads its settings from the
    environment, so every worker process configures itself the same way.
    """
    import uvicorn

    from driftline.server._timeouts import protocol_class

    uvicorn.run(
        "driftline.server:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=protocol_class(),  # httptools (or h11) with header and body read timeouts
        log_level=log_level,
        proxy_headers=False,  # rate limits are per TCP peer: no X-Forwarded-For spoofing
        timeout_keep_alive=5,
        timeout_graceful_shutdown=15,
    )
