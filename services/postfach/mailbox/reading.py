"""Reading mailboxes (no HTTP here): who the caller is (a person with a postkorb handle and a session level, or an
authority's client), which mailbox and message that caller may see, the views of a message, the first retrieval
(retrievedAt, trail event, retrieval confirmation), replies, and the Bekanntgabe events that come due by the clock.

Whatever a caller may not see answers exactly like what does not exist (404), so ids reveal nothing.
"""

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kit.problems import Problem
from services.postfach.mailbox import bekanntgabe, notify, repository, trail
from services.postfach.mailbox.delivery import mailbox_not_found
from services.postfach.mailbox.models import Attachment, Mailbox, Message
from services.postfach.mailbox.schemas import ReplyIn, address_kind
from services.postfach.mailbox.state import MailboxState

_EIDAS_LEVEL = {"low": 1, "substantial": 3, "high": 4}


@dataclass(frozen=True)
class Reader:
    client_id: str
    handle: str | None = None  # the person's postkorb handle
    level: int = 0  # the STORK level of the person's session; 0 for an authority's client
    display_name: str | None = None

    @property
    def is_person(self) -> bool:
        return self.handle is not None


def level_of(acr: object) -> int:
    if isinstance(acr, str):
        if acr.startswith("STORK-QAA-Level-") and acr[-1] in "1234":
            return int(acr[-1])
        if acr.startswith("http://eidas.europa.eu/LoA/"):
            return _EIDAS_LEVEL.get(acr.rsplit("/", 1)[-1], 1)
    return 1


def reader_from_claims(claims: dict[str, Any]) -> Reader:
    """A person's token carries a login (acr) and, with scope bundid, the postkorb handle; a client-credentials
    token has the client as its subject (RFC 9068 §2.2)."""
    client_id = str(claims.get("client_id", ""))
    if "acr" in claims or claims.get("sub") != client_id:
        handle = claims.get("postkorb_handle")
        if not isinstance(handle, str) or not handle:
            raise Problem(403, "The token names no mailbox: log in with scope bundid, so that it carries the "
                          "postkorb_handle.", type_="no-postkorb-handle", title="No mailbox in token")
        return Reader(client_id=client_id, handle=handle.lower(), level=level_of(claims.get("acr")))
    return Reader(client_id=client_id)


def message_not_found(message_id: str) -> Problem:
    return Problem(404, f"There is no message {message_id}.", type_="message-not-found", title="Message not found")


async def mailbox_for(session: AsyncSession, reader: Reader, mailbox_uuid: str) -> Mailbox | None:
    """The mailbox if the reader may read it (None: the person's own, not created yet); else 404."""
    mailbox_uuid = mailbox_uuid.lower()
    if reader.is_person:
        if mailbox_uuid != reader.handle:
            raise mailbox_not_found(mailbox_uuid)
        return await repository.get_mailbox(session, mailbox_uuid)
    mailbox = await repository.get_mailbox(session, mailbox_uuid)
    if mailbox is None or mailbox.kind != "authority" or not await repository.may_read(session, mailbox_uuid,
                                                                                       reader.client_id):
        raise mailbox_not_found(mailbox_uuid)
    return mailbox


async def message_for(session: AsyncSession, reader: Reader, mailbox_uuid: str, message_id: str, *,
                      for_update: bool = False) -> Message:
    await mailbox_for(session, reader, mailbox_uuid)
    message = await repository.get_message(session, message_id, for_update=for_update)
    if message is None or message.mailbox_uuid != mailbox_uuid.lower():
        raise message_not_found(message_id)
    return message


async def open_envelope(session: AsyncSession, state: MailboxState, message: Message) -> dict[str, Any]:
    """The message_v6 fields, decrypted from the sealed envelope."""
    sealer = await state.sealer(session)
    envelope = json.loads(sealer.open(message.sealed_envelope, bound_to=message.id))
    return json.loads(envelope["content"])  # type: ignore[no-any-return]


async def open_attachment(session: AsyncSession, state: MailboxState, attachment: Attachment) -> bytes:
    return (await state.sealer(session)).open(attachment.sealed_data, bound_to=attachment.id)


