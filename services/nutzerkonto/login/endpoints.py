"""The login page: the citizen sees which service asks and for which level, chooses a test identity (or types one
in) and a login method, and either logs in or cancels. ``POST /login/{id}`` is the one contract every protocol's
tests use: form fields ``identity``, ``method`` and ``action`` (``login`` | ``cancel``); the ``new_*`` fields only
matter when ``identity`` is ``_new``.

Both routes answer browsers with HTML, errors included (unknown, expired or finished logins: 404/410 pages);
a client that asks for JSON only gets the RFC 9457 problem instead.
"""

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from kit.db import SessionDep
from kit.problems import Problem, problem_response
from services.nutzerkonto import identities
from services.nutzerkonto.login import adhoc, flow, view
from services.nutzerkonto.models import Identity, LoginRequest
from services.nutzerkonto.state import NutzerkontoDep
from services.nutzerkonto.trust import Method

router = APIRouter(tags=["login"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

_PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown login (an HTML page for browsers)"},
    410: {"description": "Expired or already finished login (an HTML page for browsers)"},
}


class LoginForm(BaseModel):
    """What the page posts; the ``new_*`` fields describe a typed-in test person (``identity=_new``)."""

    action: str = "login"
    identity: str | None = None
    method: str | None = None
    new_given_name: str = ""
    new_surname: str = ""
    new_birthdate: str = ""
    new_street: str = ""
    new_postal_code: str = ""
    new_locality: str = ""


def _headers(nonce: str) -> dict[str, str]:
    # The page asks for identities and shows card data: never cached, never framed (clickjacking), and the
    # login id in its URL is not leaked as a referrer. No form-action: the answer redirects to the relying party.
    return {
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
                                   "base-uri 'none'; frame-ancestors 'none'",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Language": "de",
    }


def _render(request: Request, template: str, context: dict[str, Any], status_code: int) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(request, template, {**context, "csp_nonce": nonce},
                                          status_code=status_code)
    response.headers.update(_headers(nonce))
    return response


def _wants_problem_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


_ERROR_HEADINGS = {
    "login-unknown": "Anmeldung nicht gefunden",
    "login-expired": "Anmeldung abgelaufen",
    "login-finished": "Anmeldung bereits abgeschlossen",
}


def _error_page(request: Request, problem: Problem) -> Response:
    if _wants_problem_json(request):
        return problem_response(problem, request.url.path)
    slug = problem.type.rsplit(":", 1)[-1]
    return _render(request, "error.html", {
        "heading": _ERROR_HEADINGS.get(slug, "Anmeldung nicht möglich"),
        "message": problem.detail or "Diese Anmeldung kann nicht fortgesetzt werden.",
        "advice": "Bitte kehren Sie zum Online-Dienst zurück und starten Sie die Anmeldung dort neu.",
        "status": problem.status,
    }, problem.status)


async def _page(request: Request, session: SessionDep, login: LoginRequest, *, status_code: int = 200,
                chosen_identity: str | None = None, chosen_method: str | None = None,
                errors: dict[str, str] | None = None, new_values: dict[str, str] | None = None) -> HTMLResponse:
    people = await identities.list_identities(session)
    today = request.app.state.runtime.clock.now().date()
    errors = errors or {}
    if chosen_identity is None:
        chosen_identity = view.default_identity(login, people)
    context = view.page_context(login, people, today=today)
    context.update({
        "chosen_identity": chosen_identity,
        "chosen_method": chosen_method if chosen_method is not None else view.default_method(login),
        "field_errors": errors,
        "errors": [{"href": _anchor(name, people), "message": message} for name, message in errors.items()],
        "new_fields": adhoc.FIELDS,
        "new_values": new_values or {},
    })
    return _render(request, "login.html", context, status_code)


def _anchor(field: str, people: list[Identity]) -> str:
    """Where an error summary link takes the keyboard: the field itself, or the first radio of its group."""
    if field == "identity":
        first = view.ordered(people)
        return f"identitaet-{first[0].id}" if first else "identitaet-neu"
    if field == "method":
        return "methoden"
    return field


@router.get("/login/{login_id}", name="login_page", response_class=HTMLResponse, responses=_PAGE_RESPONSES)
async def login_page(login_id: str, request: Request, session: SessionDep) -> Response:
    try:
        login = await flow.pending_login(session, login_id, request.app.state.runtime.clock.now())
    except Problem as problem:
        return _error_page(request, problem)
    return await _page(request, session, login)


@router.post("/login/{login_id}", name="login_submit", response_class=HTMLResponse,
             responses={**_PAGE_RESPONSES, 422: {"description": "The choice cannot finish the login; the page "
                                                               "again, explaining why (HTML)"}})
async def login_submit(
    login_id: str,
    request: Request,
    session: SessionDep,
    state: NutzerkontoDep,
    form: Annotated[LoginForm, Form()],
) -> Response:
    now = request.app.state.runtime.clock.now()
    try:
        login = await flow.pending_login(session, login_id, now)
    except Problem as problem:
        return _error_page(request, problem)
    finisher = state.finishers.get(login.protocol)
    if finisher is None:
        raise Problem(500, f"No finisher for protocol {login.protocol!r}.")
    forced = await flow.take_forced_outcome(session)
    if form.action == "cancel" or forced is not None:
        reason = forced or "cancelled"
        flow.mark_failed(login, reason, now)
        return await finisher.fail(request, session, login, reason)
    if form.action != "login":
        return _error_page(request, Problem(400, "Diese Aktion gibt es nicht: bitte „Anmelden“ oder „Abbrechen“.",
                                            type_="validation-error"))

    errors: dict[str, str] = {}
    new_values: dict[str, str] = {}
    person: Identity | None = None
    if form.identity == view.NEW_IDENTITY:
        new_values, errors, typed = adhoc.parse(form.model_dump(), now.date())
        person = adhoc.build_identity(typed, now) if typed is not None else None
    elif form.identity:
        person = await identities.get_identity(session, form.identity)
    if person is None and not errors:
        errors["identity"] = "Bitte wählen Sie eine Identität."
    method = Method(form.method) if form.method in {str(m) for m in Method} else None
    if method is None:
        errors["method"] = "Bitte wählen Sie eine Anmeldemethode."
    if person is None or method is None:
        return await _page(request, session, login, status_code=422, chosen_identity=form.identity,
                           chosen_method=form.method, errors=errors, new_values=new_values)

    # flow.check_choice is the rule every protocol relies on; the view adds the service's own method list and
    # says which stronger methods would do (step-up). Either refusal keeps the login pending, with no answer.
    refusal = view.explain_refusal(login, person, method) or flow.check_choice(login, person, method)
    if refusal is not None:
        stronger = view.usable_methods(login, person)
        return await _page(request, session, login, status_code=422, chosen_identity=form.identity,
                           chosen_method=str(view.weakest(stronger)) if stronger else str(method),
                           errors={"method": refusal}, new_values=new_values)
    if form.identity == view.NEW_IDENTITY:
        session.add(person)
        await session.flush()
    flow.mark_succeeded(login, person, method, now)
    return await finisher.succeed(request, session, login, person)
