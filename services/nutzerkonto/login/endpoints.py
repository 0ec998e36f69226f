"""The login page: the citizen sees which service asks and for which level, chooses a test identity and a
login method, and either logs in or cancels. ``POST /login/{id}`` is the one contract every protocol's tests use:
form fields ``identity``, ``method`` and ``action`` (``login`` | ``cancel``)."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kit.db import SessionDep
from kit.problems import Problem
from services.nutzerkonto import identities
from services.nutzerkonto.login import flow
from services.nutzerkonto.models import LoginRequest
from services.nutzerkonto.state import NutzerkontoDep
from services.nutzerkonto.trust import METHOD_LABEL, METHOD_LEVEL, Level, Method, stork

router = APIRouter(tags=["login"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


async def _page(request: Request, session: SessionDep, login: LoginRequest, *, error: str | None = None,
                status_code: int = 200, chosen: str | None = None) -> HTMLResponse:
    people = [i for i in await identities.list_identities(session)]
    return templates.TemplateResponse(request, "login.html", status_code=status_code, context={
        "login": login, "identities": people, "error": error, "chosen": chosen,
        "required_level": stork(Level(login.min_level)),
        "methods": [{"value": str(m), "label": label, "level": int(METHOD_LEVEL[m]),
                     "enough": METHOD_LEVEL[m] >= login.min_level} for m, label in METHOD_LABEL.items()],
    })


@router.get("/login/{login_id}", name="login_page", response_class=HTMLResponse)
async def login_page(login_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    login = await flow.pending_login(session, login_id, request.app.state.runtime.clock.now())
    return await _page(request, session, login)


@router.post("/login/{login_id}", name="login_submit", response_class=HTMLResponse)
async def login_submit(
    login_id: str,
    request: Request,
    session: SessionDep,
    state: NutzerkontoDep,
    action: Annotated[str, Form()] = "login",
    identity: Annotated[str | None, Form()] = None,
    method: Annotated[str | None, Form()] = None,
) -> Response:
    now = request.app.state.runtime.clock.now()
    login = await flow.pending_login(session, login_id, now)
    finisher = state.finishers.get(login.protocol)
    if finisher is None:
        raise Problem(500, f"No finisher for protocol {login.protocol!r}.")
    forced = await flow.take_forced_outcome(session)
    if action == "cancel" or forced is not None:
        reason = forced or "cancelled"
        flow.mark_failed(login, reason, now)
        return await finisher.fail(request, session, login, reason)
    if action != "login":
        raise Problem(400, "action must be login or cancel.", type_="validation-error")
    person = await identities.get_identity(session, identity) if identity else None
    if person is None:
        return await _page(request, session, login, error="Bitte wählen Sie eine Identität.", status_code=422)
    try:
        chosen = Method(method or "")
    except ValueError:
        return await _page(request, session, login, error="Bitte wählen Sie eine Anmeldemethode.",
                           status_code=422, chosen=person.id)
    refusal = flow.check_choice(login, person, chosen)
    if refusal is not None:
        return await _page(request, session, login, error=refusal, status_code=422, chosen=person.id)
    flow.mark_succeeded(login, person, chosen, now)
    return await finisher.succeed(request, session, login, person)
