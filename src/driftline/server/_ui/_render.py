"""Jinja2 templates of the dashboard (autoescaped) and the filters that write numbers,
shares and dates as people write them."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from driftline.report import (
    format_count,
    format_date,
    format_number,
    format_percent,
    format_period,
)
from driftline.server._ui._access import SECURITY_HEADERS, sessions_of
from driftline.server._ui._cache import TimelineCache
from driftline.server._ui._session import COOKIE
from driftline.server._ui._summary import window_label

__all__ = ["NAV", "json_for_html", "render", "timelines_of"]

_HERE: Final = Path(__file__).parent
#: The navigation: (key, label, path under the project). Nothing is hidden.
NAV: Final = (
    ("overview", "Overview", ""),
    ("alerts", "Alerts", "/alerts"),
    ("gates", "Gate reports", "/gates"),
    ("model-cards", "Model cards", "/model-cards"),
    ("lineage", "Lineage", "/lineage"),
    ("audit", "Audit log", "/audit"),
    ("approvals", "Approvals", "/approvals"),
)


def _urlpart(value: Any) -> str:
    return quote(str(value), safe="")


@functools.cache
def environment() -> Environment:
    """The template environment (autoescape on for every template)."""
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=format_number,
        pct=format_percent,
        date=format_date,
        count=format_count,
        urlpart=_urlpart,
    )
    env.globals.update(period=format_period, nav=NAV, window_label=window_label)
    return env


def json_for_html(data: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (``<``, ``>``, ``&``, ``'``
    escaped as ``\\u`` sequences)."""
    import orjson

    return htmlsafe_json_dumps(data, dumps=lambda obj, **_: orjson.dumps(obj).decode())


def timelines_of(request: Request) -> TimelineCache:
    """The app's cache of built timelines."""
    cache: TimelineCache = request.app.state.ui_timelines
    return cache


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A page: the template with ``context``, the signed-in session's CSRF token and role."""
    session = sessions_of(request).get(request.cookies.get(COOKIE))
    values = {
        "csrf": session.csrf if session is not None else "",
        "signed_in": session is not None,
        "project": None,
        "role": None,
        "active": "",
        **context,
    }
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
