"""Builds the nutzerkonto service's ASGI app: BundID-like SAML IdP, OIDC provider, login pages, eID API."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import ServiceHooks, ServiceRuntime, create_service_app
from services.nutzerkonto import controls, identities
from services.nutzerkonto.login import endpoints as login_pages
from services.nutzerkonto.keys import KeyRing
from services.nutzerkonto.models import Base
from services.nutzerkonto.settings import NutzerkontoSettings
from services.nutzerkonto.state import Nutzerkonto

# The settings gateway.suite builds this service with.
settings_class = NutzerkontoSettings


class NutzerkontoHooks(ServiceHooks):
    def __init__(self, state: Nutzerkonto) -> None:
        self.state = state

    async def populate(self, runtime: ServiceRuntime) -> None:
        now = runtime.clock.now()
        async with runtime.db.sessionmaker() as session:
            await identities.populate(session, now)
            await self.state.keys.load(session, now)
            await session.commit()

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        async with runtime.db.sessionmaker() as session:
            people = [identities.describe(i) for i in await identities.list_identities(session)]
        return {
            "issuer": self.state.settings.issuer,
            "saml_entity_id": self.state.settings.entity_id,
            "identities": people,
        }


def create_app(settings: NutzerkontoSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    settings = settings or NutzerkontoSettings()
    state = Nutzerkonto(settings=settings, keys=KeyRing(bits=settings.signing_key_bits,
                                                         issuer_name=f"Nutzerkonto {settings.entity_id}"))
    app = create_service_app(
        settings,
        title="Nutzerkonto",
        description="BundID-like identity: SAML 2.0 IdP and OIDC/OAuth 2 provider, test identities, eID, trust levels.",
        routers=[login_pages.router, controls.router],
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        hooks=NutzerkontoHooks(state),
        peers=peers,
    )
    app.state.nutzerkonto = state
    return app
