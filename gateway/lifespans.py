"""The in-process services start side by side and stop in reverse order.

Their start-ups are independent (each has its own database or schema, none calls another while starting) but some
wait on worker threads: the Nutzerkonto's first signing key, the Bescheid's fonts and test PKI. One after the other,
the suite waited for each in turn; side by side, that work overlaps with the others' seeding. (Their Alembic
upgrades still run one at a time: see kit/migrate.py.)

A lifespan must be left in the task that entered it (its cancel scopes belong to that task), so each service's
lifespan runs in a task of its own that waits for its stop signal.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from fastapi import FastAPI


class _Running:
    def __init__(self, app: FastAPI) -> None:
        self.started = asyncio.get_running_loop().create_future()
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self._run(app), name=f"lifespan-{app.title}")

    async def _run(self, app: FastAPI) -> None:
        try:
            async with app.router.lifespan_context(app):
                self.started.set_result(None)
                await self.stop.wait()
        except BaseException as exc:
            if not self.started.done():
                self.started.set_exception(exc)
            raise

    async def close(self) -> None:
        self.stop.set()
        if self.started.done() and not self.started.exception():
            await self.task  # an error while stopping is this service's to report
        else:
            with contextlib.suppress(BaseException):  # its failed start is reported by lifespans()
                await self.task


@contextlib.asynccontextmanager
async def lifespans(apps: Sequence[FastAPI]) -> AsyncIterator[None]:
    """Enter every app's lifespan at once; if one fails, stop the others and raise its error."""
    running = [_Running(app) for app in apps]
    try:
        outcomes = await asyncio.gather(*(r.started for r in running), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        yield
    finally:
        for r in reversed(running):
            await r.close()
