"""Reading mailboxes over the API: a citizen or company with the Nutzerkonto access token of their login (scope
bundid: the ``postkorb_handle`` claim selects the mailbox, ``acr`` is the session's trust level), an authority's
system with its client-credentials token for the Behördenpostfächer it is allowed to read. HTTP only."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from kit.db import SessionDep
from kit.problems import Problem
from kit.schemas import binary_body
from kit.tokens import require_token
from services.postfach.mailbox import reading, repository
from services.postfach.mailbox.schemas import MailboxMessage, MessagePage, OwnMailbox, ReadMark, ReplyIn, ReplySent
from services.postfach.mailbox.state import MailboxDep, mailbox_state

router = APIRouter(prefix="/api/v6", tags=["Mailbox (reading)"])
Claims = Annotated[dict[str, Any], Depends(require_token(verifier=lambda request: mailbox_state(request).verifier))]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid bearer token"},
    404: {"description": "No such mailbox/message for this caller (`mailbox-not-found`, `message-not-found`)"},
}
_LOCKED: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    403: {"description": "`step-up-required`: the message needs a higher STORK level than this session's"},
    410: {"description": "`provision-ended`: not retrieved in time under § 41 Abs. 2a VwVfG"},
}


def _reader(claims: dict[str, Any]) -> reading.Reader:
    return reading.reader_from_claims(claims)


@router.get("/mailbox", name="mailbox_own", response_model=OwnMailbox)
async def own_mailbox(claims: Claims, session: SessionDep) -> dict[str, Any]:
    """The caller's own mailbox (a person's, by the token's postkorb handle)."""
    reader = _reader(claims)
    if not reader.is_person:
        raise Problem(403, "Authorities read Behördenpostfächer by their UUID.", type_="no-postkorb-handle",
                      title="No mailbox in token")
    assert reader.handle is not None
    mailbox = await repository.get_mailbox(session, reader.handle)
    return {"mailboxUuid": reader.handle, "sessionLevel": reader.level,
            "displayName": mailbox.display_name if mailbox else None,
            "messageCount": await repository.count_messages(session, reader.handle)}


@router.get("/mailboxes/{mailbox_uuid}/messages", name="mailbox_list_messages", response_model=MessagePage,
            response_model_exclude_unset=True, responses=_NOT_FOUND)
async def list_messages(mailbox_uuid: str, claims: Claims, session: SessionDep, state: MailboxDep,
                        limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """The messages of a mailbox, newest first; a message above the session's level shows its title only."""
    reader = _reader(claims)
    await reading.mailbox_for(session, reader, mailbox_uuid)
    messages = await repository.list_messages(session, mailbox_uuid.lower(), limit=limit, offset=offset)
    attachments = await repository.attachments_of(session, [m.id for m in messages])
    items = []
    for message in messages:
        result = await reading.settle(session, state, message)
        fields = await reading.open_envelope(session, state, message)
        items.append(reading.message_json(message, fields, result, is_locked=reading.locked(reader, message),
                                          attachments=attachments[message.id]))
    return {"mailboxUuid": mailbox_uuid.lower(), "offset": offset, "limit": limit,
            "totalCount": await repository.count_messages(session, mailbox_uuid.lower()), "messages": items}


@router.get("/mailboxes/{mailbox_uuid}/messages/{message_id}", name="mailbox_read_message",
            response_model=MailboxMessage, response_model_exclude_unset=True, responses=_LOCKED)
async def read_message(mailbox_uuid: str, message_id: str, claims: Claims, session: SessionDep,
                       state: MailboxDep) -> dict[str, Any]:
    """The whole message; the first read is its retrieval (recorded, and confirmed to the sender if asked)."""
    reader = _reader(claims)
    message = await reading.message_for(session, reader, mailbox_uuid, message_id, for_update=True)
    await reading.check_readable(session, state, reader, message)
    fields = await reading.open_envelope(session, state, message)
    await reading.retrieve(session, state, message, fields)
    result = await reading.settle(session, state, message)
    attachments = (await repository.attachments_of(session, [message.id]))[message.id]
    return reading.message_json(message, fields, result, is_locked=False, attachments=attachments, with_content=True)


@router.get("/mailboxes/{mailbox_uuid}/messages/{message_id}/attachments/{attachment_id}",
            name="mailbox_download_attachment", response_class=Response,
            responses={200: binary_body("application/octet-stream", "The attachment's bytes, under the media type "
                                        "it was delivered with"), **_LOCKED})
async def download_attachment(mailbox_uuid: str, message_id: str, attachment_id: str, claims: Claims,
                              session: SessionDep, state: MailboxDep) -> Response:
    """One attachment's bytes (a retrieval too)."""
    reader = _reader(claims)
    message = await reading.message_for(session, reader, mailbox_uuid, message_id, for_update=True)
    attachment = await repository.get_attachment(session, attachment_id)
    if attachment is None or attachment.message_id != message.id:
        raise Problem(404, f"There is no attachment {attachment_id}.", type_="attachment-not-found",
                      title="Attachment not found")
    await reading.check_readable(session, state, reader, message)
    fields = await reading.open_envelope(session, state, message)
    await reading.retrieve(session, state, message, fields)
    await reading.settle(session, state, message)
    data = await reading.open_attachment(session, state, attachment)
    return Response(data, media_type=attachment.media_type, headers=reading.download_headers(attachment))


@router.post("/mailboxes/{mailbox_uuid}/messages/{message_id}/read", name="mailbox_mark_read", response_model=ReadMark,
             responses=_LOCKED)
async def mark_read(mailbox_uuid: str, message_id: str, claims: Claims, session: SessionDep,
                    state: MailboxDep) -> dict[str, Any]:
    """Mark the message as read (the inbox's own state; retrieval is recorded when the content is opened)."""
    reader = _reader(claims)
    message = await reading.message_for(session, reader, mailbox_uuid, message_id, for_update=True)
    await reading.check_readable(session, state, reader, message)
    if message.read_at is None:
        message.read_at = state.runtime.clock.now()
    return {"messageId": message.id, "readAt": reading.iso_or_none(message.read_at)}


@router.post("/mailboxes/{mailbox_uuid}/messages/{message_id}/reply", name="mailbox_reply", status_code=201,
             response_model=ReplySent,
             responses={**_LOCKED, 409: {"description": "`reply-not-possible`: the message has no replyAddress"}})
async def reply(mailbox_uuid: str, message_id: str, body: ReplyIn, claims: Claims, session: SessionDep,
                state: MailboxDep) -> dict[str, Any]:
    """Answer a message that names a replyAddress."""
    reader = _reader(claims)
    if not reader.is_person:
        raise Problem(403, "Only the mailbox's owner replies.", type_="forbidden", title="Forbidden")
    message = await reading.message_for(session, reader, mailbox_uuid, message_id, for_update=True)
    await reading.check_readable(session, state, reader, message)
    fields = await reading.open_envelope(session, state, message)
    mailbox = await repository.get_mailbox(session, message.mailbox_uuid)
    return await reading.reply(session, state, reader, message, fields, body, mailbox)
