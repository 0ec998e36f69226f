"""The web portal's login at the Nutzerkonto (OpenID Connect authorization code flow with PKCE, confidential client)
and its server-side sessions. The portal's OAuth client is registered through the Nutzerkonto's emulator controls
when a login starts, so it exists after any reset of the Nutzerkonto."""

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from services.rechnungseingang.models import PortalLogin, PortalSession
from services.rechnungseingang.suppliers import Supplier, supplier_from_claims

COOKIE = "re_portal"
LOGIN_TTL = dt.timedelta(minutes=15)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def callback_url(state: Any) -> str:
    return f"{state.settings.external_url}/portal/callback"


async def register_client(state: Any) -> None:
    settings = state.settings
    peers = state.runtime.peers
    answer = await peers.client("nutzerkonto").post("/_emulator/clients", headers=peers.control_headers(), json={
        "client_id": settings.portal_client_id, "client_name": "Zentraler E-Rechnungseingang RLP (Webportal)",
        "client_secret": settings.portal_client_secret, "redirect_uris": [callback_url(state)],
        "grant_types": ["authorization_code"], "scopes": ["openid", "profile"], "audiences": ["rechnungseingang"],
        "default_audience": "rechnungseingang"})
    if answer.status_code != 201:
        raise Problem(503, "Das Nutzerkonto kann die Anmeldung gerade nicht anbieten.",
                      type_="identity-provider-unavailable", title="Anmeldung nicht möglich")


async def start(state: Any, session: AsyncSession) -> str:
    """Record a pending login; answers the Nutzerkonto's authorization URL to send the browser to."""
    await register_client(state)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    login = PortalLogin(state=secrets.token_urlsafe(24), code_verifier=verifier, nonce=secrets.token_urlsafe(16),
                        created_at=state.runtime.clock.now())
    session.add(login)
    query = urlencode({"response_type": "code", "client_id": state.settings.portal_client_id,
                       "redirect_uri": callback_url(state), "scope": "openid profile", "state": login.state,
                       "nonce": login.nonce, "code_challenge": challenge, "code_challenge_method": "S256",
                       "resource": "rechnungseingang"})
    return f"{state.settings.suite.public_base_url.rstrip('/')}/nutzerkonto/authorize?{query}"


async def finish(state: Any, session: AsyncSession, code: str, login_state: str) -> str:
    """Redeem the code, check the access token, open a session; answers the cookie value."""
    login = await session.get(PortalLogin, login_state)
    now = state.runtime.clock.now()
    if login is None or login.created_at + LOGIN_TTL < now:
        raise Problem(400, "Die Anmeldung ist abgelaufen oder unbekannt. Bitte melden Sie sich erneut an.",
                      type_="login-expired", title="Anmeldung abgelaufen")
    await session.delete(login)
    settings = state.settings
    nutzerkonto = state.runtime.peers.client("nutzerkonto")
    answer = await nutzerkonto.post("/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": callback_url(state),
        "code_verifier": login.code_verifier}, auth=(settings.portal_client_id, settings.portal_client_secret))
    if answer.status_code != 200:
        raise Problem(400, "Das Nutzerkonto hat die Anmeldung nicht bestätigt.", type_="login-failed",
                      title="Anmeldung fehlgeschlagen")
    tokens = answer.json()
    claims = await state.verifier.verify(tokens["access_token"])
    supplier = supplier_from_claims(claims)
    name = await _organisation_name(state, tokens["access_token"]) or "Ihr Unternehmen"
    cookie = secrets.token_urlsafe(32)
    minutes = dt.timedelta(minutes=settings.portal_session_minutes)
    session.add(PortalSession(id_hash=_digest(cookie), sub=supplier.sub, name=name,
                              csrf_token=secrets.token_urlsafe(24), created_at=now, expires_at=now + minutes))
    return cookie


async def _organisation_name(state: Any, access_token: str) -> str | None:
    answer = await state.runtime.peers.client("nutzerkonto").get(
        "/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    if answer.status_code != 200:
        return None
    info = answer.json()
    return info.get("organization_name") or info.get("name")


async def current(state: Any, session: AsyncSession, cookie: str | None) -> tuple[Supplier, PortalSession] | None:
    if not cookie:
        return None
    row = await session.get(PortalSession, _digest(cookie))
    if row is None or row.expires_at < state.runtime.clock.now():
        return None
    return Supplier(sub=row.sub, name=row.name), row


async def end(session: AsyncSession, cookie: str | None) -> None:
    if cookie:
        await session.execute(delete(PortalSession).where(PortalSession.id_hash == _digest(cookie)))
