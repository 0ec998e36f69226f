"""The daily settlement for a municipal cash office (Kasse): every payment paid and every refund made on one day
(Europe/Berlin) at one office, as booking lines per Kassenzeichen and Haushaltsstelle, with totals that balance
(opening balance + credits - debits = closing balance)."""

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.bezahlplattform.models import Payment, Refund
from services.bezahlplattform.money import plain

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Line:
    booking_date: dt.date
    credit: bool  # CRDT (payment) or DBIT (refund)
    cents: int
    kassenzeichen: str
    haushaltsstelle: str
    objektnummer: str
    transaction_id: str
    originator_id: str
    method: str
    reference: str  # refund id or transaction id


@dataclass
class Entry:
    """One bank-statement entry: a payment (credit) or refund (debit) with its booking lines."""

    credit: bool
    cents: int
    transaction_id: str
    kassenzeichen: str
    reference: str
    at: dt.datetime
    lines: list[Line] = field(default_factory=list)


@dataclass
class Settlement:
    endpoint_id: str
    day: dt.date
    opening_cents: int
    entries: list[Entry]

    @property
    def credit_cents(self) -> int:
        return sum(e.cents for e in self.entries if e.credit)

    @property
    def debit_cents(self) -> int:
        return sum(e.cents for e in self.entries if not e.credit)

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + self.credit_cents - self.debit_cents

    @property
    def lines(self) -> list[Line]:
        return [line for e in self.entries for line in e.lines]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), BERLIN)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def _split(payment: Payment) -> list[tuple[int, dict[str, str]]]:
    """The payment's amount over its booking lines; rounding differences go to the last line, so lines sum up."""
    lines = [(int(b["cents"]), dict(b["bookingData"])) for b in payment.bookings] or [(payment.gros_amount_cents, {})]
    difference = payment.gros_amount_cents - sum(c for c, _ in lines)
    cents, data = lines[-1]
    lines[-1] = (cents + difference, data)
    return lines


def _line(payment: Payment, day: dt.date, credit: bool, cents: int, data: dict[str, str], reference: str) -> Line:
    return Line(booking_date=day, credit=credit, cents=cents, kassenzeichen=payment.kassenzeichen,
                haushaltsstelle=data.get("Haushaltsstelle", ""), objektnummer=data.get("Objektnummer", ""),
                transaction_id=payment.id, originator_id=payment.originator_id,
                method=payment.payment_method_detail or payment.payment_method or "", reference=reference)


async def build(session: AsyncSession, *, endpoint_id: str, originators: set[str] | frozenset[str],
                day: dt.date) -> Settlement:
    start, end = day_bounds(day)
    paid = (Payment.endpoint_id == endpoint_id, Payment.originator_id.in_(originators), Payment.status == "PAYED")
    before_credits = await session.scalar(select(func.coalesce(func.sum(Payment.captured_cents), 0))
                                          .where(*paid, Payment.completed_at < start)) or 0
    before_debits = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0)).join(Payment, Payment.id == Refund.payment_id)
        .where(*paid, Refund.created_at < start)) or 0
    entries: list[Entry] = []
    payments = (await session.scalars(select(Payment).where(*paid, Payment.completed_at >= start,
                                                            Payment.completed_at < end)
                                      .order_by(Payment.completed_at, Payment.id))).all()
    for payment in payments:
        assert payment.completed_at is not None
        entry = Entry(True, payment.captured_cents, payment.id, payment.kassenzeichen, payment.id,
                      payment.completed_at)
        entry.lines = [_line(payment, day, True, c, d, payment.id) for c, d in _split(payment)]
        entries.append(entry)
    refunds = (await session.execute(select(Refund, Payment).join(Payment, Payment.id == Refund.payment_id)
                                      .where(*paid, Refund.created_at >= start, Refund.created_at < end)
                                      .order_by(Refund.created_at, Refund.id))).all()
    for refund, payment in refunds:
        entry = Entry(False, refund.amount_cents, payment.id, payment.kassenzeichen, refund.id, refund.created_at)
        # A refund is booked against the payment's first booking line (its main Haushaltsstelle).
        entry.lines = [_line(payment, day, False, refund.amount_cents, _split(payment)[0][1], refund.id)]
        entries.append(entry)
    entries.sort(key=lambda e: (e.at, e.reference))
    return Settlement(endpoint_id, day, int(before_credits) - int(before_debits), entries)


def summary(settlement: Settlement) -> dict[str, Any]:
    by_kz: dict[str, int] = defaultdict(int)
    by_hhst: dict[str, int] = defaultdict(int)
    for line in settlement.lines:
        signed = line.cents if line.credit else -line.cents
        by_kz[line.kassenzeichen] += signed
        by_hhst[line.haushaltsstelle] += signed

    return {
        "endpointId": settlement.endpoint_id, "date": settlement.day.isoformat(), "currency": "EUR",
        "openingBalance": plain(settlement.opening_cents), "credits": plain(settlement.credit_cents),
        "debits": plain(settlement.debit_cents), "closingBalance": plain(settlement.closing_cents),
        "entries": len(settlement.entries),
        "byKassenzeichen": [{"kassenzeichen": k, "amount": plain(v)} for k, v in sorted(by_kz.items())],
        "byHaushaltsstelle": [{"haushaltsstelle": k, "amount": plain(v)} for k, v in sorted(by_hhst.items())],
        "lines": [{"bookingDate": ln.booking_date.isoformat(), "creditDebit": "CRDT" if ln.credit else "DBIT",
                   "amount": plain(ln.cents), "kassenzeichen": ln.kassenzeichen,
                   "haushaltsstelle": ln.haushaltsstelle, "objektnummer": ln.objektnummer,
                   "transactionId": ln.transaction_id, "originatorId": ln.originator_id, "method": ln.method,
                   "reference": ln.reference} for ln in settlement.lines],
    }


def csv_text(settlement: Settlement) -> str:
    """Semicolon-separated, decimal comma, as German cash-office software imports it."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Buchungstag", "Soll/Haben", "Betrag", "Waehrung", "Kassenzeichen", "Haushaltsstelle",
                     "Objektnummer", "Zahlungsart", "TransaktionsId", "Referenz", "Originator"])
    for ln in settlement.lines:
        writer.writerow([ln.booking_date.strftime("%d.%m.%Y"), "H" if ln.credit else "S",
                         plain(ln.cents).replace(".", ","), "EUR", ln.kassenzeichen, ln.haushaltsstelle,
                         ln.objektnummer, ln.method, ln.transaction_id, ln.reference, ln.originator_id])
    return out.getvalue()
