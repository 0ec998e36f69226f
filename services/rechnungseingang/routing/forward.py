"""Forwarding accepted invoices to the authority's Behördenpostfach through the Postfach's ZBP message API
(contract C1, ``kit.zbp``), from the kit outbox: the queue entry commits with the invoice, survives a restart and
is retried with backoff; and reading back from the Postfach whether the authority has retrieved the message.

Delivery is at least once: a repeated attempt for an invoice that is already forwarded does nothing.
"""

import datetime as dt
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.outbox import DeliveryFailed, OutboxMessage
from kit.service import ServiceRuntime
from kit.zbp import behoerdenpostfach_uuid, send_message
from services.rechnungseingang.invoices import rendering
from services.rechnungseingang.invoices import repository as invoices
from services.rechnungseingang.models import Authority, Invoice
from services.rechnungseingang.routing import erp

log = logging.getLogger("basisdienste.rechnungseingang.forward")

CHANNEL = "postfach"
# Invoices are no administrative acts: the Postfach must not start a Bekanntgabe for them.
BEKANNTGABE_RULE = "none"
# The Behördenpostfach is read by staff logged in at "substantiell" at least.
STORK_LEVEL = 3


def enqueue(runtime: ServiceRuntime, session: AsyncSession, invoice_id: str) -> None:
    runtime.outbox.enqueue(session, channel=CHANNEL, target=f"postfach:{invoice_id}",
                           payload={"invoice_id": invoice_id})


def _xml_name(invoice: Invoice) -> str:
    number = "".join(c if c.isalnum() or c in "-_" else "_" for c in (invoice.invoice_number or invoice.id))
    return f"rechnung-{number[:80]}.xml"


def _fields(invoice: Invoice, authority: Authority, sender: str) -> dict[str, Any]:
    amount = f"{invoice.payable} {invoice.currency or ''}".strip() if invoice.payable else "ohne Betrag"
    content = (f"Eingegangene E-Rechnung für {authority.name}\n\n"
               f"Rechnungsnummer: {invoice.invoice_number or '-'}\n"
               f"Rechnungsdatum: {invoice.issue_date or '-'}\n"
               f"Rechnungssteller: {invoice.seller_name or '-'}\n"
               f"Zahlbetrag: {amount}\n"
               f"Leitweg-ID: {invoice.leitweg_id}\n"
               f"Prüfung: angenommen (Szenario {invoice.scenario or '-'})\n\n"
               "Anhänge: die Rechnung (XML), der Prüfbericht (VARL-XML) und eine lesbare Darstellung (HTML).")
    return {
        "mailboxUuid": behoerdenpostfach_uuid(authority.ars),
        "stork_qaa_level": STORK_LEVEL,
        "sender": sender[:255],
        "title": f"E-Rechnung {invoice.invoice_number or ''} von {invoice.seller_name or 'unbekannt'}"[:1024],
        "content": content,
        "service": "Zentraler E-Rechnungseingang",
        "reference": invoice.id,
        "applicationId": invoice.id,
    }


def make_handler(state: Any) -> Any:
    """The outbox channel handler; ``state`` is the service's :class:`Rechnungseingang`."""
    runtime: ServiceRuntime = state.runtime

    async def deliver(message: OutboxMessage) -> None:
        await runtime.faults.check("forwarding")
        invoice_id = message.payload["invoice_id"]
        async with runtime.db.sessionmaker() as session:
            invoice = await session.get(Invoice, invoice_id)
            if invoice is None or invoice.status != invoices.VALIDATED or invoice.ars is None:
                return  # forwarded by an earlier attempt, or reset away
            authority = await session.get(Authority, invoice.ars)
            if authority is None:
                raise DeliveryFailed(f"authority {invoice.ars} is no longer registered")
            events = await invoices.events(session, invoice_id)
        html = rendering.invoice_html(invoice, events).encode()
        attachments = [(_xml_name(invoice), invoice.xml, "application/xml"),
                       ("pruefbericht.xml", invoice.report_varl, "application/xml"),
                       ("rechnung.html", html, "text/html")]
        now = runtime.clock.now()
        response = await send_message(state.credentials, await state.author(),
                                      _fields(invoice, authority, state.settings.sender_name), attachments, now=now,
                                      bekanntgabe_rule=BEKANNTGABE_RULE)
        if response.status_code != 201:
            await _note_failure(runtime, invoice_id, f"HTTP {response.status_code}: {response.text[:300]}")
            raise DeliveryFailed(f"the Postfach answered {response.status_code}: {response.text[:500]}")
        body = response.json()
        async with runtime.db.sessionmaker() as session, session.begin():
            moved = await invoices.move(session, invoice_id, source=invoices.VALIDATED, target=invoices.FORWARDED,
                                        now=runtime.clock.now(), postfach_message_id=str(body.get("messageId")))
            if moved:
                invoices.add_event(session, invoice_id, invoices.FORWARDED, runtime.clock.now(),
                                   f"Zugestellt in das Behördenpostfach von {authority.name}",
                                   message_id=body.get("messageId"), mailbox_uuid=body.get("mailboxUuid"),
                                   provided_at=body.get("providedAt"))
                if authority.erp_webhook_url:
                    erp.enqueue(runtime, session, invoice_id, authority.ars)

    return deliver


async def _note_failure(runtime: ServiceRuntime, invoice_id: str, error: str) -> None:
    """The first failed attempt goes on the Laufzettel; retries follow silently (the outbox keeps counting)."""
    async with runtime.db.sessionmaker() as session, session.begin():
        if not await invoices.has_event(session, invoice_id, "forwarding-delayed"):
            invoices.add_event(session, invoice_id, "forwarding-delayed", runtime.clock.now(),
                               "Zustellung verzögert: das Behördenpostfach hat nicht angenommen; neuer Versuch folgt.",
                               error=error)


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


async def refresh_retrieval(state: Any, session: AsyncSession, invoice: Invoice) -> None:
    """Ask the Postfach whether the authority has fetched the message; record ``retrieved`` once it has.

    Runs in the caller's session. A Postfach that cannot answer leaves the status as it is.
    """
    if invoice.status != invoices.FORWARDED or not invoice.postfach_message_id:
        return
    try:
        response = await state.credentials.request("postfach", "GET",
                                                   f"/api/v6/messages/{invoice.postfach_message_id}")
    except Exception as exc:  # the status stays "forwarded"; the next read asks again
        log.info("cannot read the Postfach status of %s: %s", invoice.postfach_message_id, exc)
        return
    if response.status_code != 200:
        return
    retrieved_at = _parse_time(response.json().get("retrievedAt"))
    if retrieved_at is None:
        return
    now = state.runtime.clock.now()
    if await invoices.move(session, invoice.id, source=invoices.FORWARDED, target=invoices.RETRIEVED, now=now):
        invoices.add_event(session, invoice.id, invoices.RETRIEVED, retrieved_at,
                           "Von der empfangenden Stelle aus dem Behördenpostfach abgerufen",
                           message_id=invoice.postfach_message_id)
        invoice.status = invoices.RETRIEVED
