"""FIT-Connect's deadlines, measured by the kit clock: a destination's technical contact is told by e-mail when
a submission has not been picked up for 3 days, and a submission still ``submitted`` after 14 days is rejected
by the service itself (reject-submission SET signed by the delivery service).

The kit clock does not announce its changes, so the sweep runs in two places: in the background every few
wall-clock seconds, and at the start of every read a subscriber or sender makes of submissions and event logs —
so a test that advances the clock sees the consequences on its very next read. Each step is a conditional
update, so concurrent sweeps never act twice.
"""

import asyncio
import contextlib
import datetime as dt
import logging
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.postfach.fitconnect.models import FcAccessToken, FcDestination, FcSubmission

if TYPE_CHECKING:
    from services.postfach.fitconnect.state import FitConnect

log = logging.getLogger("basisdienste.postfach.fitconnect")
BATCH = 200


async def sweep(session: AsyncSession, fc: "FitConnect") -> int:
    """Apply the timers that are due; answers how many submissions changed."""
    from services.postfach.fitconnect.events import sets
    from services.postfach.fitconnect.submissions.service import finish

    now = fc.runtime.clock.now()
    changed = 0
    notify_before = now - dt.timedelta(days=fc.settings.notify_after_days)
    due = (await session.execute(select(FcSubmission.submission_id, FcSubmission.destination_id).where(
        FcSubmission.status == "submitted", FcSubmission.submitted_at <= notify_before,
        FcSubmission.contact_notified_at.is_(None)).limit(BATCH))).all()
    for submission_id, destination_id in due:
        moved = await session.execute(update(FcSubmission).where(
            FcSubmission.submission_id == submission_id, FcSubmission.contact_notified_at.is_(None))
            .values(contact_notified_at=now).execution_options(synchronize_session=False))
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue
        destination = await session.get(FcDestination, destination_id)
        address = (destination.contact_information.get("technicalContactEmail") if destination else None)
        if address:
            fc.runtime.outbox.enqueue(session, channel="mail", target=address, payload={
                "subject": "FIT-Connect: Einreichung seit "
                           f"{fc.settings.notify_after_days} Tagen nicht abgeholt",
                "body": f"Die Einreichung {submission_id} an den Zustellpunkt {destination_id} wurde noch nicht "
                        "abgeholt. Bitte prüfen Sie Ihr Fachverfahren.",
                "destinationId": destination_id, "submissionId": submission_id})
        changed += 1
    reject_before = now - dt.timedelta(days=fc.settings.auto_reject_after_days)
    stale = (await session.scalars(select(FcSubmission).where(
        FcSubmission.status == "submitted", FcSubmission.submitted_at <= reject_before).limit(BATCH))).all()
    for submission in stale:
        try:
            await finish(session, fc, submission, "reject-submission", {"problems": [sets.reject_problem(
                "technical-error", "Nicht abgeholt",
                f"Die Einreichung wurde nicht innerhalb von {fc.settings.auto_reject_after_days} Tagen abgeholt.",
                f"submission:{submission.submission_id}")]}, by_service=True)
        except Exception as exc:  # a concurrent accept won the race: nothing to do
            log.info("auto-reject of %s skipped: %s", submission.submission_id, exc)
            continue
        changed += 1
    return changed


async def run_periodically(fc: "FitConnect") -> None:
    while True:
        await asyncio.sleep(fc.settings.sweep_interval_seconds)
        try:
            async with fc.runtime.db.sessionmaker() as session:
                await sweep(session, fc)
                # Clients that take a token per request leave many behind; expired ones are of no use.
                await session.execute(delete(FcAccessToken).where(FcAccessToken.expires_at <= fc.runtime.clock.now()))
                await session.commit()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("FIT-Connect timer sweep failed; the next one retries")


@contextlib.asynccontextmanager
async def background(fc: "FitConnect"):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(run_periodically(fc), name="fitconnect-timers")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
