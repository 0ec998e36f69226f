"""The emulator's per-method behaviour as data: whether a method is offered, forced next outcomes, and the status
progression (moto's modes: ``immediate``; ``manual`` until a control call or after N status reads; ``time`` after N
seconds of kit-clock time)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.bezahlplattform.models import MethodControl

PROGRESSIONS = ("immediate", "manual", "time")


@dataclass(frozen=True)
class Forced:
    status: str  # PAYED | FAILED | CANCELED
    detail: str | None


async def control(session: AsyncSession, method: str, *, for_update: bool = False) -> MethodControl:
    """The method's control row; created with the defaults (available, immediate) on first change."""
    query = select(MethodControl).where(MethodControl.method == method)
    if for_update and session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        row = MethodControl(method=method, available=True, progression="immediate", after_seconds=None,
                            after_reads=None, forced_outcomes=[])
        session.add(row)
        await session.flush()
    return row


async def all_controls(session: AsyncSession) -> dict[str, MethodControl]:
    return {row.method: row for row in (await session.scalars(select(MethodControl))).all()}


async def pop_forced(session: AsyncSession, method: str) -> Forced | None:
    """Take the oldest forced outcome queued for ``method`` (row-locked on PostgreSQL: each is used once)."""
    row = await control(session, method, for_update=True)
    if not row.forced_outcomes:
        return None
    first, *rest = row.forced_outcomes
    row.forced_outcomes = rest
    return Forced(first["status"], first.get("statusDetail"))


def describe(method: str, row: MethodControl | None) -> dict[str, Any]:
    return {
        "method": method,
        "available": row.available if row else True,
        "progression": {"mode": row.progression if row else "immediate",
                        "afterSeconds": row.after_seconds if row else None,
                        "afterReads": row.after_reads if row else None},
        "forcedOutcomes": list(row.forced_outcomes) if row else [],
    }
