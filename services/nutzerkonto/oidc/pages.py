"""The few pages the OIDC endpoints show a person instead of redirecting: a request that cannot be sent back to
the client (unknown client, unregistered redirect URI) and the logout confirmation. German, in the login pages'
look; a caller that asks for JSON only gets an RFC 9457 problem instead."""

import secrets
from pathlib import Path

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from kit.problems import Problem, problem_response

_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=[_HERE / "templates", _HERE.parent / "login" / "templates"])


def _render(request: Request, *, heading: str, message: str, advice: str, status: int) -> Response:
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(request, "oidc_message.html", status_code=status, context={
        "heading": heading, "message": message, "advice": advice, "status": status, "csp_nonce": nonce})
    response.headers.update({
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; "
                                   "frame-ancestors 'none'",
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
        "Content-Language": "de",
    })
    return response


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and ("json" in accept or "*/*" in accept or not accept)


def bad_request_page(request: Request, detail: str) -> Response:
    """400 for a request that must not be redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.1)."""
    if _wants_json(request):
        return problem_response(Problem(400, detail, type_="invalid-authorization-request",
                                        title="Invalid authorization request"), request.url.path)
    return _render(request, heading="Anmeldung nicht möglich", message=detail, status=400,
                   advice="Bitte wenden Sie sich an den Online-Dienst, der Sie hierher geschickt hat.")


def logged_out_page(request: Request, *, ended: bool) -> Response:
    if ended:
        message = "Sie sind abgemeldet. Ihre Anmeldung beim Online-Dienst ist beendet."
    else:
        message = "Es gab keine Anmeldung zu beenden."
    return _render(request, heading="Abgemeldet", message=message, status=200,
                   advice="Sie können dieses Fenster schließen.")
