"""Issuing and verifying FIT-Connect Security Event Tokens.

Claims per FIT-Connect: ``$schema`` (set-payload 1.0.0), ``jti``, ``iss``, ``iat``, ``sub`` = ``submission:<id>``,
``txn`` = ``case:<id>`` and ``events`` with exactly one event URI. ``iss`` is the delivery service's URL when the
service signs (its key is in ``/.well-known/jwks.json``) and the destination id when the subscriber signs (with the
destination's signature key). Accept and reject carry ``authenticationTags`` — the last segment of each JWE — so
the subscriber states which ciphertexts it judged.
"""

import asyncio
import datetime as dt
import logging
import uuid
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.postfach.fitconnect import jose
from services.postfach.fitconnect.keys import SERVICE, SIG
from services.postfach.fitconnect.models import FcAttachment, FcEvent, FcSubmission
from services.postfach.fitconnect.problems import EVENT_PROBLEMS, fc_problem
from services.postfach.fitconnect.state import FitConnect

log = logging.getLogger("basisdienste.postfach.fitconnect")

EVENTS = "https://schema.fitko.de/fit-connect/events/"
SET_SCHEMA = "https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json"
SET_TYP = "secevent+jwt"
SERVICE_EVENTS = frozenset({"create-submission", "submit-submission", "notify-submission", "forward-submission",
                            "reject-submission", "delete-submission"})
SUBSCRIBER_EVENTS = frozenset({"accept-submission", "reject-submission"})


def event_uri(name: str) -> str:
    return EVENTS + name


def reject_problem(slug: str, title: str, detail: str, instance: str) -> dict[str, str]:
    return {"type": EVENT_PROBLEMS + slug, "title": title, "detail": detail, "instance": instance}


async def issue(session: AsyncSession, fc: FitConnect, submission: FcSubmission, name: str,
                payload: dict[str, Any] | None = None) -> FcEvent:
    """Sign an event as the delivery service and append it to the case's log (in the caller's transaction)."""
    assert name in SERVICE_EVENTS, name
    key = await fc.keys.get(SERVICE, SIG, session)
    if key is None:
        raise RuntimeError("the delivery service has no signing key")
    now = fc.runtime.clock.now()
    claims = {"$schema": SET_SCHEMA, "jti": str(uuid.uuid4()), "iss": fc.submission_api_url,
              "iat": int(now.timestamp()), "sub": f"submission:{submission.submission_id}",
              "txn": f"case:{submission.case_id}", "events": {event_uri(name): payload or {}}}
    # An RSA-4096 signature takes milliseconds: in a worker thread, the event loop keeps serving meanwhile.
    token = await asyncio.to_thread(jose.sign_jws, claims, key.private_key, key.kid, typ=SET_TYP)
    event = FcEvent(jti=claims["jti"], case_id=submission.case_id, submission_id=submission.submission_id,
                    event=name, issuer=fc.submission_api_url, token=token, created_at=now)
    session.add(event)
    return event


def _invalid(detail: str) -> Exception:
    return fc_problem(422, "invalid-event", detail)


async def authentication_tags(session: AsyncSession, submission: FcSubmission) -> dict[str, Any]:
    """What a subscriber must name in accept/reject: the last segment of every JWE the submission carries."""
    attachments = (await session.scalars(select(FcAttachment).where(
        FcAttachment.submission_id == submission.submission_id))).all()
    tags: dict[str, Any] = {}
    if submission.encrypted_metadata:
        tags["metadata"] = submission.encrypted_metadata.rsplit(".", 1)[1]
    if submission.encrypted_data:
        tags["data"] = submission.encrypted_data.rsplit(".", 1)[1]
    if attachments:
        tags["attachments"] = {a.attachment_id: a.content.rsplit(".", 1)[1] for a in attachments}
    return tags


