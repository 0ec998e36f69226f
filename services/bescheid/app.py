"""Builds the bescheid service's ASGI app."""

from pathlib import Path

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import create_service_app
from services.bescheid.settings import BescheidSettings

# The settings gateway.suite builds this service with.
settings_class = BescheidSettings


def create_app(settings: BescheidSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    return create_service_app(
        settings or BescheidSettings(),
        title="Bescheid",
        description="Notices rendered to PDF, sealed with PAdES under a test PKI, and delivered to the Postfach.",
        migrations=Path(__file__).parent / "migrations",
        peers=peers,
    )
