"""Queries on invoices and their Laufzettel; status changes are conditional updates, so two workers (the outbox
dispatcher and a reader refreshing the retrieval status) never move an invoice twice or backwards."""

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.rechnungseingang.models import Invoice, InvoiceEvent

RECEIVED, VALIDATED, REJECTED, FORWARDED, RETRIEVED = "received", "validated", "rejected", "forwarded", "retrieved"
STATUSES = (RECEIVED, VALIDATED, REJECTED, FORWARDED, RETRIEVED)


def add_event(session: AsyncSession, invoice_id: str, step: str, at: dt.datetime, text: str,
              **data: Any) -> InvoiceEvent:
    event = InvoiceEvent(invoice_id=invoice_id, step=step, at=at, text=text, data=data)
    session.add(event)
    return event


async def events(session: AsyncSession, invoice_id: str) -> list[InvoiceEvent]:
    rows = await session.scalars(select(InvoiceEvent).where(InvoiceEvent.invoice_id == invoice_id)
                                 .order_by(InvoiceEvent.at, InvoiceEvent.id))
    return list(rows.all())


async def has_event(session: AsyncSession, invoice_id: str, step: str) -> bool:
    found = await session.scalar(select(InvoiceEvent.id).where(InvoiceEvent.invoice_id == invoice_id,
                                                               InvoiceEvent.step == step).limit(1))
    return found is not None


async def move(session: AsyncSession, invoice_id: str, *, source: str, target: str, now: dt.datetime,
               **values: Any) -> bool:
    """Change the status from ``source`` to ``target``; False when another change came first."""
    result = await session.execute(
        update(Invoice).where(Invoice.id == invoice_id, Invoice.status == source)
        .values(status=target, updated_at=now, **values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


async def earlier_with_number(session: AsyncSession, seller_key: str, invoice_number: str) -> Invoice | None:
    """The first invoice with the same seller and invoice number (the duplicate notice's reference)."""
    return await session.scalar(select(Invoice).where(Invoice.seller_key == seller_key,
                                                      Invoice.invoice_number == invoice_number)
                                .order_by(Invoice.received_at).limit(1))


async def of_supplier(session: AsyncSession, supplier_sub: str, invoice_id: str) -> Invoice | None:
    invoice = await session.get(Invoice, invoice_id)
    return invoice if invoice is not None and invoice.supplier_sub == supplier_sub else None


async def list_of_supplier(session: AsyncSession, supplier_sub: str, *, limit: int = 100) -> list[Invoice]:
    rows = await session.scalars(select(Invoice).where(Invoice.supplier_sub == supplier_sub)
                                 .order_by(Invoice.received_at.desc(), Invoice.id).limit(limit))
    return list(rows.all())


async def list_of_authority(session: AsyncSession, ars: str, *, limit: int = 100) -> list[Invoice]:
    rows = await session.scalars(select(Invoice).where(Invoice.ars == ars,
                                                       Invoice.status.in_((FORWARDED, RETRIEVED)))
                                 .order_by(Invoice.received_at.desc(), Invoice.id).limit(limit))
    return list(rows.all())


async def forwarded_unretrieved(session: AsyncSession, *, limit: int = 50) -> list[Invoice]:
    rows = await session.scalars(select(Invoice).where(Invoice.status == FORWARDED)
                                 .order_by(Invoice.updated_at).limit(limit))
    return list(rows.all())
