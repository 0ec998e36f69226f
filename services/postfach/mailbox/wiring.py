"""The mailbox part of the postfach service as services/postfach/app.py wires it: routers, seed, and the app state
(identity directory, token verifier, at-rest sealer, the retrieval-confirmation outbox channel)."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from kit.identity import NutzerkontoVerifier
from kit.service import ServiceRuntime
from services.postfach.mailbox import api, controls, pages, reader_api, sealing, seeding
from services.postfach.mailbox.directory import IdentityDirectory
from services.postfach.mailbox.notify import CONFIRMATION_CHANNEL, ConfirmationChannel
from services.postfach.mailbox.state import MailboxState
from services.postfach.mailbox.sweeper import Sweeper
from services.postfach.parts import ServicePart
from services.postfach.settings import PostfachSettings


class MailboxPart(ServicePart):
    def __init__(self) -> None:
        super().__init__(name="mailbox", routers=[api.router, reader_api.router, controls.router, pages.router])
        # One state per app (tests build several apps in one process); found again by the app's runtime.
        self._states: dict[int, MailboxState] = {}

    async def populate(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        assert isinstance(settings, PostfachSettings)
        now = runtime.clock.now()
        async with runtime.db.sessionmaker() as session:
            await seeding.populate(session, settings, now)
            if settings.at_rest_key is None:
                await sealing.load_or_create_key(session, now)
            await session.commit()
        state = self._states.get(id(runtime))
        if state is not None:
            state.reset()

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        assert isinstance(runtime.settings, PostfachSettings)
        return seeding.describe(runtime.settings)

    def install(self, app: FastAPI) -> None:
        runtime: ServiceRuntime = app.state.runtime
        settings = runtime.settings
        assert isinstance(settings, PostfachSettings)
        state = MailboxState(settings=settings, runtime=runtime,
                             directory=IdentityDirectory(runtime.peers, ttl=settings.identity_cache_seconds),
                             verifier=NutzerkontoVerifier(runtime.peers, runtime.clock, audience="postfach"))
        app.state.mailbox = state
        self._states[id(runtime)] = state
        state.confirmations = ConfirmationChannel(runtime)
        runtime.outbox.register_channel(CONFIRMATION_CHANNEL, state.confirmations)
        sweeper = Sweeper(state, settings.bekanntgabe_sweep_seconds)
        inner = app.router.lifespan_context

        # The part needs a background task for the app's lifetime; ServicePart has no lifespan hook, so the app's
        # own lifespan (migrations, seed, outbox) is wrapped: the sweeper starts after it and stops before it ends.
        @contextlib.asynccontextmanager
        async def lifespan(app_: FastAPI) -> AsyncIterator[Any]:
            async with inner(app_) as value:
                sweeper.start()
                try:
                    yield value
                finally:
                    await sweeper.stop()
                    await state.confirmations.aclose()

        app.router.lifespan_context = lifespan
