"""The e-mail channel (RFC 5321 via aiosmtpd): a registered sender mails exactly one invoice (XML or hybrid PDF) as an
attachment; the intake runs it through the same pipeline as an upload and answers by mail with the verdict and the
Laufzettel. Mail from unregistered addresses is refused in the SMTP dialogue (550), so no answer goes to forged
senders. Answers are never delivered: they are recorded in the kit outbox (channel ``mail``) and can be read at
``GET /_emulator/rechnungseingang/mails``.
"""

import asyncio
import email
import email.policy
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from kit.problems import Problem
from services.rechnungseingang.intake import service
from services.rechnungseingang.invoices import rendering
from services.rechnungseingang.invoices import repository as invoices
from services.rechnungseingang.registry import repository as registry
from services.rechnungseingang.suppliers import Supplier

log = logging.getLogger("basisdienste.rechnungseingang.mail")

_INVOICE_TYPES = ("application/xml", "text/xml", "application/pdf")


@dataclass
class RunningServer:
    server: asyncio.base_events.Server
    address: str

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()


def invoice_parts(message: EmailMessage) -> list[tuple[str | None, bytes]]:
    """The files of a mail that are invoices: XML or PDF attachments (by type or name)."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        kind = part.get_content_type()
        lowered = (name or "").lower()
        if kind in _INVOICE_TYPES or lowered.endswith((".xml", ".pdf")):
            found.append((name, part.get_payload(decode=True) or b""))
    return found


class IntakeHandler:
    def __init__(self, state: Any) -> None:
        self.state = state

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        runtime = self.state.runtime
        async with runtime.db.sessionmaker() as db:
            sender = await registry.sender(db, address)
        if sender is None:
            return "550 5.7.1 Absenderadresse ist für den E-Rechnungseingang nicht registriert"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        sender_address = str(envelope.mail_from).strip().lower()
        subject = str(message.get("Subject", "") or "")
        try:
            await self._receive(message, sender_address, subject)
        except Exception:
            log.exception("mail from %s could not be processed", sender_address)
            return "451 4.3.0 Vorübergehender Fehler, bitte später erneut senden"
        return "250 OK: Rechnung entgegengenommen, Antwort folgt per E-Mail"

    async def _receive(self, message: EmailMessage, sender_address: str, subject: str) -> None:
        runtime = self.state.runtime
        files = invoice_parts(message)
        async with runtime.db.sessionmaker() as db:
            sender = await registry.sender(db, sender_address)
            supplier = await self._supplier(sender)
            if len(files) != 1:
                text = ("Ihre E-Mail enthält keine Rechnung (XML oder PDF als Anhang)." if not files else
                        f"Ihre E-Mail enthält {len(files)} Rechnungsdateien; je E-Mail ist genau eine Rechnung "
                        "erlaubt. Bitte senden Sie jede Rechnung einzeln.")
                self._answer(db, sender_address, subject, "abgelehnt", text, None)
                await db.commit()
                return
            filename, data = files[0]
            try:
                invoice = await service.receive(self.state, db, service.Submission(
                    data=data, channel="mail", filename=filename, sender_address=sender_address,
                    supplier_sub=supplier.sub if supplier else None, supplier_name=sender.name if sender else None))
            except Problem as problem:
                await db.rollback()
                self._answer(db, sender_address, subject, "nicht verarbeitet",
                             f"Ihre Datei „{filename or 'Rechnung'}“ wurde nicht verarbeitet: {problem.detail}", None)
                await db.commit()
                return
            await db.flush()
            events = await invoices.events(db, invoice.id)
            verdict = "angenommen" if invoice.status != invoices.REJECTED else "abgelehnt"
            lines = [f"{rendering.local_time(e.at)}  {rendering.STEP_LABEL.get(e.step, e.step)}: {e.text}"
                     for e in events]
            text = (f"Ihre Rechnung {invoice.invoice_number or ''} ist {verdict}.\n\n"
                    f"Vorgangsnummer: {invoice.id}\nLeitweg-ID: {invoice.leitweg_id or '-'}\n\n"
                    "Laufzettel:\n" + "\n".join(lines))
            findings = [f for f in rendering.findings(invoice) if f.get("severity") in ("error", "fatal")]
            if findings:
                text += "\n\nFehler der Validierung:\n" + "\n".join(
                    f"- {f.get('rule_id')}: {f.get('message')}" for f in findings[:50])
            self._answer(db, sender_address, subject, verdict, text, invoice.id)
            await db.commit()

    async def _supplier(self, sender: Any) -> Supplier | None:
        """The supplier the sender address belongs to; a seeded address learns its subject on first use."""
        if sender is None:
            return None
        if sender.supplier_sub is None and sender.supplier_identity:
            sender.supplier_sub = await resolve_subject(self.state.runtime.peers, sender.supplier_identity)
        return Supplier(sub=sender.supplier_sub, name=sender.name) if sender.supplier_sub else None

    def _answer(self, db: Any, to: str, subject: str, verdict: str, text: str, invoice_id: str | None) -> None:
        settings = self.state.settings
        self.state.runtime.outbox.enqueue(db, channel="mail", target=to, payload={
            "from": f"noreply@{settings.smtp_domain}",
            "subject": f"E-Rechnungseingang: Ihre Rechnung ist {verdict}" + (f" (Re: {subject})" if subject else ""),
            "text": text, "invoice_id": invoice_id, "verdict": verdict,
        })


async def resolve_subject(peers: Any, identity_id: str) -> str | None:
    """The Nutzerkonto subject (bPK2) of a seeded identity, read through the Nutzerkonto's emulator controls."""
    try:
        answer = await peers.client("nutzerkonto").get("/_emulator/identities", headers=peers.control_headers())
    except Exception as exc:
        log.info("cannot read the Nutzerkonto's identities: %s", exc)
        return None
    if answer.status_code != 200:
        return None
    for identity in answer.json():
        if identity.get("id") == identity_id:
            return identity.get("attributes", {}).get("bPK2")
    return None


async def start(state: Any) -> RunningServer | None:
    """Listen on the configured address; a busy port is logged, not fatal (the other channels still work)."""
    settings = state.settings
    handler = IntakeHandler(state)
    # base64 makes a 20 MB file 27 MB on the wire; headers and other parts need a little more.
    limit = settings.max_invoice_bytes * 4 // 3 + 1024 * 1024
    loop = asyncio.get_running_loop()
    try:
        server = await loop.create_server(
            lambda: SMTP(handler, hostname=settings.smtp_domain, data_size_limit=limit, enable_SMTPUTF8=True,
                         ident="Basisdienste E-Rechnungseingang (Testumgebung)"),
            host=settings.smtp_host, port=settings.smtp_port)
    except OSError as exc:
        log.warning("SMTP intake not started on %s:%s: %s", settings.smtp_host, settings.smtp_port, exc)
        return None
    port = server.sockets[0].getsockname()[1]
    address = f"{settings.smtp_host}:{port}"
    log.info("SMTP intake listening on %s", address)
    return RunningServer(server, address)
