"""Swagger UI 5 (it renders OpenAPI 3.1, which FastAPI writes) served from the installed ``fastapi-offline``
package: the docs work without internet access."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

# The package ships swagger-ui-bundle.js, swagger-ui.css and favicon.png of Swagger UI 5 (swagger-ui-dist).
SWAGGER_UI_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def add_docs(app: FastAPI, *, title: str) -> None:
    """``GET /docs`` (relative links, so it works under any prefix) and its assets under ``/docs/static``."""
    app.mount("/docs/static", StaticFiles(directory=str(SWAGGER_UI_ASSETS)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="openapi.json", title=title,
            swagger_js_url="docs/static/swagger-ui-bundle.js", swagger_css_url="docs/static/swagger-ui.css",
            swagger_favicon_url="docs/static/favicon.png",
        )
