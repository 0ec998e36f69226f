"""The emulator's own pages: ``GET /_emulator/ui``, a German dashboard of what the suite holds and what it "sent"
(health, clock, faults, mails, webhooks, outbox, Postfach messages with their Bekanntgabe, payments, invoices,
Bescheide, FIT-Connect submissions, tokens and sessions) with reset, clock and fault actions; and ``GET /_emulator``,
the index of every control endpoint (JSON, or HTML for a browser).

Both are controls themselves, guarded like the rest (loopback or control token). The page loads nothing from
elsewhere (inline CSS and script, allowed by a CSP nonce) and reads only the existing control endpoints, from the
browser on the same origin: it has no data path of its own.
"""

import asyncio
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from kit.peers import Peers

OPENAPI_TIMEOUT_SECONDS = 5.0
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_pages = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent),
                     autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)


class ControlEndpoint(BaseModel):
    method: str = Field(examples=["POST"])
    path: str = Field(examples=["/_emulator/reset"])
    summary: str | None = Field(None, description="The first line of the endpoint's description")


class EmulatorIndex(BaseModel):
    """Where the emulator's controls are: the gateway's own (for the whole suite) and each service's."""

    dashboard: str = Field(description="The dashboard page (HTML)")
    docs: str
    gateway: list[ControlEndpoint]
    services: dict[str, list[ControlEndpoint]] = Field(description="Each service's own controls, as the gateway "
                                                       "forwards them (``/_emulator/<service>/...``)")
    unavailable: dict[str, str] = Field(default_factory=dict,
                                        description="Services whose controls could not be listed now, and why")


def _first_line(text: str | None) -> str | None:
    line = (text or "").strip().split("\n", 1)[0].strip().replace("``", "")
    return line or None


def _page_headers(nonce: str) -> dict[str, str]:
    return {"Content-Security-Policy": f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                                       "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                                       "form-action 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html", 1)[0]


def add_dashboard_routes(controls: APIRouter, *, services: list[str], peers: Peers) -> None:
    """Add the index and the dashboard to the gateway's ``/_emulator`` router (which guards them)."""
    listed: dict[str, list[ControlEndpoint]] = {}  # a service's controls do not change while it runs

    async def service_controls(name: str) -> list[ControlEndpoint]:
        if name not in listed:
            answer = await asyncio.wait_for(peers.client(name).get("/openapi.json"), OPENAPI_TIMEOUT_SECONDS)
            answer.raise_for_status()
            listed[name] = [
                ControlEndpoint(method=method.upper(), path=f"/_emulator/{name}{path.removeprefix('/_emulator')}",
                                summary=_first_line(operation.get("description")) or operation.get("summary"))
                for path, item in answer.json().get("paths", {}).items() if path.startswith("/_emulator/")
                for method, operation in item.items() if method.upper() in _METHODS and isinstance(operation, dict)]
        return listed[name]

    @controls.get("", name="emulator_index", response_model=EmulatorIndex,
                  responses={200: {"content": {"text/html": {}}, "description": "JSON, or HTML for Accept: text/html"}})
    async def index(request: Request) -> Any:
        """Every control endpoint of the suite and of each service, and the dashboard's address."""
        base = str(request.base_url).rstrip("/")
        own = [ControlEndpoint(method=method, path=route.path, summary=_first_line(route.description) or route.name)
               for route in controls.routes if isinstance(route, APIRoute) and route.include_in_schema
               for method in sorted(route.methods & set(_METHODS), key=_METHODS.index)]
        answers = await asyncio.gather(*(service_controls(n) for n in services), return_exceptions=True)
        body = EmulatorIndex(dashboard=f"{base}/_emulator/ui", docs=f"{base}/docs", gateway=own, services={},
                             unavailable={})
        for name, answer in zip(services, answers, strict=True):
            if isinstance(answer, BaseException):
                body.unavailable[name] = f"{type(answer).__name__}: {answer}"[:300]
            else:
                body.services[name] = answer
        if not _wants_html(request):
            return body
        nonce = secrets.token_urlsafe(16)
        page = _pages.get_template("emulator_index.html").render(index=body, nonce=nonce)
        return HTMLResponse(page, headers=_page_headers(nonce))

    @controls.get("/ui", name="emulator_dashboard", response_class=HTMLResponse)
    async def dashboard() -> Response:
        """The dashboard: what every service holds and sent, refreshed every 2 s; reset, clock and fault actions."""
        nonce = secrets.token_urlsafe(16)
        page = _pages.get_template("dashboard.html").render(services=services, nonce=nonce)
        return HTMLResponse(page, headers=_page_headers(nonce))
