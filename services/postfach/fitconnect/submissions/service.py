"""The life of a submission, without HTTP: announce (created), upload attachments, submit (submitted), fetch by
the subscriber (forwarded), accept or reject (by the subscriber, or by the service), then the encrypted content
is deleted. Every step appends a SET to the case's event log. State changes are conditional updates, so two
racing requests cannot both move a submission.

The delivery service never decrypts: it checks the structure of each JWE (five parts, ``alg``/``enc``/``cty``,
the destination's ``kid``) and tolerates, with a warning, what real clients do (``zip: DEF``, an RFC 7638
thumbprint as ``kid``, submissions without ``encryptedData``).
"""

import logging
import re
import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.postfach.fitconnect import callbacks, timers
from services.postfach.fitconnect.destinations.service import active_destination, get_destination
from services.postfach.fitconnect.events import sets
from services.postfach.fitconnect.jose import JweError, inspect_jwe, thumbprint
from services.postfach.fitconnect.keys import ENC
from services.postfach.fitconnect.models import FcAttachment, FcDestination, FcEvent, FcSubmission
from services.postfach.fitconnect.oauth import Principal
from services.postfach.fitconnect.problems import fc_problem, not_found
from services.postfach.fitconnect.state import FitConnect
from services.postfach.fitconnect.submissions.schemas import CreateSubmission, SubmitSubmission

log = logging.getLogger("basisdienste.postfach.fitconnect")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
AVAILABLE = ("submitted", "forwarded")
METADATA_CTY = ("application/json",)
DATA_CTY = ("application/json", "application/xml")


def _warn(submission: FcSubmission, warning: str) -> None:
    if warning not in submission.warnings:
        log.warning("FIT-Connect client quirk on submission %s: %s", submission.submission_id, warning)
        submission.warnings = [*submission.warnings, warning]


def service_field(version: str) -> str:
    return "publicService" if version == "v2" else "serviceType"


async def create(session: AsyncSession, fc: FitConnect, principal: Principal, version: str,
                 body: CreateSubmission) -> FcSubmission:
    principal.require_sender()
    destination = await active_destination(session, fc, str(body.destinationId))
    service = body.publicService if version == "v2" else body.serviceType
    if service is None:
        # Tolerate the other version's field name, as clients mixing v1 and v2 exist.
        service = body.serviceType or body.publicService
    if service is None:
        raise fc_problem(422, "validation-error", f"{service_field(version)} is required.")
    offered = {s["identifier"] for s in destination.public_services}
    if service.identifier not in offered:
        raise fc_problem(422, "service-type-not-allowed", f"The destination does not accept {service.identifier}.",
                         offered=sorted(offered))
    ids = body.announcedAttachments
    if len(ids) > fc.settings.max_announced_attachments:
        raise fc_problem(422, "validation-error",
                         f"At most {fc.settings.max_announced_attachments} attachments can be announced.")
    if not all(_UUID.match(a) for a in ids):
        raise fc_problem(422, "validation-error", "announcedAttachments must be UUIDs.")
    normalised = [a.lower() for a in ids]
    if len(set(normalised)) != len(normalised):
        duplicates = sorted({a for a in normalised if normalised.count(a) > 1})
        raise fc_problem(422, "duplicate-attachment-ids", "Each announced attachment needs its own id; a second "
                         "upload under the same id would replace the first.", duplicates=duplicates)
    if body.bidirectional and "fitConnect" not in destination.reply_channels:
        raise fc_problem(422, "reply-channel-not-allowed", "The destination offers no FIT-Connect reply channel.")
    now = fc.runtime.clock.now()
    submission = FcSubmission(
        submission_id=str(uuid.uuid4()), case_id=str(uuid.uuid4()), destination_id=destination.destination_id,
        sender_client_id=principal.client_id, api_version=version,
        public_service={"identifier": service.identifier, "name": service.name}, region=body.region,
        announced_attachments=normalised, bidirectional=body.bidirectional, status="created",
        encrypted_metadata=None, encrypted_data=None, warnings=[], created_at=now, submitted_at=None,
        forwarded_at=None, contact_notified_at=None, finished_at=None)
    session.add(submission)
    await sets.issue(session, fc, submission, "create-submission")
    return submission


async def _own_submission(session: AsyncSession, principal: Principal, submission_id: str) -> FcSubmission:
    submission = await session.get(FcSubmission, submission_id.lower()) if _UUID.match(submission_id) else None
    if submission is None or submission.sender_client_id != principal.client_id:
        raise not_found("submission", submission_id)
    return submission


