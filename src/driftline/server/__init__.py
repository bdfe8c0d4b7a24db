"""The FastAPI application: one router per resource, auth, limits, ``/metrics``, dashboard."""

__all__: list[str] = []
