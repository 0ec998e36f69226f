"""Builds the nutzerkonto service's ASGI app: BundID-like SAML IdP, OIDC provider, login pages, eID API."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import ServiceHooks, ServiceRuntime, create_service_app
from services.nutzerkonto import controls, identities
from services.nutzerkonto.eid import endpoints as eid_api
from services.nutzerkonto.keys import KeyRing
from services.nutzerkonto.login import endpoints as login_pages
from services.nutzerkonto.models import Base
from services.nutzerkonto.oidc import clients as oidc_clients
from services.nutzerkonto.oidc import controls as oidc_controls
from services.nutzerkonto.oidc import endpoints as oidc_endpoints
from services.nutzerkonto.oidc.finisher import OidcFinisher
from services.nutzerkonto.oidc.provider import OidcProvider
from services.nutzerkonto.oidc.token_log import TokenLog
from services.nutzerkonto.saml import controls as saml_controls
from services.nutzerkonto.saml import endpoints as saml_endpoints
from services.nutzerkonto.saml import providers as saml_providers
from services.nutzerkonto.saml.finisher import SamlFinisher
from services.nutzerkonto.settings import NutzerkontoSettings
from services.nutzerkonto.state import Nutzerkonto

# The settings gateway.suite builds this service with.
settings_class = NutzerkontoSettings


class NutzerkontoHooks(ServiceHooks):
    def __init__(self, state: Nutzerkonto, oidc: OidcProvider) -> None:
        self.state = state
        self.oidc = oidc

    async def populate(self, runtime: ServiceRuntime) -> None:
        now = runtime.clock.now()
        async with runtime.db.sessionmaker() as session:
            await identities.populate(session, now)
            await self.state.keys.load(session, now)
            await saml_providers.load_configured(session, self.state.settings.saml_service_provider_metadata, now)
            await oidc_clients.populate(session, self.state.settings.clients, now)
            await session.commit()
        self.oidc.limiter.clear()
        self.oidc.clients.clear()

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        async with runtime.db.sessionmaker() as session:
            people = [identities.describe(i) for i in await identities.list_identities(session)]
            service_providers = [saml_providers.describe(sp) for sp in await saml_providers.list_all(session)]
            clients = [oidc_clients.describe(c) for c in await oidc_clients.list_clients(session)]
        return {
            "issuer": self.state.settings.issuer,
            "saml_entity_id": self.state.settings.entity_id,
            "identities": people,
            "saml_service_providers": service_providers,
            "clients": clients,
        }


def create_app(settings: NutzerkontoSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    settings = settings or NutzerkontoSettings()
    state = Nutzerkonto(settings=settings, keys=KeyRing(bits=settings.signing_key_bits,
                                                         issuer_name=f"Nutzerkonto {settings.entity_id}"))
    oidc = OidcProvider.create(settings, state.keys)
    app = create_service_app(
        settings,
        title="Nutzerkonto",
        description="BundID-like identity: SAML 2.0 IdP and OIDC/OAuth 2 provider, test identities, eID, trust levels.",
        # The OAuth endpoints first: the token endpoint is the hot path, and routes are matched in order.
        routers=[oidc_endpoints.router, login_pages.router, eid_api.router, controls.router, saml_endpoints.router,
                 saml_controls.router, oidc_controls.router],
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        hooks=NutzerkontoHooks(state, oidc),
        peers=peers,
    )
    app.state.nutzerkonto = state
    state.finishers["saml"] = SamlFinisher(state)
    app.state.oidc = oidc
    oidc.token_log = TokenLog(app.state.runtime.db)
    state.finishers["oidc"] = OidcFinisher(oidc)
    eid_api.install(app, state)
    return app
