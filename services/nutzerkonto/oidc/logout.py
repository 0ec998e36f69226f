"""RP-Initiated Logout 1.0: the client sends the user here with its ID token as ``id_token_hint``; the login
session (the ID token's ``sid``) ends and every token issued in it is revoked. The user returns to a registered
``post_logout_redirect_uri`` with ``state``, or sees a confirmation page.

The provider keeps no browser session (no SSO cookie), so without an ``id_token_hint`` there is no session to
identify and none is ended.
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.oidc import clients
from services.nutzerkonto.oidc.authorize import NotRedirectable
from services.nutzerkonto.oidc.errors import OAuthError, with_params
from services.nutzerkonto.oidc.models import IssuedToken, OidcSession
from services.nutzerkonto.oidc.provider import OidcProvider
from services.nutzerkonto.oidc.tokens import decode_own, revoke


@dataclass(frozen=True)
class LoggedOut:
    redirect_to: str | None
    ended_session: bool


async def logout(session: AsyncSession, provider: OidcProvider, params: dict[str, str], *,
                 now: dt.datetime) -> LoggedOut:
    """End the session the hint names; :class:`NotRedirectable` for anything that cannot be trusted."""
    hint, client_id = params.get("id_token_hint"), params.get("client_id")
    uri, state = params.get("post_logout_redirect_uri"), params.get("state")
    sid = None
    if hint:
        try:
            claims = decode_own(provider, hint, typ=None, now=now, allow_expired=True)
        except OAuthError as exc:
            raise NotRedirectable(f"Der id_token_hint ist ungültig: {exc.description}.") from exc
        row = await session.get(IssuedToken, str(claims.get("jti", "")))
        if row is None or row.kind != "id":
            raise NotRedirectable("Der id_token_hint ist kein ID-Token dieses Anbieters.")
        if client_id and client_id != claims.get("aud"):
            raise NotRedirectable("client_id passt nicht zum id_token_hint.")
        client_id, sid = str(claims.get("aud")), claims.get("sid")
    if uri is not None:
        if not client_id:
            raise NotRedirectable("post_logout_redirect_uri braucht einen id_token_hint oder eine client_id.")
        client = await clients.get_client(session, client_id)
        # Exact match against the registered list, as for redirect_uri: never an open redirector.
        if client is None or uri not in client.post_logout_redirect_uris:
            raise NotRedirectable(f"Die Adresse {uri!r} ist für {client_id!r} nicht als Abmeldeziel registriert.")
    ended = False
    if isinstance(sid, str):
        login_session = await session.get(OidcSession, sid)
        if login_session is not None and login_session.ended_at is None:
            login_session.ended_at = now
            ended = True
        await revoke(session, IssuedToken.session_id == sid, now=now, reason="logout")
    return LoggedOut(redirect_to=with_params(uri, {"state": state}) if uri else None, ended_session=ended)
