"""Swagger UI served from the installed ``swagger-ui-bundle`` package: the docs work without internet access."""

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path


def add_docs(app: FastAPI, *, title: str) -> None:
    """``GET /docs`` (relative links, so it works under any prefix) and its assets under ``/docs/static``."""
    app.mount("/docs/static", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="openapi.json", title=title,
            swagger_js_url="docs/static/swagger-ui-bundle.js", swagger_css_url="docs/static/swagger-ui.css",
            swagger_favicon_url="docs/static/favicon-32x32.png",
        )
