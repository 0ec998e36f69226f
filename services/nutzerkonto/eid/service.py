"""eID sessions from start to result, without HTTP: ``useID`` starts a login restricted to the Online-Ausweis at
level hoch, the login page's outcome becomes a TR-03130 ``getResult`` answer, and the service fetches it once.

Result codes are the eCard-API ones TR-03130 uses (TR-03112 ``resultmajor``/``resultminor``); the short forms
appended to the return URL are the ones TR-03124-1 gives the eID-Client for the RefreshAddress.
"""

import datetime as dt
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from services.nutzerkonto.eid import fields
from services.nutzerkonto.eid.models import EidSession
from services.nutzerkonto.eid.schemas import UseIDRequestType
from services.nutzerkonto.login import flow
from services.nutzerkonto.models import Identity, LoginRequest
from services.nutzerkonto.trust import Level, Method

PROTOCOL = "eid"
MAJOR_OK = "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#ok"
MAJOR_ERROR = "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#error"
MINOR_CANCELLED = "http://www.bsi.bund.de/ecard/api/1.1/resultminor/sal#cancellationByUser"
MINOR_INTERNAL = "http://www.bsi.bund.de/ecard/api/1.1/resultminor/al/common#internalError"
LOA_HIGH = "http://bsi.bund.de/eID/LoA/hoch"  # the Online-Ausweis is always level hoch

_MESSAGES = {"cancelled": "Der Vorgang wurde vom Benutzer abgebrochen.",
             "error": "Der Ausweis konnte nicht gelesen werden (technischer Fehler)."}
# TR-03124-1: what the eID-Client appends to the RefreshAddress after an error.
_REFRESH_MINOR = {"cancelled": "cancellationByUser", "error": "serverError"}


async def create(session: AsyncSession, body: UseIDRequestType, *, client_id: str, display_name: str,
                 now: dt.datetime, ttl: dt.timedelta) -> tuple[EidSession, LoginRequest]:
    """A new eID session and the login page the citizen reads the card on (Online-Ausweis only, level 4)."""
    requested = body.requested()
    session_id = secrets.token_urlsafe(24)
    age = body.AgeVerificationRequest.Age if body.AgeVerificationRequest else None
    place = body.PlaceVerificationRequest.CommunityID if body.PlaceVerificationRequest else None
    login = await flow.start_login(
        session, now=now, ttl=ttl, protocol=PROTOCOL, client_id=client_id, display_name=display_name,
        min_level=Level.STORK_4,
        requested_attributes=[flow.RequestedAttribute(name, value == "REQUIRED") for name, value in requested.items()],
        protocol_state={"session_id": session_id, "allowed_methods": [str(Method.EID)],
                        "age_verification": age, "place_verification": place},
    )
    row = EidSession(id=session_id, client_id=client_id, login_id=login.id, operations=requested,
                     age_verification=age, place_verification=place, refresh_address=body.RefreshAddress,
                     status="pending", result=None, created_at=now, expires_at=login.expires_at,
                     finished_at=None, fetched_at=None)
    session.add(row)
    await session.flush()
    return row, login


async def for_login(session: AsyncSession, login: LoginRequest) -> EidSession:
    row = await session.scalar(select(EidSession).where(EidSession.login_id == login.id).with_for_update())
    if row is None:  # start_login and the session row are written together; a missing one is our bug
        raise Problem(500, f"No eID session for login {login.id}.")
    return row


def _card_result(row: EidSession, identity: Identity, card: dict[str, Any], today: dt.date) -> dict[str, Any]:
    names = list(row.operations)
    personal = fields.personal_data(card, names, identity_id=identity.id, service=row.client_id)
    allowed = {name: ("ALLOWED" if name in personal or name not in fields.PERSONAL_DATA else "NOTONCHIP")
               for name in names}
    result: dict[str, Any] = {
        "Session": {"ID": row.id}, "Result": {"ResultMajor": MAJOR_OK},
        "PersonalData": personal, "OperationsAllowedByUser": allowed, "LevelOfAssurance": LOA_HIGH,
    }
    if row.age_verification is not None:
        result["FulfilsAgeVerification"] = {"FulfilsRequest": fields.fulfils_age(card, row.age_verification, today)}
    if row.place_verification is not None:
        result["FulfilsPlaceVerification"] = {
            "FulfilsRequest": fields.fulfils_place(card, row.place_verification)}
    return result


def _error_result(row: EidSession, reason: flow.Failure) -> dict[str, Any]:
    minor = MINOR_CANCELLED if reason == "cancelled" else MINOR_INTERNAL
    return {"Session": {"ID": row.id},
            "Result": {"ResultMajor": MAJOR_ERROR, "ResultMinor": minor, "ResultMessage": _MESSAGES[reason]}}


def succeed(row: EidSession, login: LoginRequest, identity: Identity, now: dt.datetime) -> dict[str, str]:
    """Store what the card gives; answers the query parameters for the return URL."""
    if login.method != str(Method.EID) or not identity.card:
        # The page lets only the Online-Ausweis finish an eID login; a card-less identity cannot be read.
        return fail(row, "error", now)
    row.result = _card_result(row, identity, identity.card, now.date())
    row.status, row.finished_at = "succeeded", now
    return {"session_id": row.id, "ResultMajor": "ok"}


def fail(row: EidSession, reason: flow.Failure, now: dt.datetime) -> dict[str, str]:
    row.result = _error_result(row, reason)
    row.status, row.finished_at = ("cancelled" if reason == "cancelled" else "failed"), now
    return {"session_id": row.id, "ResultMajor": "error", "ResultMinor": _REFRESH_MINOR[reason]}


def return_url(address: str, params: dict[str, str]) -> str:
    """The RefreshAddress with our parameters added to whatever query it already has."""
    parts = urlsplit(address)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def fetch_result(session: AsyncSession, *, session_id: str, client_id: str,
                       now: dt.datetime) -> dict[str, Any]:
    """The result, exactly once, to the client that started the session; the personal data is then deleted."""
    row = await session.get(EidSession, session_id)
    if row is None or row.client_id != client_id:
        # Someone else's session is as unknown as a made-up id: its existence is not disclosed.
        raise Problem(404, "No eID session with this id for this client.", type_="eid-session-unknown")
    if row.status == "fetched":
        raise Problem(410, "The result of this eID session has already been fetched.", type_="eid-result-fetched")
    if row.status == "pending":
        if row.expires_at <= now:
            raise Problem(410, "The eID session expired before the card was read.", type_="eid-session-expired")
        raise Problem(409, "The card has not been read yet; ask again after the browser returned.",
                      type_="eid-no-result-yet",
                      ResultMinor="http://www.bsi.bund.de/eid/server/2.0/resultminor/getResult#noResultYet")
    result = row.result or {}
    # Conditional: of two concurrent fetches exactly one changes the row, and only that one gets the data.
    changed = await session.execute(
        update(EidSession).where(EidSession.id == row.id, EidSession.status == row.status)
        .values(status="fetched", result=None, fetched_at=now).execution_options(synchronize_session=False))
    if getattr(changed, "rowcount", 0) != 1:
        raise Problem(410, "The result of this eID session has already been fetched.", type_="eid-result-fetched")
    return result
