"""The append-only audit log of every money-relevant event (created, paid, failed, canceled, refunded, reconciled).
Rows are only ever inserted; the migration adds a trigger that refuses UPDATE on both SQLite and PostgreSQL."""

import datetime as dt
from collections.abc import Sequence
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


def _json(row: AuditEvent) -> dict[str, Any]:
    return {"id": row.id, "event": row.event, "actor": row.actor, "fromStatus": row.from_status,
            "toStatus": row.to_status, "amountCents": row.amount_cents, "data": row.data,
            "createdAt": row.created_at.isoformat().replace("+00:00", "Z")}


async def trail(session: AsyncSession, payment_id: str) -> list[dict[str, Any]]:
    rows = (await session.scalars(select(AuditEvent).where(AuditEvent.payment_id == payment_id)
                                  .order_by(AuditEvent.id))).all()
    return [_json(r) for r in rows]


async def trails(session: AsyncSession, payment_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The trails of several payments in one query, oldest event first (the emulator's payment list)."""
    by_payment: dict[str, list[dict[str, Any]]] = {payment_id: [] for payment_id in payment_ids}
    if by_payment:
        rows = (await session.scalars(select(AuditEvent).where(AuditEvent.payment_id.in_(by_payment))
                                      .order_by(AuditEvent.id))).all()
        for row in rows:
            by_payment[str(row.payment_id)].append(_json(row))
    return by_payment
