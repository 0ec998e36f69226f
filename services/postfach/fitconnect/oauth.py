"""FIT-Connect's OAuth 2 server, as far as API clients meet it: the client-credentials grant (RFC 6749 §4.4)
with ``client_secret_post`` only — HTTP Basic is refused with ``invalid_client``, as at FITKO — bearer tokens
of 1800 s, and the dependency that turns a bearer token into the calling client.

Tokens are opaque random strings; only their SHA-256 is stored. They are this OAuth server's own and have
nothing to do with the Nutzerkonto's tokens (the gateway passes them through untouched).
"""

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from kit.db import SessionDep
from kit.problems import Problem
from services.postfach.fitconnect.models import FcAccessToken, FcClient
from services.postfach.fitconnect.problems import SUBMISSION_PROBLEMS, forbidden
from services.postfach.fitconnect.schemas import AccessToken
from services.postfach.fitconnect.state import TOKEN_PATH, FitConnectDep

log = logging.getLogger("basisdienste.postfach.fitconnect")

SCOPES = "https://schema.fitko.de/fit-connect/oauth/scopes/"
SEND = SCOPES + "send-submissions"
SUBSCRIBE = SCOPES + "subscribe-submissions"
ROLE_SCOPES = {"sender": [SEND], "subscriber": [SUBSCRIBE]}

router = APIRouter(tags=["FIT-Connect OAuth"])


def _oauth_error(status: int, error: str, description: str, **headers: str) -> JSONResponse:
    # RFC 6749 §5.2: the token endpoint answers in OAuth's own format, which every OAuth client reads.
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store", **headers})


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@router.post(f"{TOKEN_PATH}", name="fitconnect_token", response_model=AccessToken,
             responses={400: {"description": "OAuth error"}, 401: {"description": "invalid_client"}})
async def token(request: Request, session: SessionDep, fc: FitConnectDep) -> JSONResponse:
    """Client credentials grant; ``client_id`` and ``client_secret`` as form fields."""
    if request.headers.get("authorization", "").lower().startswith("basic "):
        return _oauth_error(401, "invalid_client", "client_secret_basic is not supported: send client_id and "
                            "client_secret as form fields (client_secret_post)")
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    if values.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    client = await session.get(FcClient, values.get("client_id", "")[:64]) if values.get("client_id") else None
    if client is None or not hmac.compare_digest(client.client_secret.encode(),
                                                 values.get("client_secret", "").encode()):
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    allowed = ROLE_SCOPES[client.role]
    requested = values.get("scope", "").split()
    if any(s not in allowed for s in requested):
        return _oauth_error(400, "invalid_scope", f"this client may ask for {' '.join(allowed)}")
    granted = requested or allowed
    fc.note_token_request(client.client_id)
    now = fc.runtime.clock.now()
    value = secrets.token_urlsafe(32)
    lifetime = fc.settings.token_lifetime_seconds
    session.add(FcAccessToken(token_hash=_hash(value), client_id=client.client_id, scope=" ".join(granted),
                              expires_at=now + dt.timedelta(seconds=lifetime)))
    return JSONResponse({"access_token": value, "token_type": "Bearer", "expires_in": lifetime,
                         "scope": " ".join(granted)}, headers={"Cache-Control": "no-store"})


@dataclass(frozen=True)
class Principal:
    client_id: str
    role: str
    scopes: frozenset[str]
    destinations: frozenset[str]

    def require_sender(self) -> None:
        if SEND not in self.scopes:
            raise forbidden(f"this operation needs the scope {SEND}")

    def require_subscriber_of(self, destination_id: str) -> None:
        if SUBSCRIBE not in self.scopes or destination_id not in self.destinations:
            raise forbidden("this client is not a subscriber of the submission's destination")


def _unauthenticated(detail: str, slug: str) -> Problem:
    return Problem(401, detail, type_=SUBMISSION_PROBLEMS + slug, title="Unauthorized",
                   headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{detail}"'})


async def current_principal(request: Request, session: SessionDep, fc: FitConnectDep) -> Principal:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Problem(401, "This operation needs a FIT-Connect access token.",
                      type_=SUBMISSION_PROBLEMS + "missing-authentication", title="Unauthorized",
                      headers={"WWW-Authenticate": "Bearer"})
    row = await session.get(FcAccessToken, _hash(value.strip()))
    if row is None:
        raise _unauthenticated("the access token is unknown", "invalid-authentication")
    if row.expires_at <= fc.runtime.clock.now():
        raise _unauthenticated("the access token has expired", "invalid-authentication")
    client = await session.get(FcClient, row.client_id)
    if client is None:
        raise _unauthenticated("the token's client no longer exists", "invalid-authentication")
    return Principal(client.client_id, client.role, frozenset(row.scope.split()), frozenset(client.destinations))


PrincipalDep = Annotated[Principal, Depends(current_principal)]
