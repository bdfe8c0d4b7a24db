"""The API documentation page (Swagger UI), served from the package: ``/docs`` works offline.

FastAPI's default ``/docs`` loads Swagger UI from a CDN and is blank on an air-gapped
machine. The Swagger UI files (npm ``swagger-ui-dist``, Apache-2.0, licence and notice in
``static/swagger-ui/``) ship inside the package; ``scripts/vendor-swagger-ui`` refreshes
them. The page makes no request outside the server (the online spec validator is off).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse
from starlette.requests import Request
from starlette.responses import Response

from driftline.server._errors import ApiError

__all__ = ["ASSETS", "install_docs"]

#: The Swagger UI files served under ``/docs/assets/``, with their media types.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_FOLDER = Path(__file__).with_name("static") / "swagger-ui"
_CACHE = "public, max-age=86400"


def install_docs(app: FastAPI, *, docs_url: str = "/docs") -> None:
    """Add ``docs_url`` (Swagger UI on the app's OpenAPI document), its OAuth2 redirect
    page and ``{docs_url}/assets/{name}``; create the app with ``docs_url=None``.

    >>> from fastapi import FastAPI
    >>> app = FastAPI(docs_url=None, redoc_url=None)
    >>> install_docs(app)
    >>> sorted(r.path for r in app.routes if r.path.startswith("/docs"))
    ['/docs', '/docs/assets/{name}', '/docs/oauth2-redirect']
    """
    assets = f"{docs_url}/assets"
    redirect = f"{docs_url}/oauth2-redirect"

    async def swagger_ui(_: Request) -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            oauth2_redirect_url=redirect,
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    async def swagger_ui_redirect(_: Request) -> Response:
        return get_swagger_ui_oauth2_redirect_html()

    async def swagger_asset(request: Request) -> Response:
        name = str(request.path_params["name"])
        media_type = ASSETS.get(name)
        if media_type is None:
            raise ApiError(404, f"No documentation asset {name!r}.", code="not_found")
        return FileResponse(
            _FOLDER / name, media_type=media_type, headers={"Cache-Control": _CACHE}
        )

    # Plain routes, like FastAPI's own docs: not API operations, not in the OpenAPI document.
    app.add_route(docs_url, swagger_ui, include_in_schema=False)
    app.add_route(redirect, swagger_ui_redirect, include_in_schema=False)
    app.add_route(f"{assets}/{{name}}", swagger_asset, include_in_schema=False)
