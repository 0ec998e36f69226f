"""The eID API over HTTP: ``POST /eid/sessions`` (TR-03130 ``useID``) and ``GET /eid/sessions/{id}/result``
(``getResult``), for online services that read the ID card themselves; and the finisher that sends the citizen's
browser back to the service's return URL when the card has been read on the login page.

Callers authenticate as OAuth clients: a bearer access token with scope ``eid`` from this Nutzerkonto's
client_credentials grant (RFC 9068, checked by the kit's verifier against the Nutzerkonto's own keys).
"""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import SessionDep
from kit.tokens import AccessTokenVerifier, JWKSCache, require_token
from services.nutzerkonto.eid import service
from services.nutzerkonto.eid.schemas import GetResultResponseType, UseIDRequestType, UseIDResponseType
from services.nutzerkonto.login import flow
from services.nutzerkonto.models import Base, Identity, LoginRequest
from services.nutzerkonto.state import Nutzerkonto, NutzerkontoDep

SCOPE = "eid"

router = APIRouter(prefix="/eid", tags=["eid"])


def _verifier(request: Request) -> AccessTokenVerifier:
    return request.app.state.eid_verifier


EidClient = Annotated[dict[str, Any], Depends(require_token(SCOPE, verifier=_verifier))]

_AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token of this Nutzerkonto"},
    403: {"description": "The token lacks the scope eid"},
}


async def _client_name(session: AsyncSession, client_id: str) -> str:
    """The name the citizen sees: the client's registered name, as a real eID-Server shows the name from the
    service's authorisation certificate. Read through the metadata so that the eID API does not depend on the
    OIDC package's modules, only on its table being there."""
    clients = Base.metadata.tables.get("oidc_clients")
    if clients is None:
        return client_id
    name = await session.scalar(select(clients.c.client_name).where(clients.c.client_id == client_id))
    return str(name) if name else client_id


@router.post("/sessions", name="eid_create_session", status_code=201, response_model_exclude_none=True,
             responses={**_AUTH_RESPONSES, 422: {"description": "The request does not match the schema"}})
async def create_session(body: UseIDRequestType, claims: EidClient, request: Request, session: SessionDep,
                         state: NutzerkontoDep) -> UseIDResponseType:
    """Start reading a card: the citizen opens ``LoginURL``, chooses a test card and confirms with the
    Online-Ausweis; the browser then returns to ``RefreshAddress`` and the service fetches the result."""
    now = request.app.state.runtime.clock.now()
    client_id = str(claims["client_id"])
    row, login = await service.create(
        session, body, client_id=client_id, display_name=await _client_name(session, client_id), now=now,
        ttl=dt.timedelta(seconds=state.settings.login_ttl_seconds))
    return UseIDResponseType.model_validate({
        "Session": {"ID": row.id}, "LoginURL": f"{state.settings.external_url}/login/{login.id}",
        "ExpiresAt": row.expires_at.isoformat().replace("+00:00", "Z"), "Result": {"ResultMajor": service.MAJOR_OK},
    })


@router.get("/sessions/{session_id}/result", name="eid_get_result", response_model_exclude_none=True,
            responses={**_AUTH_RESPONSES, 404: {"description": "No such session for this client"},
                       409: {"description": "The card has not been read yet (noResultYet)"},
                       410: {"description": "Already fetched, or expired before the card was read"}})
async def get_result(session_id: str, claims: EidClient, request: Request,
                     session: SessionDep) -> GetResultResponseType:
    """The card's data (or the cancel/error result), once; a second fetch is 410 Gone."""
    result = await service.fetch_result(session, session_id=session_id, client_id=str(claims["client_id"]),
                                        now=request.app.state.runtime.clock.now())
    return GetResultResponseType.model_validate(result)


class EidFinisher:
    """Ends an eID login: stores the result and sends the browser to the service's return URL (303)."""

    async def succeed(self, request: Request, session: AsyncSession, login: LoginRequest,
                      identity: Identity) -> Response:
        row = await service.for_login(session, login)
        params = service.succeed(row, login, identity, request.app.state.runtime.clock.now())
        return RedirectResponse(service.return_url(row.refresh_address, params), status_code=303)

    async def fail(self, request: Request, session: AsyncSession, login: LoginRequest,
                   reason: flow.Failure) -> Response:
        row = await service.for_login(session, login)
        params = service.fail(row, reason, request.app.state.runtime.clock.now())
        return RedirectResponse(service.return_url(row.refresh_address, params), status_code=303)


def install(app: FastAPI, state: Nutzerkonto) -> None:
    """Register the eID finisher and the verifier for the API's access tokens."""
    state.finishers[service.PROTOCOL] = EidFinisher()

    async def own_keys() -> dict[str, Any]:
        # The Nutzerkonto verifies its own tokens: the key ring is right here, no HTTP round trip needed.
        return state.keys.jwks()

    settings = state.settings
    app.state.eid_verifier = AccessTokenVerifier(
        # No caching: the key ring is in memory, and a rotation must take effect at once, in both directions.
        JWKSCache(own_keys, ttl=0.0, min_refresh_interval=0.0),
        issuer=settings.issuer, audience=[settings.name, settings.issuer], clock=app.state.runtime.clock)
