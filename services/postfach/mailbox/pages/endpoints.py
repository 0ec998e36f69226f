"""HTTP of the German inbox page (Postkorb): login through the Nutzerkonto, message list, one message (its first
opening is the retrieval), attachment download, reply, logout. Strict CSP, nothing loaded from elsewhere, never
cached; state-changing forms carry the session's CSRF token."""

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kit.db import SessionDep
from kit.problems import Problem
from services.postfach.mailbox import bekanntgabe, reading, repository
from services.postfach.mailbox.models import InboxSession
from services.postfach.mailbox.pages import login
from services.postfach.mailbox.pages.view import STATUS_LABELS, bekanntgabe_text, date_de, datetime_de, size_de
from services.postfach.mailbox.schemas import ReplyIn
from services.postfach.mailbox.state import MailboxDep, MailboxState

router = APIRouter(prefix="/postkorb", tags=["Postkorb (Seiten)"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters.update(date_de=date_de, datetime_de=datetime_de, size_de=size_de)
SessionCookie = Annotated[str | None, Cookie(alias=login.COOKIE)]


def _headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
                                   "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
        "Content-Language": "de",
    }


def _render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(request, template, {**context, "csp_nonce": nonce, "base": _base(request)},
                                          status_code=status_code)
    response.headers.update(_headers(nonce))
    return response


def _base(request: Request) -> str:
    """The page's own path prefix as the browser sees it (``/postfach/postkorb`` behind the gateway)."""
    return request.scope.get("root_path", "").rstrip("/") + "/postkorb"


def _reader(state: MailboxState, row: InboxSession) -> reading.Reader:
    return reading.Reader(client_id=state.settings.inbox_client_id, handle=row.postkorb_handle, level=row.level)


def _to_login(request: Request, *, level: int = 1, back: str | None = None) -> RedirectResponse:
    target = f"{_base(request)}/anmelden?stufe={level}"
    if back:
        target += f"&weiter={back}"
    return RedirectResponse(target, status_code=303)


def _safe_return(request: Request, value: str | None) -> str:
    base = _base(request)
    return value if (value and value.startswith(base + "/")) or value == base else base


@router.get("/anmelden", name="postkorb_login")
async def start_login(request: Request, session: SessionDep, state: MailboxDep,
                      stufe: int = Query(1, ge=1, le=4), weiter: str | None = None) -> Response:
    url = await login.start(session, state, level=stufe, return_to=_safe_return(request, weiter))
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/rueckkehr", name="postkorb_callback")
async def finish_login(request: Request, session: SessionDep, state: MailboxDep, code: str | None = None,
                       login_state: Annotated[str | None, Query(alias="state")] = None,
                       error: str | None = None) -> Response:
    if error or not code or not login_state:
        return _render(request, "fehler.html", {"heading": "Anmeldung nicht abgeschlossen",
                                                "text": "Die Anmeldung wurde abgebrochen oder ist fehlgeschlagen."},
                       400)
    try:
        session_id, back = await login.finish(session, state, code=code, login_state=login_state)
    except Problem as problem:
        return _render(request, "fehler.html", {"heading": "Anmeldung nicht abgeschlossen",
                                                "text": problem.detail or ""}, 400)
    response = RedirectResponse(back, status_code=303)
    secure = state.settings.external_url.startswith("https://") or request.url.hostname in ("127.0.0.1", "localhost")
    response.set_cookie(login.COOKIE, session_id, max_age=state.settings.inbox_session_minutes * 60,
                        path=login.cookie_path(state), secure=secure, httponly=True, samesite="lax")
    return response


@router.get("", name="postkorb_inbox")
async def inbox(request: Request, session: SessionDep, state: MailboxDep, sid: SessionCookie = None) -> Response:
    row = await login.current(session, state, sid)
    if row is None:
        return _render(request, "start.html", {})
    reader = _reader(state, row)
    mailbox = await repository.get_mailbox(session, row.postkorb_handle)
    messages = await repository.list_messages(session, row.postkorb_handle, limit=100, offset=0)
    items = []
    for message in messages:
        result = await reading.settle(session, state, message)
        fields = await reading.open_envelope(session, state, message)
        items.append({"message": message, "fields": fields, "locked": reading.locked(reader, message),
                      "bekanntgabe": result, "bekanntgabe_text": bekanntgabe_text(result)})
    return _render(request, "liste.html", {"row": row, "mailbox": mailbox, "items": items})


async def _message_page(request: Request, session: SessionDep, state: MailboxState, row: InboxSession,
                        message_id: str, notice: str | None = None) -> Response:
    reader = _reader(state, row)
    try:
        message = await reading.message_for(session, reader, row.postkorb_handle, message_id, for_update=True)
    except Problem:
        return _render(request, "fehler.html", {"heading": "Nachricht nicht gefunden",
                                                "text": "In Ihrem Postfach gibt es diese Nachricht nicht."}, 404)
    if reading.locked(reader, message):
        fields = await reading.open_envelope(session, state, message)
        return _render(request, "gesperrt.html", {"message": message, "title": fields.get("title"), "row": row},
                       403)
    if bekanntgabe.provision_ended(message, state.runtime.clock.now(),
                                   window_days=state.settings.bekanntgabe_retrieval_window_days):
        await reading.settle(session, state, message)
        return _render(request, "fehler.html", {"heading": "Bereitstellung beendet", "text": (
            "Sie haben diese Nachricht nicht innerhalb von zehn Tagen nach der Benachrichtigung abgerufen. Ihre "
            "Bereitstellung ist beendet; sie gilt nicht als bekannt gegeben (§ 41 Abs. 2a VwVfG).")}, 410)
    fields = await reading.open_envelope(session, state, message)
    await reading.retrieve(session, state, message, fields)
    result = await reading.settle(session, state, message)
    attachments = (await repository.attachments_of(session, [message.id]))[message.id]
    statuses = await repository.status_updates(session, message.application_id) if message.application_id else []
    return _render(request, "nachricht.html", {"message": message, "fields": fields, "attachments": attachments,
                                               "statuses": statuses, "status_labels": STATUS_LABELS,
                                               "bekanntgabe_text": bekanntgabe_text(result), "row": row,
                                               "notice": notice})


@router.get("/nachrichten/{message_id}", name="postkorb_message")
async def show_message(message_id: str, request: Request, session: SessionDep, state: MailboxDep,
                       sid: SessionCookie = None) -> Response:
    row = await login.current(session, state, sid)
    if row is None:
        return _to_login(request, back=f"{_base(request)}/nachrichten/{message_id}")
    return await _message_page(request, session, state, row, message_id)


@router.get("/nachrichten/{message_id}/anhaenge/{attachment_id}", name="postkorb_attachment")
async def download(message_id: str, attachment_id: str, request: Request, session: SessionDep, state: MailboxDep,
                   sid: SessionCookie = None) -> Response:
    row = await login.current(session, state, sid)
    if row is None:
        return _to_login(request, back=f"{_base(request)}/nachrichten/{message_id}")
    reader = _reader(state, row)
    try:
        message = await reading.message_for(session, reader, row.postkorb_handle, message_id, for_update=True)
        attachment = await repository.get_attachment(session, attachment_id)
        if attachment is None or attachment.message_id != message.id:
            raise reading.message_not_found(message_id)
        await reading.check_readable(session, state, reader, message)
    except Problem as problem:
        return _render(request, "fehler.html", {"heading": "Anhang nicht verfügbar",
                                                "text": "Diesen Anhang können Sie nicht herunterladen."},
                       problem.status)
    fields = await reading.open_envelope(session, state, message)
    await reading.retrieve(session, state, message, fields)
    await reading.settle(session, state, message)
    data = await reading.open_attachment(session, state, attachment)
    return Response(data, media_type=attachment.media_type, headers=reading.download_headers(attachment))


def _check_csrf(row: InboxSession, token: str) -> None:
    if not hmac.compare_digest(row.csrf_token.encode(), token.encode()):
        raise Problem(403, "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.", type_="csrf")


@router.post("/nachrichten/{message_id}/antwort", name="postkorb_reply")
async def send_reply(message_id: str, request: Request, session: SessionDep, state: MailboxDep,
                     inhalt: Annotated[str, Form(max_length=100_000)] = "", csrf: Annotated[str, Form()] = "",
                     sid: SessionCookie = None) -> Response:
    row = await login.current(session, state, sid)
    if row is None:
        return _to_login(request, back=f"{_base(request)}/nachrichten/{message_id}")
    _check_csrf(row, csrf)
    reader = _reader(state, row)
    if not inhalt.strip():
        return await _message_page(request, session, state, row, message_id, notice="Bitte schreiben Sie eine Antwort.")
    message = await reading.message_for(session, reader, row.postkorb_handle, message_id, for_update=True)
    await reading.check_readable(session, state, reader, message)
    fields = await reading.open_envelope(session, state, message)
    mailbox = await repository.get_mailbox(session, message.mailbox_uuid)
    await reading.reply(session, state, reader, message, fields, ReplyIn(content=inhalt), mailbox)
    return await _message_page(request, session, state, row, message_id, notice="Ihre Antwort wurde gesendet.")


@router.post("/abmelden", name="postkorb_logout")
async def logout(request: Request, session: SessionDep, state: MailboxDep, csrf: Annotated[str, Form()] = "",
                 sid: SessionCookie = None) -> Response:
    row = await login.current(session, state, sid)
    if row is not None:
        _check_csrf(row, csrf)
        await login.end(session, row)
    response = RedirectResponse(_base(request), status_code=303)
    response.delete_cookie(login.COOKIE, path=login.cookie_path(state))
    return response
