"""Moving a payment out of INITIAL: to PAYED, FAILED or CANCELED, once. Every move is a conditional UPDATE, is
written to the audit log and announced by a signed webhook in the same transaction.

A PAYED outcome of the checkout may be held back by the method's status progression (manual / after time); it is
then stored as pending and applied later by :func:`apply_pending` (a control call, a status read, or the outbox
channel ``bp-progress`` at its due time, which survives restarts).
"""

import datetime as dt
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.outbox import DeliveryFailed, OutboxMessage
from kit.service import ServiceRuntime
from services.bezahlplattform import audit, emulation
from services.bezahlplattform.models import Originator, Payment
from services.bezahlplattform.notifications import webhooks
from services.bezahlplattform.transactions import repository
from services.bezahlplattform.transactions.view import render

log = logging.getLogger("basisdienste.bezahlplattform")

PROGRESS_CHANNEL = "bp-progress"
EVENT_TYPES = {"PAYED": "payment.payed", "FAILED": "payment.failed", "CANCELED": "payment.canceled"}


async def announce(session: AsyncSession, runtime: ServiceRuntime, base_url: str, payment: Payment, type_: str,
                   *, originator: Originator | None = None, **extra: Any) -> None:
    """Queue the webhook of this change (``originator`` saves the lookup when the caller has it)."""
    originator = originator or await session.get(Originator, payment.originator_id)
    if originator is not None and originator.webhook_url:
        data = render(payment, base_url)
        data.update(extra)
        webhooks.enqueue(session, runtime, originator, type_=type_, data=data)


async def finish(session: AsyncSession, runtime: ServiceRuntime, base_url: str, payment_id: str, *, status: str,
                 detail: str | None, actor: str, **values: Any) -> Payment | None:
    """INITIAL → ``status``; None when the payment had already left INITIAL (nothing changes then)."""
    now = runtime.clock.now()
    changes: dict[str, Any] = {"status": status, "status_detail": detail, "updated_at": now, "completed_at": now,
                               "pending_status": None, "pending_detail": None, "pending_due_at": None,
                               "pending_after_reads": None, **values}
    payment = await repository.get(session, payment_id)
    if payment is None:
        return None
    if status == "PAYED":
        changes["captured_cents"] = payment.gros_amount_cents
    updated = await repository.update_if(session, payment_id, **changes)
    if updated is None:
        return None
    await audit.record(session, now=now, event=f"payment.{status.lower()}", actor=actor, payment_id=payment_id,
                       from_status="INITIAL", to_status=status,
                       amount_cents=updated.gros_amount_cents if status == "PAYED" else None,
                       method=updated.payment_method, detail=detail)
    await announce(session, runtime, base_url, updated, EVENT_TYPES[status])
    return updated


async def conclude(session: AsyncSession, runtime: ServiceRuntime, base_url: str, payment: Payment, *,
                   adapter: str, status: str, detail: str | None, actor: str, **values: Any) -> Payment | None:
    """The checkout reached an outcome: apply a forced outcome if one is queued, then the method's progression."""
    forced = await emulation.pop_forced(session, adapter)
    if forced is not None:
        status, detail = forced.status, forced.detail or f"vom Emulator erzwungen: {forced.status}"
    control = await emulation.control(session, adapter)
    if status != "PAYED" or control.progression == "immediate":
        return await finish(session, runtime, base_url, payment.id, status=status, detail=detail, actor=actor,
                            adapter=adapter, **values)
    now = runtime.clock.now()
    due = now + dt.timedelta(seconds=control.after_seconds or 0) if control.progression == "time" else None
    held = await repository.update_if(
        session, payment.id, adapter=adapter, pending_status=status, pending_detail=detail, pending_due_at=due,
        pending_after_reads=control.after_reads if control.progression == "manual" else None, reads=0,
        updated_at=now, **values)
    if held is None:
        return None
    await audit.record(session, now=now, event="payment.pending", actor=actor, payment_id=payment.id,
                       from_status="INITIAL", to_status="INITIAL", progression=control.progression)
    if due is not None:
        message = runtime.outbox.enqueue(session, channel=PROGRESS_CHANNEL, target=f"payment:{payment.id}",
                                         payload={"paymentId": payment.id, "baseUrl": base_url})
        message.next_attempt_at = due
    return held


def is_due(payment: Payment, now: dt.datetime) -> bool:
    if payment.status != "INITIAL" or payment.pending_status is None:
        return False
    if payment.pending_due_at is not None:
        return payment.pending_due_at <= now
    return payment.pending_after_reads is not None and payment.reads >= payment.pending_after_reads


async def apply_pending(session: AsyncSession, runtime: ServiceRuntime, base_url: str, payment: Payment, *,
                        actor: str, force: bool = False) -> Payment | None:
    if payment.status != "INITIAL" or payment.pending_status is None:
        return None
    if not force and not is_due(payment, runtime.clock.now()):
        return None
    return await finish(session, runtime, base_url, payment.id, status=payment.pending_status,
                        detail=payment.pending_detail, actor=actor)


def progress_handler(runtime: ServiceRuntime):  # type: ignore[no-untyped-def]
    """Outbox channel ``bp-progress``: a time progression fell due; make it final (idempotent)."""

    async def handle(message: OutboxMessage) -> None:
        async with runtime.db.sessionmaker() as session, session.begin():
            payment = await repository.get(session, message.payload["paymentId"])
            if payment is None or payment.status != "INITIAL" or payment.pending_status is None:
                return
            if not is_due(payment, runtime.clock.now()):
                raise DeliveryFailed("the progression is not due yet")
            await apply_pending(session, runtime, message.payload["baseUrl"], payment, actor="progression:time")

    return handle
