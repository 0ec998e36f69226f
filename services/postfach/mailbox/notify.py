"""What the Postfach sends out, always through the kit outbox (house rule 7): the e-mail that tells a person a
message arrived (captured, never really sent: ``GET /_emulator/mails``), and the retrieval confirmation to the
sender's ``retrievalConfirmationAddress`` (an HTTPS URL gets a POST; an e-mail address gets a captured mail). When a
confirmation has gone out, the channel appends ``confirmation_sent`` to the message's trail."""

import datetime as dt
import logging
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from kit.outbox import DeliveryFailed, OutboxMessage
from kit.problems import Problem
from kit.service import ServiceRuntime
from services.postfach.mailbox import repository, trail
from services.postfach.mailbox.models import Mail, Mailbox, Message
from services.postfach.mailbox.schemas import address_kind

log = logging.getLogger("basisdienste.postfach.mailbox")
CONFIRMATION_CHANNEL = "zbp-retrieval-confirmation"


def capture_mail(session: AsyncSession, runtime: ServiceRuntime, *, to: str, subject: str, body: str, kind: str,
                 message_id: str | None) -> Mail:
    mail = Mail(id=str(uuid.uuid4()), to=to, subject=subject, body=body, kind=kind, message_id=message_id,
                created_at=runtime.clock.now())
    session.add(mail)
    runtime.outbox.enqueue(session, channel="mail", target=to,
                           payload={"mailId": mail.id, "subject": subject, "body": body, "kind": kind})
    return mail


def arrival_mail(session: AsyncSession, runtime: ServiceRuntime, mailbox: Mailbox, message: Message, *,
                 title: str, sender: str, inbox_url: str, bekanntgabe_line: str) -> Mail | None:
    if not mailbox.notification_email:
        return None
    body = (f"Guten Tag {mailbox.display_name},\n\n"
            f"in Ihrem Postfach liegt eine neue Nachricht von {sender}:\n\n  „{title}“\n\n"
            f"{bekanntgabe_line}"
            f"Sie können die Nachricht nach der Anmeldung mit Ihrem Nutzerkonto lesen:\n{inbox_url}\n\n"
            "Diese E-Mail wurde von der Testumgebung der Basisdienste erzeugt und nicht wirklich versandt.")
    return capture_mail(session, runtime, to=mailbox.notification_email, subject="Neue Nachricht in Ihrem Postfach",
                        body=body, kind="notification", message_id=message.id)


def enqueue_confirmation(session: AsyncSession, runtime: ServiceRuntime, message: Message, fields: dict[str, Any],
                         retrieved_at: dt.datetime) -> None:
    address = fields.get("retrievalConfirmationAddress")
    if not address:
        return
    payload = {"type": "retrieval-confirmation", "messageId": message.id, "mailboxUuid": message.mailbox_uuid,
               "applicationId": fields.get("applicationId"), "reference": fields.get("reference"),
               "title": fields.get("title"), "retrievedAt": trail.iso(retrieved_at)}
    if address_kind(address) == "mail":
        capture_mail(session, runtime, to=address, subject=f"Abrufbestätigung: {fields.get('title', '')}"[:300],
                     body=(f"Die Nachricht „{fields.get('title')}“ (Nachrichten-ID {message.id}) wurde am "
                           f"{trail.iso(retrieved_at)} abgerufen."), kind="retrieval-confirmation",
                     message_id=message.id)
    runtime.outbox.enqueue(session, channel=CONFIRMATION_CHANNEL, target=address, payload=payload)


class ConfirmationChannel:
    """Delivers retrieval confirmations and records them in the message's trail once they went out."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self.http is None:
            self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)
        return self.http

    async def __call__(self, outbox_message: OutboxMessage) -> None:
        await self.runtime.faults.check("mailbox.retrieval_confirmation")
        target = outbox_message.target
        kind = address_kind(target)
        if kind == "url":
            response = await self._client().post(target, json=outbox_message.payload,
                                                 headers={"User-Agent": "basisdienste-postfach"})
            if not response.is_success:
                raise DeliveryFailed(f"HTTP {response.status_code} from {target}")
            channel = "https"
        elif kind == "mail":
            channel = "email"  # the mail itself was captured when the confirmation was enqueued
        else:
            raise DeliveryFailed(f"no way to deliver a confirmation to {target!r}")
        await self._record(outbox_message.payload["messageId"], channel, target)

    async def _record(self, message_id: str, channel: str, target: str) -> None:
        for _ in range(5):
            try:
                async with self.runtime.db.sessionmaker() as session, session.begin():
                    message = await repository.get_message(session, message_id, for_update=True)
                    if message is None:
                        return  # reset meanwhile
                    await trail.append(session, message, trail.CONFIRMATION_SENT, self.runtime.clock.now(),
                                       {"channel": channel, "to": target})
                return
            except Problem:
                continue  # another event was appended at the same moment: read the new head and retry
        log.warning("could not record the confirmation of message %s in its trail", message_id)

    async def aclose(self) -> None:
        if self.http is not None:
            await self.http.aclose()
            self.http = None
