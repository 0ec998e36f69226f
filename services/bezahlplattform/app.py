"""Builds the bezahlplattform service's ASGI app: XBezahldienste API, hosted checkout with payment adapters,
PayPal Orders v2, refunds, Kasse (settlement, camt.053), signed webhooks and the emulator controls."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from kit.identity import NutzerkontoVerifier
from kit.peers import Peers
from kit.service import ServiceHooks, ServiceRuntime, create_service_app
from services.bezahlplattform import controls
from services.bezahlplattform.auth import Credentials
from services.bezahlplattform.checkout import endpoints as checkout
from services.bezahlplattform.kasse import endpoints as kasse
from services.bezahlplattform.models import Base
from services.bezahlplattform.notifications.webhooks import CHANNEL, WebhookSender
from services.bezahlplattform.paypal import endpoints as paypal
from services.bezahlplattform.refunds import endpoints as refunds
from services.bezahlplattform.registry import repository as registry
from services.bezahlplattform.registry import seed
from services.bezahlplattform.settings import BezahlplattformSettings
from services.bezahlplattform.state import Bezahlplattform
from services.bezahlplattform.transactions import endpoints as transactions
from services.bezahlplattform.transactions.transitions import PROGRESS_CHANNEL, progress_handler

# The settings gateway.suite builds this service with.
settings_class = BezahlplattformSettings


class BezahlplattformHooks(ServiceHooks):
    def __init__(self) -> None:
        self.state: Bezahlplattform | None = None

    async def populate(self, runtime: ServiceRuntime) -> None:
        async with runtime.db.sessionmaker() as session:
            await seed.populate(session, runtime.clock.now())
            await session.commit()
        if self.state is not None:
            self.state.credentials.invalidate()

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        async with runtime.db.sessionmaker() as session:
            originators = await registry.list_originators(session)
            endpoints = await registry.list_endpoints(session)
        by_originator: dict[str, list[Any]] = {}
        for endpoint in endpoints:
            by_originator.setdefault(endpoint.originator_id, []).append(endpoint)
        return {
            "originators": [registry.describe_originator(o, by_originator.get(o.id, [])) for o in originators],
            "oauth": {"audience": "bezahlplattform", "clients": list(seed.DEMO_CLIENTS)},
            "test_cards": controls.TEST_CARDS,
            "threeds_note": "4000002500003155 opens the 3-D Secure challenge page",
            "giropay_end": "2024-12-31 (payments dated later are refused)",
        }


def create_app(settings: BezahlplattformSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    settings = settings or BezahlplattformSettings()
    hooks = BezahlplattformHooks()
    app = create_service_app(
        settings,
        title="Bezahlplattform",
        description="ePayment platform: XBezahldienste API, hosted checkout, giropay/PayPal/card/SEPA adapters, Kasse.",
        routers=[transactions.router, refunds.router, checkout.router, paypal.api_router, paypal.pages_router,
                 kasse.router, controls.router],
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        hooks=hooks,
        peers=peers,
        fault_steps=["webhook.deliver"],  # notifications/webhooks.py
    )
    runtime: ServiceRuntime = app.state.runtime
    verifier = NutzerkontoVerifier(runtime.peers, runtime.clock, audience="bezahlplattform")
    state = Bezahlplattform(runtime=runtime, settings=settings,
                            credentials=Credentials(verifier, runtime.db.sessionmaker))
    hooks.state = state
    app.state.bezahlplattform = state
    sender = WebhookSender(runtime)
    runtime.outbox.register_channel(CHANNEL, sender)
    runtime.outbox.register_channel(PROGRESS_CHANNEL, progress_handler(runtime))
    return app
