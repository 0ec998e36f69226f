"""A login from request to answer, whatever the protocol: SAML, OIDC and the eID API each start a
``LoginRequest``, the citizen chooses identity and method on the login page, and the protocol's ``Finisher``
turns the outcome into its own answer (a signed SAML Response, an authorization code, an eID result).

The rule BundID's relying parties depend on lives here: a login never succeeds below the requested level.
"""

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from fastapi import Request, Response
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from services.nutzerkonto.models import ForcedOutcome, Identity, LoginRequest
from services.nutzerkonto.trust import METHOD_LEVEL, Level, Method

Failure = Literal["cancelled", "error"]


class Finisher(Protocol):
    """How one protocol answers the relying party at the end of a login."""

    async def succeed(self, request: Request, session: AsyncSession, login: LoginRequest,
                      identity: Identity) -> Response: ...

    async def fail(self, request: Request, session: AsyncSession, login: LoginRequest,
                   reason: Failure) -> Response: ...


@dataclass(frozen=True)
class RequestedAttribute:
    name: str  # attributes.Attribute.name
    required: bool = False


async def start_login(
    session: AsyncSession,
    *,
    now: dt.datetime,
    ttl: dt.timedelta,
    protocol: str,
    client_id: str,
    display_name: str,
    min_level: Level,
    requested_attributes: list[RequestedAttribute],
    protocol_state: dict[str, Any],
) -> LoginRequest:
    login = LoginRequest(
        id=secrets.token_urlsafe(24), protocol=protocol, client_id=client_id, display_name=display_name,
        min_level=int(min_level), protocol_state=protocol_state, status="pending",
        requested_attributes=[{"name": a.name, "required": a.required} for a in requested_attributes],
        created_at=now, expires_at=now + ttl, identity_id=None, method=None, level=None, finished_at=None,
    )
    session.add(login)
    await session.flush()
    return login


async def pending_login(session: AsyncSession, login_id: str, now: dt.datetime) -> LoginRequest:
    """The login the page is about; finished, expired or unknown logins are a 404/410 problem."""
    login = await session.get(LoginRequest, login_id, with_for_update=True)
    if login is None:
        raise Problem(404, "Diese Anmeldung ist unbekannt.", type_="login-unknown")
    if login.status != "pending":
        raise Problem(410, "Diese Anmeldung ist bereits abgeschlossen.", type_="login-finished")
    if login.expires_at <= now:
        raise Problem(410, "Diese Anmeldung ist abgelaufen. Bitte starten Sie sie beim Online-Dienst neu.",
                      type_="login-expired")
    return login


def level_of(method: Method) -> Level:
    return METHOD_LEVEL[method]


def check_choice(login: LoginRequest, identity: Identity, method: Method) -> str | None:
    """Why this identity/method cannot finish this login, in German for the page; None when it can."""
    if str(method) not in identity.methods:
        return f"{identity.display_name} kann sich nicht mit dieser Methode anmelden."
    if level_of(method) < login.min_level:
        return ("Der Online-Dienst verlangt ein höheres Vertrauensniveau "
                f"(STORK-QAA-Level-{login.min_level}). Bitte wählen Sie eine stärkere Anmeldemethode.")
    return None


def mark_succeeded(login: LoginRequest, identity: Identity, method: Method, now: dt.datetime) -> None:
    level = level_of(method)
    if level < login.min_level:  # check_choice refuses this first; this guard keeps it true for every caller
        raise Problem(403, "Trust level below the requested minimum.", type_="level-too-low")
    login.status, login.identity_id, login.method, login.level = "succeeded", identity.id, str(method), int(level)
    login.finished_at = now


def mark_failed(login: LoginRequest, reason: Failure, now: dt.datetime) -> None:
    login.status = "cancelled" if reason == "cancelled" else "failed"
    login.finished_at = now


async def take_forced_outcome(session: AsyncSession) -> Failure | None:
    """The emulator's forced outcome for this login, if one is queued (consumed)."""
    forced = await session.scalar(select(ForcedOutcome).order_by(ForcedOutcome.id).limit(1))
    if forced is None:
        return None
    await session.execute(delete(ForcedOutcome).where(ForcedOutcome.id == forced.id))
    return "cancelled" if forced.outcome == "cancel" else "error"