def locked(reader: Reader, message: Message) -> bool:
    return reader.is_person and message.stork_qaa_level > reader.level


def step_up_required(message: Message, reader: Reader) -> Problem:
    return Problem(403, f"This message needs a login at STORK-QAA-Level-{message.stork_qaa_level}; this session has "
                   f"level {reader.level}. Log in again with a stronger method (step-up).",
                   type_="step-up-required", title="Higher trust level required",
                   requiredLevel=message.stork_qaa_level, sessionLevel=reader.level,
                   acr_values=f"STORK-QAA-Level-{message.stork_qaa_level}")


async def settle(session: AsyncSession, state: MailboxState, message: Message) -> bekanntgabe.Bekanntgabe:
    """The Bekanntgabe as of the kit clock; when it has come due, the trail records it (once)."""
    result = bekanntgabe.compute(message, state.runtime.clock.now(),
                                 window_days=state.settings.bekanntgabe_retrieval_window_days)
    if result.status == bekanntgabe.PENDING or message.bekanntgabe_status != bekanntgabe.PENDING:
        return result
    moved = await session.execute(
        update(Message).where(Message.id == message.id, Message.bekanntgabe_status == bekanntgabe.PENDING)
        .values(bekanntgabe_status=result.status, bekanntgabe_due_at=None).execution_options(synchronize_session=False))
    if getattr(moved, "rowcount", 0):
        set_committed_value(message, "bekanntgabe_status", result.status)
        kind = trail.BEKANNTGABE_REACHED if result.status == bekanntgabe.BEKANNTGEGEBEN else trail.BEKANNTGABE_EXPIRED
        assert result.effective_at is not None
        await trail.append(session, message, kind, result.effective_at, {
            "rule": result.rule, "date": result.date.isoformat() if result.date else None,
            "recordedAt": trail.iso(state.runtime.clock.now())})
    return result


def _stamp(value: dt.datetime | None) -> str | None:
    return trail.iso(value) if value is not None else None


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {"attachmentId": attachment.id, "filename": attachment.filename, "mediaType": attachment.media_type,
            "contentLength": attachment.content_length, "sha512sum": attachment.sha512sum}


def message_json(message: Message, fields: dict[str, Any], result: bekanntgabe.Bekanntgabe, *, is_locked: bool,
                 attachments: list[Attachment] | None = None, with_content: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messageId": message.id, "mailboxUuid": message.mailbox_uuid, "title": fields.get("title"),
        "stork_qaa_level": message.stork_qaa_level, "locked": is_locked, "providedAt": _stamp(message.provided_at),
        "readAt": _stamp(message.read_at), "retrievedAt": _stamp(message.retrieved_at),
        "bekanntgabe": result.as_json(),
    }
    if is_locked:
        return body  # title only: the rest needs the higher level
    body.update({"sender": fields.get("sender"), "service": fields.get("service"),
                 "applicationId": fields.get("applicationId"), "reference": fields.get("reference"),
                 "senderUrl": fields.get("senderUrl"), "replyPossible": bool(fields.get("replyAddress")),
                 "direction": message.direction, "inReplyTo": message.in_reply_to})
    if attachments is not None:
        body["attachments"] = [attachment_json(a) for a in attachments]
    if with_content:
        body["content"] = fields.get("content")
    return body


async def retrieve(session: AsyncSession, state: MailboxState, message: Message, fields: dict[str, Any]) -> None:
    """The first retrieval of the content: recorded once, and confirmed to the sender if it asked."""
    if message.retrieved_at is not None:
        return
    now = state.runtime.clock.now()
    first = await session.execute(update(Message).where(Message.id == message.id, Message.retrieved_at.is_(None))
                                  .values(retrieved_at=now).execution_options(synchronize_session=False))
    if not getattr(first, "rowcount", 0):
        return
    set_committed_value(message, "retrieved_at", now)
    # Under § 41 Abs. 2a VwVfG the retrieval sets the Bekanntgabe day.
    due = bekanntgabe.next_change(message, window_days=state.settings.bekanntgabe_retrieval_window_days)
    if due != message.bekanntgabe_due_at:
        message.bekanntgabe_due_at = due
    await trail.append(session, message, trail.RETRIEVED, now, {})
    notify.enqueue_confirmation(session, state.runtime, message, fields, now)


