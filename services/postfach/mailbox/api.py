"""The authorities' side of the ZBP message API (contract C1): deliver message_v6 envelopes with attachments,
post status_v6 updates, and — for the sending client only — read a message's delivery state and export its proof
trail. HTTP only; the work is in delivery.py, reading.py and trail.py."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from kit.db import SessionDep
from kit.problems import Problem
from kit.tokens import require_token
from kit.zbp import BEKANNTGABE_RULES
from services.postfach.mailbox import delivery, envelope, reading, repository, trail
from services.postfach.mailbox.models import Message
from services.postfach.mailbox.schemas import (
    MessageProof,
    MessageV6,
    SentMessage,
    SentMessageState,
    StatusList,
    StatusUpdateOut,
    StatusV6,
)
from services.postfach.mailbox.state import MailboxDep, MailboxState, mailbox_state

router = APIRouter(prefix="/api/v6", tags=["ZBP message API"])
Claims = Annotated[dict[str, Any], Depends(require_token(verifier=lambda request: mailbox_state(request).verifier))]

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed multipart, or `signature-invalid` (envelope signature, author token, certificate)"},
    401: {"description": "No or invalid bearer token"},
    403: {"description": "The token belongs to a person, not to an authority's client"},
    404: {"description": "`mailbox-not-found`"},
    413: {"description": "Body, content or an attachment too large"},
    422: {"description": "Fields, limits or attachments do not match (`validation-error`, `attachment-mismatch`)"},
}
_MULTIPART = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["message"],
    "properties": {
        "message": {"type": "string", "description": "The ZBP envelope as JSON: {content, sha512sum, authorToken, "
                                                     "authorCertificate}"},
        "attachments": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "bekanntgabeRule": {"type": "string", "enum": list(BEKANNTGABE_RULES),
                            "description": "Emulator extension (the real ZBP ignores it); default ozg9"},
    }}}}}}


def _sender(claims: dict[str, Any]) -> str:
    if "acr" in claims or claims.get("sub") != claims.get("client_id"):
        raise Problem(403, "Only an authority's system (client-credentials token) sends to mailboxes.",
                      type_="sender-not-authority", title="Forbidden")
    return str(claims["client_id"])


def _form(request: Request, state: MailboxState) -> Any:
    """The multipart body, capped: the envelope part by the content limit, files by count (their size below)."""
    settings = state.settings
    return request.form(max_files=settings.max_attachments + 1, max_fields=8,
                        max_part_size=2 * settings.max_content_bytes + 64 * 1024)


def _message_text(form: Any) -> str:
    value = form.get("message")
    if isinstance(value, UploadFile):
        raise Problem(400, "The part 'message' must be a form field, not a file.", type_="malformed-body",
                      title="Malformed body")
    if not isinstance(value, str) or not value:
        raise envelope.unprocessable("The part 'message' (the ZBP envelope) is missing.",
                                     [{"pointer": "/message", "detail": "required"}])
    return value


@dataclass(frozen=True)
class Delivery:
    verified: envelope.VerifiedEnvelope
    fields: MessageV6
    files: list[delivery.UploadedFile]
    rule: str


async def _read_delivery(request: Request, state: MailboxState) -> Delivery:
    """Everything checked that needs no database: envelope, signature, author token, fields, sizes."""
    settings = state.settings
    async with _form(request, state) as form:  # closes the spooled upload files afterwards
        text = _message_text(form)
        if len(text.encode()) > 2 * settings.max_content_bytes:
            raise Problem(413, "The message is too large.", type_="content-too-large", title="Content Too Large")
        rule = form.get("bekanntgabeRule") or "ozg9"
        if rule not in BEKANNTGABE_RULES:
            raise envelope.unprocessable(f"bekanntgabeRule is one of {', '.join(BEKANNTGABE_RULES)}.",
                                         [{"pointer": "/bekanntgabeRule", "detail": "unknown rule"}])
        verified, fields = envelope.verify(envelope.parse(text), MessageV6, state.runtime.clock.now())
        if len(fields.content.encode()) > settings.max_content_bytes:
            raise Problem(413, f"content exceeds {settings.max_content_bytes} bytes.", type_="content-too-large",
                          title="Content Too Large", max_bytes=settings.max_content_bytes)
        files = []
        for item in form.getlist("attachments"):
            if not isinstance(item, UploadFile) or not item.filename:
                raise envelope.unprocessable("Each part 'attachments' must be a file with a filename.",
                                             [{"pointer": "/attachments", "detail": "not a file"}])
            data = await item.read(settings.max_attachment_bytes + 1)
            files.append(delivery.UploadedFile(item.filename, data, item.content_type or "application/octet-stream"))
    return Delivery(verified, fields, files, str(rule))


@router.post("/messages", name="zbp_send_message", status_code=201, response_model=SentMessage, responses=_PROBLEMS,
             openapi_extra=_MULTIPART)
async def send_message(request: Request, claims: Claims, session: SessionDep, state: MailboxDep) -> JSONResponse:
    """Deliver a message_v6 to a citizen's, company's or authority's mailbox."""
    client_id = _sender(claims)
    # Parsed and checked before the first query, so the database transaction is short.
    checked = await _read_delivery(request, state)
    await state.runtime.faults.check("mailbox.deliver")
    base = state.settings.external_url.rstrip("/")
    message = await delivery.deliver(session, state, verified=checked.verified, fields=checked.fields,
                                     files=checked.files, client_id=client_id, rule=checked.rule,
                                     inbox_url=f"{base}/postkorb")
    result = await reading.settle(session, state, message)
    body = {"messageId": message.id, "mailboxUuid": message.mailbox_uuid, "providedAt": trail.iso(message.provided_at),
            "bekanntgabe": result.as_json()}
    return JSONResponse(body, status_code=201, headers={"Location": f"{base}/api/v6/messages/{message.id}"})


