"""Ends an OIDC login: success becomes a one-time authorization code at the client's redirect URI, cancel
becomes ``access_denied`` and a forced technical failure ``server_error`` (RFC 6749 §4.1.2, §4.1.2.1), always
with ``state`` and ``iss`` (RFC 9207)."""

import datetime as dt
import secrets

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.login.flow import Failure
from services.nutzerkonto.models import Identity, LoginRequest
from services.nutzerkonto.oidc import claims
from services.nutzerkonto.oidc.errors import redirect
from services.nutzerkonto.oidc.models import AuthorizationCode, OidcSession
from services.nutzerkonto.oidc.provider import OidcProvider
from services.nutzerkonto.oidc.tokens import digest, new_id


class OidcFinisher:
    def __init__(self, provider: OidcProvider) -> None:
        self.provider = provider

    async def succeed(self, request: Request, session: AsyncSession, login: LoginRequest,
                      identity: Identity) -> Response:
        state = login.protocol_state
        now: dt.datetime = request.app.state.runtime.clock.now()
        assert login.level is not None and login.method is not None  # set by flow.mark_succeeded
        sid = new_id()
        session.add(OidcSession(sid=sid, client_id=login.client_id, identity_id=identity.id,
                                subject=claims.subject(identity), level=login.level, method=login.method,
                                auth_time=now, ended_at=None))
        code = secrets.token_urlsafe(32)
        ttl = dt.timedelta(seconds=self.provider.settings.authorization_code_ttl_seconds)
        session.add(AuthorizationCode(
            code_hash=digest(code), client_id=login.client_id, redirect_uri=state["redirect_uri"],
            code_challenge=state.get("code_challenge"), nonce=state.get("nonce"), scope=state["scope"],
            acr_values=state.get("acr_values", []), identity_id=identity.id, level=login.level,
            method=login.method, auth_time=now, session_id=sid, audiences=state.get("audiences", []),
            created_at=now, expires_at=now + ttl, used_at=None,
        ))
        return redirect(state["redirect_uri"], {"code": code, "state": state.get("state"),
                                                "iss": self.provider.issuer})

    async def fail(self, request: Request, session: AsyncSession, login: LoginRequest,
                   reason: Failure) -> Response:
        state = login.protocol_state
        # error_description is ASCII by definition (RFC 6749 §4.1.2.1), so it is English, not the page's German.
        if reason == "cancelled":
            error, description = "access_denied", "Authentication was canceled by the user."
        else:
            error, description = "server_error", "The login failed for technical reasons."
        return redirect(state["redirect_uri"], {"error": error, "error_description": description,
                                                "state": state.get("state"), "iss": self.provider.issuer})
