"""The postfach service's FIT-Connect part: the federal submission transport (OAuth token endpoint,
Submission API v1/v2 with SETs and callbacks, routing API, reply channel), emulated end to end without ever
decrypting. ``part`` is what services/postfach/app.py wires in."""

import contextlib
import weakref
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from kit.service import ServiceRuntime
from services.postfach.fitconnect import controls, oauth, timers
from services.postfach.fitconnect.callbacks import CHANNEL, CallbackChannel
from services.postfach.fitconnect.destinations import endpoints as destination_endpoints
from services.postfach.fitconnect.destinations import seed
from services.postfach.fitconnect.destinations import service as destinations
from services.postfach.fitconnect.events import endpoints as event_endpoints
from services.postfach.fitconnect.keys import ENC, SERVICE, SIG
from services.postfach.fitconnect.metadata import endpoints as metadata_endpoints
from services.postfach.fitconnect.models import FcClient, FcDestination
from services.postfach.fitconnect.replies import endpoints as reply_endpoints
from services.postfach.fitconnect.routing import endpoints as routing_endpoints
from services.postfach.fitconnect.settings import FitConnectSettings
from services.postfach.fitconnect.state import DESTINATION_API, ROUTING_API, SUBMISSION_API, TOKEN_PATH, FitConnect
from services.postfach.fitconnect.submissions import endpoints as submission_endpoints
from services.postfach.parts import ServicePart

ROUTERS = [oauth.router, *destination_endpoints.routers, *submission_endpoints.routers, *event_endpoints.routers,
           *reply_endpoints.routers, routing_endpoints.router, metadata_endpoints.router, controls.router]


class FitConnectPart(ServicePart):
    def __init__(self) -> None:
        super().__init__(name="fitconnect", routers=ROUTERS)
        # One part object serves every app built in this process (tests build many): state is per runtime.
        self._states: weakref.WeakValueDictionary[int, FitConnect] = weakref.WeakValueDictionary()

    def state(self, runtime: ServiceRuntime) -> FitConnect:
        return self._states[id(runtime)]

    def install(self, app: FastAPI) -> None:
        runtime: ServiceRuntime = app.state.runtime
        fc = FitConnect(settings=FitConnectSettings(), runtime=runtime)
        app.state.fitconnect = fc
        self._states[id(runtime)] = fc
        channel = CallbackChannel(fc)
        runtime.outbox.register_channel(CHANNEL, channel)
        inner = app.router.lifespan_context

        @contextlib.asynccontextmanager
        async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
            async with inner(application) as value, timers.background(fc):
                yield value
                # Keys still being made or stored when the suite stops are finished first: they cost seconds, and
                # a stop right after the first start (a test run's template, a quick try of `up`) would throw
                # them away and make the next start generate them again.
                await fc.keys.wait()
            await channel.aclose()

        app.router.lifespan_context = lifespan

    async def populate(self, runtime: ServiceRuntime) -> None:
        fc = self.state(runtime)
        now = runtime.clock.now()
        async with runtime.db.sessionmaker() as session:
            await fc.keys.load(session)
            await destinations.populate(session, fc, now)
            await session.commit()
            owners = [(d.destination_id, d.key_bits) for d in (await session.scalars(select(FcDestination))).all()]
        fc.limiter.configure(fc.settings.routing_rate_limit, fc.settings.routing_rate_window_seconds)
        fc.client_quirks.clear()
        # Keys are made in the background: start-up stays fast, and the first request that needs one waits.
        fc.keys.ensure_in_background(runtime.db, SERVICE, (SIG,), fc.settings.key_bits, now)
        for owner, bits in owners:
            fc.keys.ensure_in_background(runtime.db, owner, (ENC, SIG), bits, now)

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        fc = self.state(runtime)
        base = fc.base_url
        async with runtime.db.sessionmaker() as session:
            rows = (await session.scalars(select(FcDestination).order_by(FcDestination.name))).all()
            clients = (await session.scalars(select(FcClient).order_by(FcClient.client_id))).all()
        return {
            "token_url": base + TOKEN_PATH,
            "submission_api_url": base + SUBMISSION_API,
            "destination_api_url": base + DESTINATION_API,
            "routing_api_url": base + ROUTING_API,
            "scopes": {"sender": oauth.SEND, "subscriber": oauth.SUBSCRIBE},
            "destinations": [{"destinationId": d.destination_id, "name": d.name, "ars": d.ars,
                              "publicServices": [s["identifier"] for s in d.public_services]} for d in rows],
            "clients": [{"client_id": c.client_id, "client_secret": c.client_secret, "role": c.role,
                         "destinations": c.destinations} for c in clients],
            "leika_keys": {identifier: name for identifier, name, _ in seed.PUBLIC_SERVICES},
        }


part = FitConnectPart()
