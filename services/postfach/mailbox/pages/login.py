"""The inbox page logs citizens in as an OIDC client of the Nutzerkonto (authorization code with PKCE, scope
bundid, resource postfach): the client is registered through the Nutzerkonto's emulator controls right before each
login (the Nutzerkonto forgets it on every reset), the state/verifier/nonce live in the database, and the code is
redeemed over the back channel (peers). The resulting session is server-side; the browser holds a random id."""

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kit.identity import discovery
from kit.problems import Problem
from services.postfach.mailbox import reading
from services.postfach.mailbox.models import InboxLogin, InboxSession
from services.postfach.mailbox.state import MailboxState

LOGIN_TTL = dt.timedelta(minutes=10)
COOKIE = "postkorb_sitzung"


def callback_url(state: MailboxState) -> str:
    return state.settings.external_url.rstrip("/") + "/postkorb/rueckkehr"


def cookie_path(state: MailboxState) -> str:
    return urlsplit(state.settings.external_url).path.rstrip("/") + "/postkorb"


def _below_issuer(discovered: dict[str, Any], endpoint: str) -> str:
    return urlsplit(discovered[endpoint]).path.removeprefix(urlsplit(discovered["issuer"]).path.rstrip("/"))


async def register_client(state: MailboxState) -> None:
    settings = state.settings
    if not settings.inbox_register_client:
        return
    peers = state.runtime.peers
    answer = await peers.client("nutzerkonto").post("/_emulator/clients", headers=peers.control_headers(), json={
        "client_id": settings.inbox_client_id, "client_name": "Postfach (Testumgebung)",
        "client_secret": settings.inbox_client_secret.get_secret_value(), "redirect_uris": [callback_url(state)],
        "grant_types": ["authorization_code"], "scopes": ["openid", "bundid"], "audiences": ["postfach"],
        "default_audience": "postfach"})
    if answer.status_code != 201:
        raise Problem(502, f"The Nutzerkonto did not register the inbox page's client ({answer.status_code}).",
                      type_="login-unavailable", title="Login unavailable")


async def start(session: AsyncSession, state: MailboxState, *, level: int, return_to: str) -> str:
    """The authorization URL the browser is sent to."""
    await register_client(state)
    discovered = await discovery(state.runtime.peers)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    login = InboxLogin(state=secrets.token_urlsafe(24), code_verifier=verifier, nonce=secrets.token_urlsafe(16),
                       return_to=return_to, created_at=state.runtime.clock.now())
    session.add(login)
    query = {"response_type": "code", "client_id": state.settings.inbox_client_id,
             "redirect_uri": callback_url(state), "scope": "openid bundid", "resource": "postfach",
             "acr_values": f"STORK-QAA-Level-{level}", "state": login.state, "nonce": login.nonce,
             "code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{discovered['authorization_endpoint']}?{urlencode(query)}"


async def finish(session: AsyncSession, state: MailboxState, *, code: str, login_state: str) -> tuple[str, str]:
    """Redeem the code; answers (session id for the cookie, where to go next)."""
    login = await session.get(InboxLogin, login_state)
    now = state.runtime.clock.now()
    if login is None or login.created_at + LOGIN_TTL < now:
        raise Problem(400, "Diese Anmeldung ist unbekannt oder abgelaufen.", type_="login-expired")
    await session.delete(login)
    discovered = await discovery(state.runtime.peers)
    answer = await state.runtime.peers.client("nutzerkonto").post(
        _below_issuer(discovered, "token_endpoint"),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": callback_url(state),
              "code_verifier": login.code_verifier},
        auth=(state.settings.inbox_client_id, state.settings.inbox_client_secret.get_secret_value()))
    if answer.status_code != 200:
        raise Problem(400, "Der Anmeldecode wurde nicht angenommen.", type_="login-failed")
    tokens = answer.json()
    # The ID token came straight from the token endpoint (OIDC Core §3.1.3.7: TLS server validation suffices);
    # its nonce ties it to this login.
    id_claims = jwt.decode(tokens.get("id_token", ""), options={"verify_signature": False})
    if id_claims.get("nonce") != login.nonce:
        raise Problem(400, "Die Anmeldung passt nicht zu dieser Sitzung.", type_="login-failed")
    claims = await state.verifier.verify(tokens["access_token"])
    reader = reading.reader_from_claims(claims)
    owner = await state.directory.owner(reader.handle or "")
    session_id = secrets.token_urlsafe(32)
    session.add(InboxSession(
        id_hash=hashlib.sha256(session_id.encode()).hexdigest(), token_jti=str(claims.get("jti", ""))[:64],
        postkorb_handle=reader.handle or "", level=reader.level,
        display_name=owner.display_name if owner else "", csrf_token=secrets.token_urlsafe(24),
        created_at=now, expires_at=now + dt.timedelta(minutes=state.settings.inbox_session_minutes)))
    # Unfinished logins and ended sessions are of no use after their lifetime.
    await session.execute(delete(InboxLogin).where(InboxLogin.created_at < now - LOGIN_TTL))
    await session.execute(delete(InboxSession).where(InboxSession.expires_at < now))
    return session_id, login.return_to


async def current(session: AsyncSession, state: MailboxState, session_id: str | None) -> InboxSession | None:
    if not session_id:
        return None
    row = await session.get(InboxSession, hashlib.sha256(session_id.encode()).hexdigest())
    if row is None or row.expires_at <= state.runtime.clock.now():
        return None
    return row


async def end(session: AsyncSession, row: InboxSession) -> None:
    await session.delete(row)
