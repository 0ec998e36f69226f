"""Emulator controls of the mailbox (``/_emulator/postfach/...`` on the gateway): create Behördenpostfächer and
choose who reads them, create the mailboxes of every Nutzerkonto identity at once, read any mailbox and message
without side effects, see the captured e-mails, export a proof trail. Faults: the route names, plus
``mailbox.deliver`` (a delivery fails after its checks) and ``mailbox.retrieval_confirmation`` (the outbox channel)."""

from typing import Any

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kit.db import SessionDep
from kit.emulator import control_router
from kit.problems import Problem
from kit.zbp import behoerdenpostfach_uuid
from services.postfach.mailbox import bekanntgabe, reading, repository, seeding, trail
from services.postfach.mailbox.models import Mailbox
from services.postfach.mailbox.schemas import MailboxIn
from services.postfach.mailbox.state import MailboxDep

router = control_router()


def _mailbox_json(mailbox: Mailbox, readers: list[str], count: int) -> dict[str, Any]:
    return {"mailboxUuid": mailbox.uuid, "kind": mailbox.kind, "displayName": mailbox.display_name,
            "identityId": mailbox.identity_id, "ars": mailbox.ars, "notificationEmail": mailbox.notification_email,
            "readers": readers, "messageCount": count, "seeded": mailbox.seeded}


@router.get("/mailboxes", name="mailbox_control_list")
async def list_mailboxes(session: SessionDep) -> list[dict[str, Any]]:
    """Every mailbox that exists so far (a person's appears with its first message, or by ``/mailboxes/sync``)."""
    return [_mailbox_json(m, await repository.readers_of(session, m.uuid),
                          await repository.count_messages(session, m.uuid))
            for m in await repository.list_mailboxes(session)]


@router.post("/mailboxes", name="mailbox_control_create", status_code=201)
async def create_authority_mailbox(body: MailboxIn, session: SessionDep, request: Request) -> dict[str, Any]:
    """Create (or update) a Behördenpostfach; its UUID follows from the ARS (contract C1)."""
    mailbox = await seeding.upsert_authority(session, body.ars, body.name, body.readers,
                                             now=request.app.state.runtime.clock.now(), seeded=False)
    return _mailbox_json(mailbox, await repository.readers_of(session, mailbox.uuid),
                         await repository.count_messages(session, mailbox.uuid))


class Readers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    readers: list[str] = Field(max_length=50, description="OAuth client ids")


@router.put("/mailboxes/{mailbox_uuid}/readers", name="mailbox_control_readers")
async def set_readers(mailbox_uuid: str, body: Readers, session: SessionDep) -> dict[str, Any]:
    """Which clients may read this Behördenpostfach (replaces the list)."""
    mailbox = await repository.get_mailbox(session, mailbox_uuid.lower())
    if mailbox is None or mailbox.kind != "authority":
        raise Problem(404, f"There is no Behördenpostfach {mailbox_uuid}.", type_="mailbox-not-found")
    await seeding.set_readers(session, mailbox.uuid, body.readers)
    return {"mailboxUuid": mailbox.uuid, "readers": sorted(set(body.readers))}


@router.post("/mailboxes/sync", name="mailbox_control_sync")
async def sync_mailboxes(session: SessionDep, state: MailboxDep) -> dict[str, Any]:
    """Create the mailbox of every identity the Nutzerkonto knows now."""
    created = await seeding.sync_people(session, state)
    return {"created": created}


@router.get("/mailboxes/by-ars/{ars}", name="mailbox_control_by_ars")
async def mailbox_by_ars(ars: str) -> dict[str, str]:
    try:
        return {"ars": ars, "mailboxUuid": behoerdenpostfach_uuid(ars)}
    except ValueError as exc:
        raise Problem(422, str(exc), type_="validation-error") from exc


async def _message_dump(session: Any, state: Any, message: Any) -> dict[str, Any]:
    fields = await reading.open_envelope(session, state, message)
    result = bekanntgabe.compute(message, state.runtime.clock.now(),
                                 window_days=state.settings.bekanntgabe_retrieval_window_days)
    attachments = (await repository.attachments_of(session, [message.id]))[message.id]
    body = reading.message_json(message, fields, result, is_locked=False, attachments=attachments, with_content=True)
    body.update({"senderClientId": message.sender_client_id, "notifiedAt": reading.iso_or_none(message.notified_at),
                 "fields": fields})
    return body


@router.get("/mailboxes/{mailbox_uuid}/messages", name="mailbox_control_messages")
async def read_any_mailbox(mailbox_uuid: str, session: SessionDep, state: MailboxDep,
                           limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """Any mailbox's messages with content, as a developer inspects them: nothing is marked retrieved."""
    messages = await repository.list_messages(session, mailbox_uuid.lower(), limit=limit, offset=offset)
    return {"mailboxUuid": mailbox_uuid.lower(), "totalCount": await repository.count_messages(session,
                                                                                               mailbox_uuid.lower()),
            "messages": [await _message_dump(session, state, m) for m in messages]}


async def _message(session: Any, message_id: str) -> Any:
    message = await repository.get_message(session, message_id)
    if message is None:
        raise reading.message_not_found(message_id)
    return message


@router.get("/messages/{message_id}", name="mailbox_control_message")
async def read_any_message(message_id: str, session: SessionDep, state: MailboxDep) -> dict[str, Any]:
    return await _message_dump(session, state, await _message(session, message_id))


@router.get("/messages/{message_id}/proof", name="mailbox_control_proof")
async def export_proof(message_id: str, session: SessionDep, state: MailboxDep) -> dict[str, Any]:
    """The hash-chained trail of any message, with the verification result."""
    message = await _message(session, message_id)
    await reading.settle(session, state, message)
    proof = trail.export(message, await trail.events_of(session, message))
    valid, broken_at = trail.verify(proof)
    return {**proof, "verification": {"valid": valid, "brokenAtSeq": broken_at}}


@router.get("/mails", name="mailbox_control_mails")
async def captured_mails(session: SessionDep, to: str | None = None,
                         limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """The e-mails the Postfach would have sent (notifications, confirmations, replies), newest first."""
    return [{"id": m.id, "to": m.to, "subject": m.subject, "body": m.body, "kind": m.kind, "messageId": m.message_id,
             "createdAt": trail.iso(m.created_at)} for m in await repository.list_mails(session, to=to, limit=limit)]
