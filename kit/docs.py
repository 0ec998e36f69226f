"""API docs that work without internet access: Swagger UI 5 (it renders OpenAPI 3.1, which FastAPI writes) from
the installed ``fastapi-offline`` package, and a service's OpenAPI document with the paths it answers at."""

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles

# The package ships swagger-ui-bundle.js, swagger-ui.css and favicon.png of Swagger UI 5 (swagger-ui-dist).
SWAGGER_UI_ASSETS = Path(fastapi_offline.__file__).parent / "static"
CONTROLS = "/_emulator"


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


def behind_gateway(doc: dict[str, Any], *, prefix: str, service: str) -> dict[str, Any]:
    """``doc`` as read through the gateway, which serves the service under ``prefix`` (``/postfach``) but its
    controls at ``/_emulator/postfach/...`` only (there it checks who calls): those get a server of their own."""
    outer = prefix.removesuffix(f"/{service}") or "/"
    paths = {}
    for path, item in doc.get("paths", {}).items():
        if path == CONTROLS or path.startswith(CONTROLS + "/"):
            paths[f"{CONTROLS}/{service}{path.removeprefix(CONTROLS)}"] = {**item, "servers": [{"url": outer}]}
        else:
            paths[path] = item
    return {**doc, "servers": [{"url": prefix}], "paths": paths}


def add_service_openapi(app: FastAPI, *, service: str) -> None:
    """``GET /openapi.json`` of a service: as generated when called directly; behind the gateway (``root_path``
    in process, ``X-Forwarded-Prefix`` from a gateway in front of a container) with the paths the gateway serves."""

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        prefix = (request.scope.get("root_path") or request.headers.get("x-forwarded-prefix", "")).rstrip("/")
        doc = app.openapi()
        return JSONResponse(behind_gateway(doc, prefix=prefix, service=service) if prefix else doc)
