"""Delivering a message_v6 into a mailbox (no HTTP here): find or create the mailbox, check the attachments against
the signed listing, seal envelope and files, write the trail's first events (provided, notified) and the
notification e-mail — all in the caller's transaction, so a failed delivery leaves nothing behind."""

import json
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from kit.zbp import sha512_hex
from services.postfach.mailbox import bekanntgabe, notify, repository, trail
from services.postfach.mailbox.envelope import VerifiedEnvelope, unprocessable
from services.postfach.mailbox.models import Attachment, Mailbox, Message, StatusUpdate
from services.postfach.mailbox.schemas import MessageV6, StatusV6
from services.postfach.mailbox.state import MailboxState


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    data: bytes
    media_type: str


def mailbox_not_found(mailbox_uuid: str) -> Problem:
    return Problem(404, f"There is no mailbox {mailbox_uuid}.", type_="mailbox-not-found", title="Mailbox not found",
                   mailboxUuid=mailbox_uuid)


async def resolve_mailbox(session: AsyncSession, state: MailboxState, mailbox_uuid: str) -> Mailbox:
    """The mailbox with this UUID; a citizen's or company's is created on its first message if the Nutzerkonto
    knows the person whose postkorb handle it is."""
    mailbox_uuid = mailbox_uuid.lower()
    mailbox = await repository.get_mailbox(session, mailbox_uuid)
    if mailbox is not None:
        return mailbox
    owner = await state.directory.owner(mailbox_uuid)
    if owner is None:
        raise mailbox_not_found(mailbox_uuid)
    return await repository.add_mailbox_if_missing(session, Mailbox(
        uuid=mailbox_uuid, kind=owner.kind, display_name=owner.display_name, identity_id=owner.identity_id, ars=None,
        notification_email=owner.mail, seeded=False, created_at=state.runtime.clock.now()))


def _check_files(listed: MessageV6, files: list[UploadedFile], state: MailboxState) -> None:
    settings = state.settings
    if len(files) > settings.max_attachments:
        raise Problem(413, f"At most {settings.max_attachments} attachments per message.", type_="too-many-attachments",
                      title="Content Too Large")
    for file in files:
        if len(file.data) > settings.max_attachment_bytes:
            raise Problem(413, f"The attachment {file.filename!r} exceeds {settings.max_attachment_bytes} bytes.",
                          type_="attachment-too-large", title="Content Too Large",
                          max_bytes=settings.max_attachment_bytes)
    names = [a.filename for a in listed.attachments]
    errors: list[dict[str, str]] = []
    if len(set(names)) != len(names):
        errors.append({"pointer": "/message/content/attachments", "detail": "filenames must be unique"})
    uploaded = {f.filename: f for f in files}
    if len(uploaded) != len(files):
        errors.append({"pointer": "/attachments", "detail": "two uploaded files have the same filename"})
    for index, ref in enumerate(listed.attachments):
        file = uploaded.get(ref.filename)
        pointer = f"/message/content/attachments/{index}"
        if file is None:
            errors.append({"pointer": pointer, "detail": f"no uploaded file named {ref.filename!r}"})
        elif len(file.data) != ref.contentLength:
            errors.append({"pointer": pointer + "/contentLength",
                           "detail": f"the file has {len(file.data)} bytes, not {ref.contentLength}"})
        elif sha512_hex(file.data) != ref.sha512sum:
            errors.append({"pointer": pointer + "/sha512sum", "detail": "the SHA-512 of the file differs"})
    for name in sorted(set(uploaded) - set(names)):
        errors.append({"pointer": "/attachments", "detail": f"the file {name!r} is not listed in the message"})
    if errors:
        raise unprocessable("The attachments do not match the signed message.", errors, type_="attachment-mismatch")


