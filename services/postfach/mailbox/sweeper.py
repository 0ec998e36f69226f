"""Records Bekanntgabe steps when they come due by the kit clock, whether or not anyone reads the message: every
``bekanntgabe_sweep_seconds`` (wall-clock) the messages whose ``bekanntgabe_due_at`` has passed are settled, which
appends ``bekanntgabe_reached`` or ``bekanntgabe_expired`` to their trail with the legal instant as its time.
Reads settle too (reading.settle), so an answer is right even between two sweeps."""

import asyncio
import contextlib
import logging

from sqlalchemy import select

from kit.problems import Problem
from services.postfach.mailbox import reading, repository
from services.postfach.mailbox.models import Message
from services.postfach.mailbox.state import MailboxState

log = logging.getLogger("basisdienste.postfach.bekanntgabe")
BATCH = 200


async def sweep_once(state: MailboxState) -> int:
    """Settle the messages that are due now; answers how many were looked at."""
    db = state.runtime.db
    now = state.runtime.clock.now()
    async with db.sessionmaker() as session:
        due = list((await session.scalars(
            select(Message.id).where(Message.bekanntgabe_status == "pending", Message.bekanntgabe_due_at <= now)
            .order_by(Message.bekanntgabe_due_at).limit(BATCH))).all())
    for message_id in due:
        try:
            async with db.sessionmaker() as session, session.begin():
                message = await repository.get_message(session, message_id, for_update=True)
                if message is not None:
                    await reading.settle(session, state, message)
        except Problem:
            continue  # another event was appended at the same moment; the next sweep (or a read) settles it
    return len(due)


class Sweeper:
    def __init__(self, state: MailboxState, interval: float) -> None:
        self.state = state
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="postfach-bekanntgabe-sweeper")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                while await sweep_once(self.state) >= BATCH:
                    pass
            except Exception:
                log.exception("Bekanntgabe sweep failed; the next one retries")
            await asyncio.sleep(self.interval)
