"""Refunds of paid payments, partial or full. The total refunded never exceeds what was captured: the refund is
one conditional UPDATE (``refunded_cents + amount <= captured_cents``) on SQLite and PostgreSQL alike, so
concurrent refunds (also from several replicas) cannot over-refund."""

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.service import ServiceRuntime
from services.bezahlplattform import audit
from services.bezahlplattform.errors import xbd_problem
from services.bezahlplattform.models import Payment, Refund
from services.bezahlplattform.money import cents_to_euros, json_euros
from services.bezahlplattform.transactions import transitions


async def refund(session: AsyncSession, runtime: ServiceRuntime, base_url: str, payment: Payment, *,
                 amount_cents: int | None, reason: str | None, actor: str,
                 event: str = "payment.refunded") -> Refund:
    """Refund ``amount_cents`` (None: all that is left); ``event`` names it in the audit log and the webhook."""
    if payment.status != "PAYED":
        raise xbd_problem("UNSPECIFIED", f"Only paid payments can be refunded; this one is {payment.status}.",
                          currentStatus=payment.status)
    amount = amount_cents if amount_cents is not None else payment.captured_cents - payment.refunded_cents
    if amount <= 0:
        raise xbd_problem("UNSPECIFIED", "Nothing is left to refund on this payment.",
                          refundedAmount=json_euros(payment.refunded_cents))
    statement = (update(Payment)
                 .where(Payment.id == payment.id, Payment.status == "PAYED",
                        Payment.refunded_cents + amount <= Payment.captured_cents)
                 .values(refunded_cents=Payment.refunded_cents + amount, updated_at=runtime.clock.now())
                 .returning(Payment.refunded_cents, Payment.captured_cents)
                 .execution_options(synchronize_session=False))
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        current = await session.scalar(select(Payment.refunded_cents).where(Payment.id == payment.id)
                                       .execution_options(populate_existing=True)) or 0
        left = payment.captured_cents - current
        raise xbd_problem("UNSPECIFIED", f"A refund of {cents_to_euros(amount)} EUR would exceed what was captured: "
                          f"{cents_to_euros(left)} EUR are left to refund.", type_suffix="refund-exceeds-captured",
                          refundableAmount=json_euros(max(left, 0)))
    refunded, captured = row
    now = runtime.clock.now()
    record = Refund(id="re_" + uuid.uuid4().hex, payment_id=payment.id, amount_cents=amount, reason=reason,
                    created_at=now)
    session.add(record)
    await audit.record(session, now=now, event=event, actor=actor, payment_id=payment.id,
                       from_status="PAYED", to_status="PAYED", amount_cents=amount, refundId=record.id,
                       refundedTotalCents=refunded)
    await session.refresh(payment)
    await transitions.announce(session, runtime, base_url, payment, event,
                               refund={"refundId": record.id, "amount": json_euros(amount),
                                       "refundedAmount": json_euros(refunded),
                                       "fullyRefunded": refunded == captured})
    return record


async def list_refunds(session: AsyncSession, payment_id: str) -> list[Refund]:
    return list((await session.scalars(select(Refund).where(Refund.payment_id == payment_id)
                                       .order_by(Refund.created_at, Refund.id))).all())


def describe(refund_row: Refund) -> dict[str, object]:
    return {"refundId": refund_row.id, "transactionId": refund_row.payment_id,
            "amount": json_euros(refund_row.amount_cents), "currency": "EUR", "reason": refund_row.reason,
            "status": "SUCCEEDED", "created": refund_row.created_at.isoformat().replace("+00:00", "Z")}


# A SEPA debtor may reclaim a direct debit for 8 weeks, for 13 months if it was not authorised.
RECLAIM_AUTHORISED = dt.timedelta(weeks=8)
RECLAIM_UNAUTHORISED = dt.timedelta(days=396)


async def chargeback(session: AsyncSession, runtime: ServiceRuntime, base_url: str, payment: Payment, *,
                     unauthorised: bool) -> Refund:
    """A Rücklastschrift: the debtor's bank takes back what is still held of a SEPA payment. Booked like a refund
    (the Kasse sees a debit), so the total returned still never exceeds what was captured."""
    if payment.adapter != "sepa" or payment.status != "PAYED" or payment.completed_at is None:
        raise xbd_problem("UNSPECIFIED", "Only paid SEPA-Lastschrift payments can be charged back.")
    window = RECLAIM_UNAUTHORISED if unauthorised else RECLAIM_AUTHORISED
    if runtime.clock.now() > payment.completed_at + window:
        raise xbd_problem("UNSPECIFIED", f"The reclaim period ({'13 months' if unauthorised else '8 weeks'} after "
                          "the debit) is over.", type_suffix="reclaim-period-over")
    return await refund(session, runtime, base_url, payment, amount_cents=None, actor="bank:ruecklastschrift",
                        reason="Rücklastschrift" + (" (nicht autorisiert)" if unauthorised else ""),
                        event="payment.charged_back")