async def _check_jwe(session: AsyncSession, fc: FitConnect, submission: FcSubmission, token: str, what: str,
                     allowed_cty: tuple[str, ...] | None) -> str:
    try:
        jwe = inspect_jwe(token)
    except JweError as exc:
        raise fc_problem(422, "invalid-jwe", f"The {what} is not a usable JWE: {exc}.") from exc
    key = await fc.keys.get(submission.destination_id, ENC, session)
    kid = jwe.header.get("kid")
    if key is not None and kid != key.kid:
        if kid == thumbprint(key.public_jwk()):
            _warn(submission, "kid is the RFC 7638 thumbprint of the encryption key, not its kid")
        elif kid is None:
            _warn(submission, "the JWE header names no kid")
        else:
            raise fc_problem(422, "invalid-jwe", f"The {what} is encrypted for a key ({str(kid)[:80]}) that is not "
                             "the destination's encryption key.")
    if jwe.header.get("zip") == "DEF":
        _warn(submission, "zip: DEF (compression before encryption) in the JWE header")
    if allowed_cty is not None and jwe.header.get("cty") not in allowed_cty:
        raise fc_problem(422, "invalid-content-type", f"The JWE header of the {what} must carry cty "
                         f"{' or '.join(allowed_cty)}, not {str(jwe.header.get('cty'))[:60]}.")
    return jwe.token


async def upload_attachment(session: AsyncSession, fc: FitConnect, principal: Principal, submission_id: str,
                            attachment_id: str, content_type: str, body: bytes) -> None:
    submission = await _own_submission(session, principal, submission_id)
    if submission.status != "created":
        raise fc_problem(409, "submission-state-invalid", "Attachments can be uploaded only before submitting.")
    attachment_id = attachment_id.lower()
    if attachment_id not in submission.announced_attachments:
        raise fc_problem(404, "attachment-not-found", f"The attachment {attachment_id} was not announced.")
    if content_type.split(";")[0].strip().lower() != "application/jose":
        raise fc_problem(415, "unsupported-media-type", "Attachments are uploaded as application/jose (a JWE).")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise fc_problem(422, "invalid-jwe", "A compact JWE is ASCII.") from exc
    token = await _check_jwe(session, fc, submission, text, f"attachment {attachment_id}", None)
    existing = await session.get(FcAttachment, (submission.submission_id, attachment_id))
    if existing is not None:
        if existing.content == token:
            return  # the same upload again (a client retrying): nothing changes
        raise fc_problem(409, "attachment-already-uploaded", f"The attachment {attachment_id} is already uploaded.")
    session.add(FcAttachment(submission_id=submission.submission_id, attachment_id=attachment_id, content=token,
                             created_at=fc.runtime.clock.now()))


