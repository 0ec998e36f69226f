"""Replies without HTTP: the destination's subscriber announces (created), uploads attachments and submits
(submitted) a reply to a bidirectional submission; the sender of that submission lists and fetches it. Like
submissions, the service sees only JWEs and checks their structure."""

import re
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.postfach.fitconnect.jose import JweError, inspect_jwe
from services.postfach.fitconnect.models import FcReply, FcSubmission
from services.postfach.fitconnect.oauth import Principal
from services.postfach.fitconnect.problems import fc_problem, not_found
from services.postfach.fitconnect.state import FitConnect
from services.postfach.fitconnect.submissions.schemas import CreateReply, SubmitSubmission

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _jwe(token: str, what: str, cty: tuple[str, ...] | None) -> str:
    try:
        jwe = inspect_jwe(token)
    except JweError as exc:
        raise fc_problem(422, "invalid-jwe", f"The {what} is not a usable JWE: {exc}.") from exc
    if cty is not None and jwe.header.get("cty") not in cty:
        raise fc_problem(422, "invalid-content-type", f"The JWE header of the {what} must carry cty "
                         f"{' or '.join(cty)}.")
    return jwe.token


async def create(session: AsyncSession, fc: FitConnect, principal: Principal, body: CreateReply) -> FcReply:
    submission = (await session.scalars(select(FcSubmission).where(
        FcSubmission.case_id == str(body.caseId)))).first()
    if submission is None:
        raise fc_problem(404, "case-not-found", f"The case {body.caseId} does not exist.")
    principal.require_subscriber_of(submission.destination_id)
    if not submission.bidirectional:
        raise fc_problem(422, "reply-channel-not-allowed", "The sender did not ask for replies over FIT-Connect "
                         "(bidirectional) when it created the submission.")
    if submission.status in ("created",):
        raise fc_problem(409, "submission-state-invalid", "The submission has not been submitted yet.")
    ids = [a.lower() for a in body.announcedAttachments]
    if not all(_UUID.match(a) for a in ids) or len(set(ids)) != len(ids):
        raise fc_problem(422, "duplicate-attachment-ids", "announcedAttachments must be distinct UUIDs.")
    reply = FcReply(reply_id=str(uuid.uuid4()), case_id=submission.case_id, submission_id=submission.submission_id,
                    destination_id=submission.destination_id, sender_client_id=submission.sender_client_id,
                    announced_attachments=ids, status="created", encrypted_metadata=None, encrypted_data=None,
                    attachments={}, created_at=fc.runtime.clock.now(), submitted_at=None)
    session.add(reply)
    return reply


async def _authored(session: AsyncSession, principal: Principal, reply_id: str) -> FcReply:
    reply = await session.get(FcReply, reply_id.lower())
    if reply is None:
        raise not_found("reply", reply_id)
    principal.require_subscriber_of(reply.destination_id)
    return reply


async def upload_attachment(session: AsyncSession, principal: Principal, reply_id: str, attachment_id: str,
                            content_type: str, body: bytes) -> None:
    reply = await _authored(session, principal, reply_id)
    attachment_id = attachment_id.lower()
    if reply.status != "created":
        raise fc_problem(409, "submission-state-invalid", "The reply has been sent already.")
    if attachment_id not in reply.announced_attachments:
        raise fc_problem(404, "attachment-not-found", f"The attachment {attachment_id} was not announced.")
    if content_type.split(";")[0].strip().lower() != "application/jose":
        raise fc_problem(415, "unsupported-media-type", "Attachments are uploaded as application/jose (a JWE).")
    token = _jwe(body.decode("ascii", errors="replace"), f"attachment {attachment_id}", None)
    if attachment_id in reply.attachments and reply.attachments[attachment_id] != token:
        raise fc_problem(409, "attachment-already-uploaded", f"The attachment {attachment_id} is already uploaded.")
    reply.attachments = {**reply.attachments, attachment_id: token}


async def submit(session: AsyncSession, fc: FitConnect, principal: Principal, reply_id: str,
                 body: SubmitSubmission) -> FcReply:
    reply = await _authored(session, principal, reply_id)
    metadata = _jwe(body.encryptedMetadata, "metadata", ("application/json",))
    data = _jwe(body.encryptedData, "data", ("application/json", "application/xml")) if body.encryptedData else None
    missing = [a for a in reply.announced_attachments if a not in reply.attachments]
    if missing:
        raise fc_problem(422, "missing-attachments", "Announced attachments have not been uploaded.",
                         missingAttachments=missing)
    moved = await session.execute(update(FcReply).where(FcReply.reply_id == reply.reply_id,
                                                        FcReply.status == "created").values(
        status="submitted", submitted_at=fc.runtime.clock.now(), encrypted_metadata=metadata, encrypted_data=data)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise fc_problem(409, "submission-state-invalid", "The reply has been sent already.")
    await session.refresh(reply)
    return reply


async def _received(session: AsyncSession, principal: Principal, reply_id: str) -> FcReply:
    reply = await session.get(FcReply, reply_id.lower())
    if reply is None or reply.sender_client_id != principal.client_id or reply.status != "submitted":
        raise not_found("reply", reply_id)
    return reply


async def list_received(session: AsyncSession, principal: Principal, offset: int, limit: int) -> dict[str, Any]:
    where = (FcReply.sender_client_id == principal.client_id, FcReply.status == "submitted")
    total = (await session.execute(select(func.count()).select_from(FcReply).where(*where))).scalar_one()
    rows = (await session.execute(select(FcReply.reply_id, FcReply.case_id, FcReply.submission_id).where(*where)
                                  .order_by(FcReply.submitted_at).offset(offset).limit(limit))).all()
    return {"count": len(rows), "offset": offset, "totalCount": total,
            "replies": [{"replyId": r, "caseId": c, "submissionId": s} for r, c, s in rows]}


async def fetch(session: AsyncSession, principal: Principal, reply_id: str) -> dict[str, Any]:
    reply = await _received(session, principal, reply_id)
    return {"replyId": reply.reply_id, "caseId": reply.case_id, "submissionId": reply.submission_id,
            "destinationId": reply.destination_id, "attachments": reply.announced_attachments,
            "encryptedMetadata": reply.encrypted_metadata, "encryptedData": reply.encrypted_data}


async def fetch_attachment(session: AsyncSession, principal: Principal, reply_id: str, attachment_id: str) -> str:
    reply = await _received(session, principal, reply_id)
    content = reply.attachments.get(attachment_id.lower())
    if content is None:
        raise fc_problem(404, "attachment-not-found", f"The reply has no attachment {attachment_id}.")
    return content
