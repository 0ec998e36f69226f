"""Emulator controls of the FIT-Connect part (``/_emulator/postfach/fitconnect/...`` on the gateway): create
destinations with a subscriber client, hand out a destination's private keys (so a test subscriber can decrypt
and sign), make a destination reject, 403, 429 or fail on demand (kit faults), list the callbacks sent, and
inspect submissions with the client quirks noticed."""

import datetime as dt
import uuid
from typing import Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from kit.db import SessionDep
from kit.emulator import control_router
from kit.faults import FaultSpec
from kit.problems import Problem
from services.postfach.fitconnect import timers
from services.postfach.fitconnect.callbacks import CHANNEL
from services.postfach.fitconnect.destinations import seed
from services.postfach.fitconnect.destinations.endpoints import CallbackIn, _check_callback_url
from services.postfach.fitconnect.destinations.service import describe, get_destination
from services.postfach.fitconnect.keys import ENC, SIG
from services.postfach.fitconnect.models import FcClient, FcDestination, FcEvent, FcKey, FcSubmission
from services.postfach.fitconnect.problems import SUBMISSION_PROBLEMS, fc_problem
from services.postfach.fitconnect.state import FitConnectDep

router = control_router()


class DestinationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    ars: str | None = Field(None, pattern=r"^\d{12}$")
    key_bits: Literal[2048, 3072, 4096] | None = Field(None, description="Default: the service's key_bits setting")
    callback: CallbackIn | None = None
    technical_contact_email: str = Field("fitconnect-technik@zustellpunkt.example", max_length=320)
    destination_id: uuid.UUID | None = Field(None, description="Default: a new random id. With a fixed id (a seed "
                                             "folder's) the destination gets its keys of earlier registrations back")


@router.post("/fitconnect/destinations", name="fitconnect_control_create_destination", status_code=201,
             responses={409: {"description": "A destination with this destination_id exists"}})
async def create_destination(body: DestinationIn, session: SessionDep, fc: FitConnectDep) -> dict[str, Any]:
    """A new active destination with keys and a subscriber client linked to it."""
    now = fc.runtime.clock.now()
    destination_id = str(body.destination_id or uuid.uuid4())
    if await session.get(FcDestination, destination_id) is not None:
        raise Problem(409, f"Destination {destination_id} exists.", type_="destination-exists")
    bits = body.key_bits or fc.settings.key_bits
    if body.callback is not None:
        _check_callback_url(body.callback.url)
    # Keys outlive a reset (fc_keys is kept): a destination registered again under its id keeps them, and a reset
    # does not cost a new RSA generation.
    stored = {r.purpose for r in (await session.scalars(select(FcKey).where(FcKey.owner == destination_id))).all()}
    if not {ENC, SIG} <= stored or any([await fc.keys.get(destination_id, p, session) is None for p in (ENC, SIG)]):
        session.add_all(await fc.keys.generate(destination_id, (ENC, SIG), bits, now))
    contact = {**seed.contact_information(body.name, "zustellpunkt"),
               "technicalContactEmail": body.technical_contact_email}
    destination = FcDestination(
        destination_id=destination_id, name=body.name, status="active", key_bits=bits, ars=body.ars,
        public_services=seed.public_services(body.ars), contact_information=contact,
        metadata_versions=seed.METADATA_VERSIONS, reply_channels=seed.REPLY_CHANNELS,
        callback_url=body.callback.url if body.callback else None,
        callback_secret=body.callback.secret if body.callback else None, forced_outcome=None, seeded=False,
        created_at=now)
    session.add(destination)
    client_id = f"fitconnect-subscriber-{destination_id}"
    secret = f"{client_id}-secret"
    session.add(FcClient(client_id=client_id, client_secret=secret, role="subscriber",
                         name=f"Fachverfahren {body.name}", destinations=[destination_id], seeded=False,
                         created_at=now))
    await session.flush()
    return {"destination": await describe(session, fc, destination, "v2", for_subscriber=True),
            "subscriber": {"client_id": client_id, "client_secret": secret}}


@router.get("/fitconnect/destinations/{destination_id}/private-keys", name="fitconnect_control_private_keys")
async def private_keys(destination_id: str, session: SessionDep, fc: FitConnectDep) -> dict[str, Any]:
    """The destination's private keys as JWKs: only the emulator hands these out (for test subscribers)."""
    await get_destination(session, destination_id)
    enc, sig = (await fc.keys.get(destination_id, ENC, session), await fc.keys.get(destination_id, SIG, session))
    if enc is None or sig is None:
        raise fc_problem(404, "key-not-found", "The destination has no keys.")
    return {"encryption": enc.private_jwk(), "signing": sig.private_jwk()}