async def submit(session: AsyncSession, fc: FitConnect, principal: Principal, submission_id: str,
                 body: SubmitSubmission) -> FcSubmission:
    submission = await _own_submission(session, principal, submission_id)
    destination = await active_destination(session, fc, submission.destination_id)
    if submission.status != "created":
        raise fc_problem(409, "submission-state-invalid", f"The submission is {submission.status} already.")
    metadata = await _check_jwe(session, fc, submission, body.encryptedMetadata, "metadata", METADATA_CTY)
    data = None
    if body.encryptedData is None:
        _warn(submission, "no encryptedData (tolerated as FIT-Connect does; the metadata must then describe "
                          "the content through attachments)")
    else:
        data = await _check_jwe(session, fc, submission, body.encryptedData, "data", DATA_CTY)
    uploaded = set((await session.scalars(select(FcAttachment.attachment_id).where(
        FcAttachment.submission_id == submission.submission_id))).all())
    missing = [a for a in submission.announced_attachments if a not in uploaded]
    if missing:
        raise fc_problem(422, "missing-attachments", "Announced attachments have not been uploaded.",
                         missingAttachments=missing)
    now = fc.runtime.clock.now()
    moved = await session.execute(update(FcSubmission).where(
        FcSubmission.submission_id == submission.submission_id, FcSubmission.status == "created").values(
        status="submitted", submitted_at=now, encrypted_metadata=metadata, encrypted_data=data,
        warnings=submission.warnings).execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise fc_problem(409, "submission-state-invalid", "The submission was submitted concurrently.")
    submission.status, submission.submitted_at = "submitted", now
    submission.encrypted_metadata, submission.encrypted_data = metadata, data
    await sets.issue(session, fc, submission, "submit-submission")
    if destination.forced_outcome == "reject":
        await finish(session, fc, submission, "reject-submission", {
            "problems": [sets.reject_problem("technical-error", "Technischer Fehler",
                                             "Der Zustellpunkt weist Einreichungen ab (Emulator-Steuerung).",
                                             f"submission:{submission.submission_id}")]}, by_service=True)
    elif callbacks.enqueue_new_submission(session, fc, destination, submission):
        await sets.issue(session, fc, submission, "notify-submission")
    return submission


async def finish(session: AsyncSession, fc: FitConnect, submission: FcSubmission, name: str,
                 payload: dict[str, Any], *, by_service: bool, token: str | None = None,
                 jti: str | None = None) -> None:
    """Accept or reject: move the state once, record the event, then delete the encrypted content."""
    status = "accepted" if name == "accept-submission" else "rejected"
    now = fc.runtime.clock.now()
    moved = await session.execute(update(FcSubmission).where(
        FcSubmission.submission_id == submission.submission_id, FcSubmission.status.in_(AVAILABLE)).values(
        status=status, finished_at=now, encrypted_metadata=None, encrypted_data=None)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise fc_problem(409, "submission-state-invalid", f"The submission is {submission.status}; only a "
                         "submitted or forwarded submission can be accepted or rejected.")
    if by_service:
        await sets.issue(session, fc, submission, name, payload)
    else:
        assert token is not None and jti is not None
        session.add(FcEvent(jti=jti, case_id=submission.case_id, submission_id=submission.submission_id, event=name,
                            issuer=submission.destination_id, token=token, created_at=now))
    await session.execute(delete(FcAttachment).where(FcAttachment.submission_id == submission.submission_id))
    submission.status = status
    await sets.issue(session, fc, submission, "delete-submission")


# -- subscriber ---------------------------------------------------------------------------------------------


async def _readable(session: AsyncSession, principal: Principal, submission_id: str) -> FcSubmission:
    submission = await session.get(FcSubmission, submission_id.lower()) if _UUID.match(submission_id) else None
    if submission is None:
        raise not_found("submission", submission_id)
    principal.require_subscriber_of(submission.destination_id)
    return submission


async def list_available(session: AsyncSession, fc: FitConnect, principal: Principal, destination_id: str | None,
                         offset: int, limit: int) -> dict[str, Any]:
    if destination_id is not None:
        await get_destination(session, destination_id)
        principal.require_subscriber_of(destination_id)
        destinations = [destination_id]
    else:
        destinations = sorted(principal.destinations)
        if not destinations:
            raise fc_problem(403, "insufficient-privileges", "This client is linked to no destination.")
    await timers.sweep(session, fc)
    where = (FcSubmission.destination_id.in_(destinations), FcSubmission.status.in_(AVAILABLE))
    total = (await session.execute(select(func.count()).select_from(FcSubmission).where(*where))).scalar_one()
    rows = (await session.execute(select(FcSubmission.destination_id, FcSubmission.submission_id,
                                         FcSubmission.case_id).where(*where)
                                  .order_by(FcSubmission.submitted_at, FcSubmission.submission_id)
                                  .offset(offset).limit(limit))).all()
    return {"count": len(rows), "offset": offset, "totalCount": total,
            "submissions": [{"destinationId": d, "submissionId": s, "caseId": c} for d, s, c in rows]}


async def fetch(session: AsyncSession, fc: FitConnect, principal: Principal, submission_id: str) -> dict[str, Any]:
    submission = await _readable(session, principal, submission_id)
    await timers.sweep(session, fc)
    await session.refresh(submission)
    if submission.status == "created":
        raise fc_problem(409, "submission-state-invalid", "The submission has not been submitted yet.")
    if submission.status == "submitted":
        now = fc.runtime.clock.now()
        moved = await session.execute(update(FcSubmission).where(
            FcSubmission.submission_id == submission.submission_id, FcSubmission.status == "submitted")
            .values(status="forwarded", forwarded_at=now).execution_options(synchronize_session=False))
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            submission.status, submission.forwarded_at = "forwarded", now
            await sets.issue(session, fc, submission, "forward-submission")
    attachments = (await session.scalars(select(FcAttachment.attachment_id).where(
        FcAttachment.submission_id == submission.submission_id))).all()
    return {"destinationId": submission.destination_id, "submissionId": submission.submission_id,
            "caseId": submission.case_id, service_field(submission.api_version): submission.public_service,
            "region": submission.region, "bidirectional": submission.bidirectional,
            "attachments": submission.announced_attachments if submission.status in AVAILABLE else list(attachments),
            "encryptedMetadata": submission.encrypted_metadata, "encryptedData": submission.encrypted_data}


async def fetch_attachment(session: AsyncSession, principal: Principal, submission_id: str,
                           attachment_id: str) -> str:
    submission = await _readable(session, principal, submission_id)
    attachment = await session.get(FcAttachment, (submission.submission_id, attachment_id.lower()))
    if attachment is None:
        raise fc_problem(404, "attachment-not-found", f"The attachment {attachment_id} does not exist (any more).")
    return attachment.content


async def destination_of(session: AsyncSession, submission: FcSubmission) -> FcDestination:
    return await get_destination(session, submission.destination_id)
