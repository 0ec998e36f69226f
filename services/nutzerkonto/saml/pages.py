"""The two pages the IdP shows the browser itself: the HTTP-POST binding's self-submitting form that carries a
SAMLResponse to the ACS (SAML 2.0 Bindings §3.5.4; it works without JavaScript through its button), and the
German error page for requests that cannot be answered at all.
"""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# The answer carries a fresh assertion; no cache anywhere may keep it, and no other site may frame it.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Frame-Options": "DENY"}


def post_form(request: Request, *, action: str, saml_response: str, relay_state: str | None,
              service: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "saml_post.html", headers=_NO_STORE, context={
        "action": action, "saml_response": saml_response, "relay_state": relay_state, "service": service})


def error_page(request: Request, reason: str, *, issuer: str | None = None, status_code: int = 400) -> HTMLResponse:
    return templates.TemplateResponse(request, "saml_error.html", status_code=status_code, headers=_NO_STORE,
                                      context={"reason": reason, "issuer": issuer})