class Behaviour(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["normal", "reject", "403", "429", "500", "503"]
    times: int | None = Field(None, ge=1, description="For 403/429/5xx: fire this many times, then stop")


_FAULT_SLUGS = {"403": "insufficient-privileges", "429": "too-many-requests", "500": "destination-unavailable",
                "503": "destination-unavailable"}


@router.post("/fitconnect/destinations/{destination_id}/behaviour", name="fitconnect_control_behaviour")
async def behaviour(destination_id: str, body: Behaviour, session: SessionDep, fc: FitConnectDep) -> dict[str, Any]:
    """reject: every submission is rejected by the service on submit; 403/429/5xx: requests that touch the
    destination fail with that status (a kit fault on operation ``fitconnect.destination.<id>``)."""
    destination = await get_destination(session, destination_id)
    operation = f"fitconnect.destination.{destination_id}"
    faults = fc.runtime.faults
    for fault in faults.list():
        if fault.operation == operation:
            faults.remove(fault.id)
    destination.forced_outcome = "reject" if body.mode == "reject" else None
    fault_id = None
    if body.mode in _FAULT_SLUGS:
        fault = faults.add(FaultSpec(operation=operation, status=int(body.mode), times=body.times,
                                     type=SUBMISSION_PROBLEMS + _FAULT_SLUGS[body.mode],
                                     detail=f"The destination answers {body.mode} (emulator control)."))
        fault_id = fault.id
    return {"destinationId": destination_id, "mode": body.mode, "fault": fault_id}


@router.get("/fitconnect/callbacks", name="fitconnect_control_callbacks")
async def callbacks_sent(request: Request, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Callbacks queued and sent, newest first, with delivery state (the secret never appears)."""
    messages = await request.app.state.runtime.outbox.list_messages(limit=1000)
    return [m for m in messages if m["channel"] == CHANNEL][:limit]


@router.get("/fitconnect/submissions", name="fitconnect_control_submissions")
async def submissions(session: SessionDep, destinationId: str | None = None,
                      limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Submissions with their state and the client quirks the service noticed (warnings)."""
    query = select(FcSubmission).order_by(FcSubmission.created_at.desc()).limit(limit)
    if destinationId:
        query = query.where(FcSubmission.destination_id == destinationId)

    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value else None

    return [{"submissionId": s.submission_id, "caseId": s.case_id, "destinationId": s.destination_id,
             "sender": s.sender_client_id, "apiVersion": s.api_version, "status": s.status, "warnings": s.warnings,
             "createdAt": iso(s.created_at), "submittedAt": iso(s.submitted_at),
             "contactNotifiedAt": iso(s.contact_notified_at)}
            for s in (await session.scalars(query)).all()]


@router.get("/fitconnect/events", name="fitconnect_control_events")
async def events(session: SessionDep, caseId: str | None = None, submissionId: str | None = None,
                 limit: int = Query(200, ge=1, le=1000)) -> list[dict[str, Any]]:
    """The event logs of all cases, newest first: each Security Event Token as issued (compact JWS) with its event
    and issuer; ``caseId`` or ``submissionId`` narrows to one case. Unlike the Submission API, no timer runs."""
    query = select(FcEvent).order_by(FcEvent.id.desc()).limit(limit)
    if caseId:
        query = query.where(FcEvent.case_id == caseId.lower())
    if submissionId:
        query = query.where(FcEvent.submission_id == submissionId.lower())
    return [{"jti": e.jti, "caseId": e.case_id, "submissionId": e.submission_id, "event": e.event,
             "issuer": e.issuer, "issuedAt": e.created_at.isoformat().replace("+00:00", "Z"), "token": e.token}
            for e in (await session.scalars(query)).all()]


@router.get("/fitconnect/client-quirks", name="fitconnect_control_client_quirks")
async def client_quirks(fc: FitConnectDep) -> dict[str, list[str]]:
    """Habits of API clients the service tolerates but reports (per client id), e.g. a token per request."""
    return fc.client_quirks


@router.post("/fitconnect/sweep", name="fitconnect_control_sweep")
async def sweep(session: SessionDep, fc: FitConnectDep) -> dict[str, int]:
    """Apply the timers now (3-day notification, 14-day auto-reject) instead of waiting for the next sweep."""
    return {"changed": await timers.sweep(session, fc)}


class RateLimit(BaseModel):
    limit: int = Field(ge=1, le=1_000_000)
    window_seconds: int = Field(ge=1, le=86_400)


@router.post("/fitconnect/routing/rate-limit", name="fitconnect_control_rate_limit")
async def rate_limit(body: RateLimit, fc: FitConnectDep) -> dict[str, int]:
    fc.limiter.configure(body.limit, body.window_seconds)
    return {"limit": body.limit, "window_seconds": body.window_seconds}
