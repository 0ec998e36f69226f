"""Builds the nutzerkonto service's ASGI app."""

from pathlib import Path

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import create_service_app
from services.nutzerkonto.settings import NutzerkontoSettings

# The settings gateway.suite builds this service with.
settings_class = NutzerkontoSettings


def create_app(settings: NutzerkontoSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    return create_service_app(
        settings or NutzerkontoSettings(),
        title="Nutzerkonto",
        description="BundID-like identity: SAML 2.0 IdP and OIDC/OAuth 2 provider, test identities, eID, trust levels.",
        migrations=Path(__file__).parent / "migrations",
        peers=peers,
    )