def provision_ended(message: Message) -> Problem:
    return Problem(410, "The message was not retrieved within the period after the notification; under § 41 Abs. 2a "
                   "VwVfG its provision has ended and it counts as not delivered.", type_="provision-ended",
                   title="Provision ended")


async def check_readable(session: AsyncSession, state: MailboxState, reader: Reader, message: Message) -> None:
    if locked(reader, message):
        raise step_up_required(message, reader)
    if bekanntgabe.provision_ended(message, state.runtime.clock.now(),
                                   window_days=state.settings.bekanntgabe_retrieval_window_days):
        await settle(session, state, message)
        raise provision_ended(message)


async def reply(session: AsyncSession, state: MailboxState, reader: Reader, message: Message,
                fields: dict[str, Any], body: ReplyIn, mailbox: Mailbox | None) -> dict[str, Any]:
    """The mailbox owner answers to the message's replyAddress: into a Behördenpostfach, by e-mail or by POST."""
    address = fields.get("replyAddress")
    if not address:
        raise Problem(409, "This message takes no reply (it has no replyAddress).", type_="reply-not-possible",
                      title="No reply possible")
    now = state.runtime.clock.now()
    title = body.title or f"AW: {fields.get('title', '')}"[:1024]
    author = mailbox.display_name if mailbox is not None else reader.handle or reader.client_id
    kind = address_kind(address)
    reply_id = str(uuid.uuid4())
    if kind == "mailbox":
        target = await repository.get_mailbox(session, address.lower())
        if target is None or target.kind != "authority":
            raise Problem(409, "The reply address names no Behördenpostfach.", type_="reply-not-possible",
                          title="No reply possible")
        content = json.dumps({"mailboxUuid": target.uuid, "stork_qaa_level": 1, "sender": author, "title": title,
                              "content": body.content, "service": fields.get("service"),
                              "applicationId": fields.get("applicationId"), "reference": fields.get("reference")},
                             ensure_ascii=False)
        sealer = await state.sealer(session)
        answer = Message(id=reply_id, mailbox_uuid=target.uuid, direction="reply",
                         sender_client_id=f"postkorb:{reader.handle}", stork_qaa_level=1,
                         application_id=fields.get("applicationId"), in_reply_to=message.id,
                         sealed_envelope=sealer.seal(json.dumps({"content": content}).encode(), bound_to=reply_id),
                         bekanntgabe_rule=bekanntgabe.NONE, bekanntgabe_status=bekanntgabe.PENDING,
                         bekanntgabe_days=None, bekanntgabe_due_at=None, provided_at=now, notified_at=now,
                         retrieved_at=None, read_at=None,
                         trail_head=trail.GENESIS, trail_seq=0)
        session.add(answer)
        await session.flush()
        session.add(trail.new_event(answer, trail.PROVIDED, now, {"sender": answer.sender_client_id,
                                                                  "inReplyTo": message.id}))
        channel = "mailbox"
    elif kind == "mail":
        notify.capture_mail(session, state.runtime, to=address, subject=title[:300],
                            body=f"{body.content}\n\n-- \n{author} (Antwort über das Postfach)", kind="reply",
                            message_id=message.id)
        channel = "email"
    else:
        state.runtime.outbox.enqueue(session, channel="http", target=address, payload={
            "type": "reply", "replyId": reply_id, "inReplyTo": message.id, "applicationId": fields.get("applicationId"),
            "reference": fields.get("reference"), "title": title, "content": body.content, "sender": author,
            "sentAt": trail.iso(now)})
        channel = "https"
    await trail.append(session, message, trail.REPLIED, now, {"channel": channel, "to": address, "replyId": reply_id})
    return {"replyId": reply_id, "channel": channel, "to": address, "sentAt": trail.iso(now)}


def iso_or_none(value: dt.datetime | None) -> str | None:
    return _stamp(value)


def download_headers(attachment: Attachment) -> dict[str, str]:
    name = attachment.filename
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
