"""The append-only audit log of every money-relevant event (created, paid, failed, canceled, refunded, reconciled).
Rows are only ever inserted; the migration adds a trigger that refuses UPDATE on both SQLite and PostgreSQL."""

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.bezahlplattform.models import AuditEvent


async def record(session: AsyncSession, *, now: dt.datetime, event: str, actor: str, payment_id: str | None = None,
                 from_status: str | None = None, to_status: str | None = None, amount_cents: int | None = None,
                 **data: Any) -> None:
    # A Core INSERT in the caller's transaction (an event is never read back or changed by the code that writes it),
    # with the values as parameters so that the compiled statement is cached.
    await session.execute(insert(AuditEvent.__table__), dict(
        payment_id=payment_id, event=event, actor=actor, from_status=from_status, to_status=to_status,
        amount_cents=amount_cents, data=data, created_at=now))


async def trail(session: AsyncSession, payment_id: str) -> list[dict[str, Any]]:
    rows = (await session.scalars(select(AuditEvent).where(AuditEvent.payment_id == payment_id)
                                  .order_by(AuditEvent.id))).all()
    return [{"id": r.id, "event": r.event, "actor": r.actor, "fromStatus": r.from_status, "toStatus": r.to_status,
             "amountCents": r.amount_cents, "data": r.data,
             "createdAt": r.created_at.isoformat().replace("+00:00", "Z")} for r in rows]