@router.post("/status", name="zbp_send_status", status_code=201, response_model=StatusUpdateOut,
             response_model_exclude_unset=True, responses=_PROBLEMS, openapi_extra=_MULTIPART)
async def send_status(request: Request, claims: Claims, session: SessionDep, state: MailboxDep) -> dict[str, Any]:
    """Post a status_v6 update for an application, in the same signed envelope (JSON body or multipart)."""
    client_id = _sender(claims)
    if request.headers.get("content-type", "").startswith("application/json"):
        text = (await request.body()).decode("utf-8", errors="replace")
    else:
        async with _form(request, state) as form:
            text = _message_text(form)
    verified, fields = envelope.verify(envelope.parse(text), StatusV6, state.runtime.clock.now())
    update = await delivery.record_status(session, state, verified=verified, fields=fields, client_id=client_id)
    return delivery.status_json(update)


async def _own_message(session: AsyncSession, message_id: str, client_id: str) -> Message:
    message = await repository.get_message(session, message_id)
    if message is None or message.sender_client_id != client_id:
        raise reading.message_not_found(message_id)
    return message


@router.get("/messages/{message_id}", name="zbp_get_message", response_model=SentMessageState,
            response_model_exclude_unset=True, responses={404: {"description": "Unknown message"}})
async def get_message(message_id: str, claims: Claims, session: SessionDep, state: MailboxDep) -> dict[str, Any]:
    """The delivery state of a message this client sent: provision, notification, retrieval, Bekanntgabe."""
    message = await _own_message(session, message_id, _sender(claims))
    result = await reading.settle(session, state, message)
    fields = await reading.open_envelope(session, state, message)
    return {"messageId": message.id, "mailboxUuid": message.mailbox_uuid, "title": fields.get("title"),
            "providedAt": trail.iso(message.provided_at),
            "notifiedAt": trail.iso(message.notified_at) if message.notified_at else None,
            "retrievedAt": trail.iso(message.retrieved_at) if message.retrieved_at else None,
            "bekanntgabe": result.as_json()}


@router.get("/messages/{message_id}/proof", name="zbp_message_proof", response_model=MessageProof,
            responses={404: {"description": "Unknown message"}})
async def message_proof(message_id: str, claims: Claims, session: SessionDep, state: MailboxDep) -> dict[str, Any]:
    """The message's hash-chained event trail, as proof of when it was made available and retrieved."""
    message = await _own_message(session, message_id, _sender(claims))
    await reading.settle(session, state, message)
    return trail.export(message, await trail.events_of(session, message))


@router.get("/status/{application_id}", name="zbp_list_status", response_model=StatusList,
            response_model_exclude_unset=True)
async def list_status(application_id: str, claims: Claims, session: SessionDep) -> dict[str, Any]:
    """The status updates of one application: the sender sees its own; a person those of applications that one of
    their messages names."""
    updates = await repository.status_updates(session, application_id.lower())
    reader = reading.reader_from_claims(claims)
    if reader.is_person:
        if not await repository.mailbox_has_application(session, reader.handle or "", application_id.lower()):
            updates = []
    else:
        updates = [u for u in updates if u.sender_client_id == reader.client_id]
    return {"applicationId": application_id.lower(), "statusUpdates": [delivery.status_json(u) for u in updates]}