async def verify_subscriber_event(session: AsyncSession, fc: FitConnect, token: str,
                                  case_id: str) -> tuple[FcSubmission, str, dict[str, Any], dict[str, Any]]:
    """Check a SET posted by a subscriber; answers (submission, event name, event payload, claims)."""
    try:
        header = jose.unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _invalid("the event is not a compact JWS") from exc
    if header.get("typ") != SET_TYP:
        raise _invalid(f"the JWS header typ must be {SET_TYP}")
    if header.get("alg") != "PS512":
        raise _invalid("SETs are signed with PS512")
    submissions = (await session.scalars(select(FcSubmission).where(FcSubmission.case_id == case_id))).all()
    if not submissions:
        raise fc_problem(404, "case-not-found", f"The case {case_id} does not exist.")
    submission = submissions[0]
    key = await fc.keys.get(submission.destination_id, SIG, session)
    if key is None or header.get("kid") != key.kid:
        raise _invalid("the SET is not signed with the signature key of the case's destination")
    try:
        claims = jose.verify_jws(token, key.public_key)
    except jwt.PyJWTError as exc:
        raise _invalid("the signature of the SET does not verify with the destination's key") from exc
    _check_claims(fc, claims, submission)
    if (await session.scalars(select(FcEvent.id).where(FcEvent.jti == claims["jti"]))).first() is not None:
        raise fc_problem(409, "event-replayed", "An event with this jti has been received before.")
    if submission.status not in ("submitted", "forwarded"):
        raise fc_problem(409, "submission-state-invalid", f"The submission is {submission.status}; only a "
                         "submitted or forwarded submission can be accepted or rejected.")
    (uri, payload), = claims["events"].items()
    name = uri.removeprefix(EVENTS)
    if not uri.startswith(EVENTS) or name not in SUBSCRIBER_EVENTS:
        raise _invalid(f"a subscriber may post only {', '.join(sorted(SUBSCRIBER_EVENTS))}")
    if not isinstance(payload, dict):
        raise _invalid("the event's payload must be an object")
    expected = await authentication_tags(session, submission)
    if _normal(payload.get("authenticationTags")) != _normal(expected):
        raise _invalid("authenticationTags do not match the last segments of the submission's JWEs "
                       "(metadata, data, attachments)")
    if name == "reject-submission":
        problems = payload.get("problems")
        if not isinstance(problems, list) or not problems or not all(
                isinstance(p, dict) and isinstance(p.get("type"), str) for p in problems):
            raise _invalid("a reject-submission event names its problems [{type, title, detail, instance}]")
    return submission, name, payload, claims


def _normal(tags: Any) -> Any:
    # "attachments": {} and no "attachments" say the same thing.
    if isinstance(tags, dict) and tags.get("attachments") == {}:
        return {k: v for k, v in tags.items() if k != "attachments"}
    return tags


def _check_claims(fc: FitConnect, claims: dict[str, Any], submission: FcSubmission) -> None:
    for name in ("jti", "iss", "sub", "txn"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise _invalid(f"the claim {name} is missing")
    if claims.get("$schema") != SET_SCHEMA:
        raise _invalid(f"$schema must be {SET_SCHEMA}")
    if not isinstance(claims.get("iat"), int | float) or isinstance(claims.get("iat"), bool):
        raise _invalid("the claim iat is missing")
    events = claims.get("events")
    if not isinstance(events, dict) or len(events) != 1:
        raise _invalid("events must hold exactly one event")
    if claims["iss"] != submission.destination_id:
        raise _invalid("iss must be the destination id when the subscriber signs")
    if claims["sub"] != f"submission:{submission.submission_id}":
        raise _invalid("sub must be submission:<submissionId> of this case")
    if claims["txn"] != f"case:{submission.case_id}":
        raise _invalid("txn must be case:<caseId>")
    now = fc.runtime.clock.now()
    issued = dt.datetime.fromtimestamp(claims["iat"], dt.UTC)
    window = dt.timedelta(seconds=fc.settings.set_max_age_seconds)
    if issued < now - window:
        raise _invalid("the SET is stale (iat too old)")
    if issued > now + dt.timedelta(seconds=60):
        raise _invalid("the SET is issued in the future")
