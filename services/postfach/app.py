"""Builds the postfach service's ASGI app: the ZBP-like mailbox with Bekanntgabe, and the FIT-Connect transport."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import ServiceHooks, ServiceRuntime, create_service_app
from services.postfach.fitconnect import part as fitconnect
from services.postfach.mailbox import part as mailbox
from services.postfach.models import Base
from services.postfach.settings import PostfachSettings

# The settings gateway.suite builds this service with.
settings_class = PostfachSettings

PARTS = (mailbox, fitconnect)


class PostfachHooks(ServiceHooks):
    async def populate(self, runtime: ServiceRuntime) -> None:
        for part in PARTS:
            await part.populate(runtime)

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        return {part.name: await part.seed(runtime) for part in PARTS}


def create_app(settings: PostfachSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    app = create_service_app(
        settings or PostfachSettings(),
        title="Postfach",
        description="Citizen and company mailbox (ZBP-like), FIT-Connect transport, provable Bekanntgabe.",
        routers=[router for part in PARTS for router in part.routers],
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        hooks=PostfachHooks(),
        peers=peers,
        # mailbox/api.py, mailbox/notify.py, fitconnect/destinations/service.py (a destination's own faults)
        fault_steps=["mailbox.deliver", "mailbox.retrieval_confirmation", "fitconnect.destination.{destination_id}"],
    )
    for part in PARTS:
        part.install(app)
    return app
