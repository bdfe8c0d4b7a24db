"""The dashboard under ``/ui``: server-rendered pages (Jinja2, autoescaped) with SVG charts,
a small vendored script for the timeline's zoom and pan, sessions from API tokens.

:func:`install_ui` adds its routes to the app; they use the API's authorization.
"""

from __future__ import annotations

from fastapi import FastAPI

from driftline.server._ui._access import UiError, ui_error_handler
from driftline.server._ui._cache import TimelineCache
from driftline.server._ui._render import render
from driftline.server._ui._session import SessionStore

__all__ = ["install_ui"]


def install_ui(app: FastAPI) -> None:
    """Add the dashboard's routes, its sessions and its HTML error pages to ``app``."""
    from driftline.server._ui import _routes_pages, _routes_session

    app.state.ui_sessions = SessionStore()
    app.state.ui_timelines = TimelineCache()
    for module in (_routes_session, _routes_pages):
        app.router.routes.extend(module.router.routes)
    app.add_exception_handler(UiError, ui_error_handler(render))
