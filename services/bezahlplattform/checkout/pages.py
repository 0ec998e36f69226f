"""Rendering of the checkout's German pages: Jinja2, inline styles allowed by a per-response CSP nonce, nothing
loaded from elsewhere, never cached or framed."""

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.bezahlplattform.money import german

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["euro"] = german


def headers(nonce: str) -> dict[str, str]:
    # form-action is not restricted: the pages post to themselves, and the answers redirect to the online service.
    return {
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
                                   "base-uri 'none'; frame-ancestors 'none'",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Language": "de",
    }


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(request, template, {**context, "csp_nonce": nonce},
                                          status_code=status_code)
    response.headers.update(headers(nonce))
    return response
