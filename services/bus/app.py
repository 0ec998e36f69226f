"""Builds the BUS service's ASGI app: the service directory (PVOG Suchdienst), the ARS hierarchy it answers along,
and the Zuständigkeiten the FIT-Connect routing resolves through. Not yet part of the suite (kit.settings
SERVICE_NAMES): its API and seed data come first (issue 16)."""

from pathlib import Path

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import create_service_app
from services.bus.models import Base
from services.bus.settings import BusSettings

# The settings gateway.suite builds this service with.
settings_class = BusSettings


def create_app(settings: BusSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    settings = settings or BusSettings()
    return create_service_app(
        settings,
        title="BUS",
        description="Bürger- und Unternehmensservice: service directory (PVOG Suchdienst), ARS hierarchy, "
                    "Zuständigkeiten.",
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        peers=peers,
    )
