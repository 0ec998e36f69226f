"""Builds the rechnungseingang service's ASGI app."""

from pathlib import Path

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import create_service_app
from services.rechnungseingang.settings import RechnungseingangSettings

# The settings gateway.suite builds this service with.
settings_class = RechnungseingangSettings


def create_app(settings: RechnungseingangSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    return create_service_app(
        settings or RechnungseingangSettings(),
        title="Rechnungseingang",
        description="Central e-invoice intake: XRechnung/ZUGFeRD, KoSIT-equivalent validation, Leitweg-ID routing.",
        migrations=Path(__file__).parent / "migrations",
        peers=peers,
    )
