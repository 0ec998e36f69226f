"""The German web upload page of the intake: log in with Mein Unternehmenskonto, upload an invoice (XML or hybrid
PDF) and read the verdict at once, see one's invoices with status and each one's Laufzettel. Jinja2, no external
assets, a strict CSP, CSRF token on every form."""

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kit.db import SessionDep
from kit.problems import Problem
from services.rechnungseingang.intake import service
from services.rechnungseingang.intake.endpoints import html_headers
from services.rechnungseingang.invoices import rendering
from services.rechnungseingang.invoices import repository as invoices
from services.rechnungseingang.portal import login
from services.rechnungseingang.routing import forward
from services.rechnungseingang.state import StateDep

router = APIRouter(prefix="/portal", tags=["portal"], include_in_schema=False)


def _render(template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = rendering.environment.get_template(template).render(**context, csp_nonce=nonce)
    return HTMLResponse(html, status_code=status_code, headers=html_headers(nonce))


def _base(state: Any) -> str:
    return urlsplit(state.settings.external_url).path.rstrip("/") + "/portal"


@router.get("", name="portal_home")
async def home(request: Request, session: SessionDep, state: StateDep) -> HTMLResponse:
    current = await login.current(state, session, request.cookies.get(login.COOKIE))
    if current is None:
        return _render("portal_login.html", {"base": _base(state)})
    supplier, row = current
    rows = await invoices.list_of_supplier(session, supplier.sub, limit=50)
    for invoice in rows:
        await forward.refresh_retrieval(state, session, invoice)
    return _render("portal_home.html", {"base": _base(state), "supplier": supplier, "csrf": row.csrf_token,
                                        "invoices": rows, "max_mb": state.settings.max_invoice_bytes // 2**20})


@router.get("/login", name="portal_login")
async def start_login(session: SessionDep, state: StateDep) -> RedirectResponse:
    return RedirectResponse(await login.start(state, session), status_code=303)


@router.get("/callback", name="portal_callback")
async def callback(request: Request, session: SessionDep, state: StateDep, code: str | None = None,
                   error: str | None = None) -> Response:
    login_state = request.query_params.get("state", "")
    if error or not code:
        return _render("portal_message.html", {"base": _base(state), "title": "Anmeldung abgebrochen",
                                               "text": "Sie haben die Anmeldung abgebrochen oder sie ist "
                                                       "fehlgeschlagen."}, 400)
    try:
        cookie = await login.finish(state, session, code, login_state)
    except Problem as problem:
        return _render("portal_message.html", {"base": _base(state), "title": "Anmeldung nicht möglich",
                                               "text": problem.detail or problem.title}, problem.status)
    response = RedirectResponse(_base(state), status_code=303)
    response.set_cookie(login.COOKIE, cookie, httponly=True, samesite="lax", path=_base(state),
                        secure=state.settings.external_url.startswith("https://"),
                        max_age=state.settings.portal_session_minutes * 60)
    return response


@router.post("/logout", name="portal_logout")
async def logout(request: Request, session: SessionDep, state: StateDep) -> RedirectResponse:
    await login.end(session, request.cookies.get(login.COOKIE))
    response = RedirectResponse(_base(state), status_code=303)
    response.delete_cookie(login.COOKIE, path=_base(state))
    return response


@router.post("/upload", name="portal_upload")
async def upload(request: Request, session: SessionDep, state: StateDep) -> HTMLResponse:
    current = await login.current(state, session, request.cookies.get(login.COOKIE))
    if current is None:
        return _render("portal_message.html", {"base": _base(state), "title": "Nicht angemeldet",
                                               "text": "Bitte melden Sie sich zuerst an."}, 401)
    supplier, row = current
    form = await request.form(max_files=1, max_fields=5)
    token = form.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, row.csrf_token):
        return _render("portal_message.html", {"base": _base(state), "title": "Sitzung abgelaufen",
                                               "text": "Das Formular ist nicht mehr gültig. Bitte laden Sie die "
                                                       "Seite neu."}, 403)
    upload_file = form.get("file")
    if upload_file is None or isinstance(upload_file, str) or not upload_file.filename:
        return _render("portal_message.html", {"base": _base(state), "title": "Keine Datei",
                                               "text": "Bitte wählen Sie eine Rechnungsdatei (XML oder PDF) aus."},
                       422)
    data = await upload_file.read()
    try:
        invoice = await service.receive(state, session, service.Submission(
            data=data, channel="web", filename=upload_file.filename, supplier_sub=supplier.sub,
            supplier_name=supplier.name))
    except Problem as problem:
        return _render("portal_message.html", {"base": _base(state), "title": "Datei nicht verarbeitet",
                                               "text": problem.detail or problem.title}, problem.status)
    await session.flush()
    events = await invoices.events(session, invoice.id)
    return _render("portal_result.html", {"base": _base(state), **rendering.invoice_context(invoice, events)},
                   201 if invoice.status != invoices.REJECTED else 422)


@router.get("/invoices/{invoice_id}", name="portal_invoice")
async def invoice_page(invoice_id: str, request: Request, session: SessionDep, state: StateDep) -> HTMLResponse:
    current = await login.current(state, session, request.cookies.get(login.COOKIE))
    if current is None:
        return _render("portal_login.html", {"base": _base(state)}, 401)
    invoice = await invoices.of_supplier(session, current[0].sub, invoice_id)
    if invoice is None:
        return _render("portal_message.html", {"base": _base(state), "title": "Nicht gefunden",
                                               "text": "Diese Rechnung gibt es in Ihrem Konto nicht."}, 404)
    await forward.refresh_retrieval(state, session, invoice)
    events = await invoices.events(session, invoice.id)
    return _render("portal_result.html", {"base": _base(state), **rendering.invoice_context(invoice, events)})