def _bekanntgabe_line(message: Message, state: MailboxState) -> str:
    result = bekanntgabe.compute(message, message.provided_at,
                                 window_days=state.settings.bekanntgabe_retrieval_window_days)
    if result.rule == bekanntgabe.OZG9 and result.date is not None:
        return (f"Die Nachricht gilt am {result.date.strftime('%d.%m.%Y')} als bekannt gegeben "
                "(§ 9 Abs. 1 OZG).\n\n")
    if result.rule == bekanntgabe.VWVFG41_2A and result.retrieval_deadline is not None:
        deadline = bekanntgabe.local_date(result.retrieval_deadline).strftime("%d.%m.%Y")
        return (f"Bitte rufen Sie die Nachricht bis zum {deadline} ab; sie gilt am Tag nach dem Abruf als bekannt "
                "gegeben (§ 41 Abs. 2a VwVfG).\n\n")
    return ""


async def deliver(session: AsyncSession, state: MailboxState, *, verified: VerifiedEnvelope, fields: MessageV6,
                  files: list[UploadedFile], client_id: str, rule: str, inbox_url: str) -> Message:
    _check_files(fields, files, state)
    now = state.runtime.clock.now()
    mailbox = await resolve_mailbox(session, state, fields.mailboxUuid)
    sealer = await state.sealer(session)
    message_id = str(uuid.uuid4())
    days = state.settings.bekanntgabe_ozg9_days if rule == bekanntgabe.OZG9 else None
    message = Message(
        id=message_id, mailbox_uuid=mailbox.uuid, direction="inbound", sender_client_id=client_id,
        stork_qaa_level=fields.stork_qaa_level,
        application_id=fields.applicationId.lower() if fields.applicationId else None, in_reply_to=None,
        sealed_envelope=sealer.seal(json.dumps(verified.raw).encode(), bound_to=message_id),
        bekanntgabe_rule=rule, bekanntgabe_status="pending", bekanntgabe_days=days, provided_at=now,
        notified_at=now, retrieved_at=None, read_at=None, trail_head=trail.GENESIS, trail_seq=0)
    message.bekanntgabe_due_at = bekanntgabe.next_change(
        message, window_days=state.settings.bekanntgabe_retrieval_window_days)
    session.add(message)
    await session.flush()  # the attachments and events refer to it (no ORM relationships order the inserts)
    by_name = {f.filename: f for f in files}
    for position, ref in enumerate(fields.attachments):
        file = by_name[ref.filename]
        attachment_id = str(uuid.uuid4())
        session.add(Attachment(id=attachment_id, message_id=message_id, position=position, filename=ref.filename,
                               media_type=file.media_type, content_length=ref.contentLength,
                               sha512sum=ref.sha512sum, sealed_data=sealer.seal(file.data, bound_to=attachment_id)))
    session.add(trail.new_event(message, trail.PROVIDED, now, {
        "sender": client_id, "signer": verified.signer, "contentSha512": sha512_hex(verified.raw["content"]
                                                                                          .encode()),
        "attachments": [{"filename": a.filename, "sha512sum": a.sha512sum} for a in fields.attachments],
        "bekanntgabeRule": rule, "bekanntgabeDays": message.bekanntgabe_days}))
    mail = notify.arrival_mail(session, state.runtime, mailbox, message, title=fields.title, sender=fields.sender,
                               inbox_url=inbox_url, bekanntgabe_line=_bekanntgabe_line(message, state))
    session.add(trail.new_event(message, trail.NOTIFIED, now,
                                {"channel": "email", "to": mail.to} if mail is not None else {"channel": "postfach"}))
    return message


async def record_status(session: AsyncSession, state: MailboxState, *, verified: VerifiedEnvelope, fields: StatusV6,
                        client_id: str) -> StatusUpdate:
    update = StatusUpdate(id=str(uuid.uuid4()), application_id=fields.applicationId.lower(), sender_client_id=client_id,
                          signer=verified.signer, fields=fields.model_dump(exclude_none=True),
                          received_at=state.runtime.clock.now())
    session.add(update)
    return update


def status_json(update: StatusUpdate) -> dict[str, object]:
    return {"statusId": update.id, **update.fields, "receivedAt": trail.iso(update.received_at),
            "sender": update.sender_client_id}
