"""Builds the bezahlplattform service's ASGI app."""

from pathlib import Path

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import create_service_app
from services.bezahlplattform.settings import BezahlplattformSettings

# The settings gateway.suite builds this service with.
settings_class = BezahlplattformSettings


def create_app(settings: BezahlplattformSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    return create_service_app(
        settings or BezahlplattformSettings(),
        title="Bezahlplattform",
        description="ePayment platform: XBezahldienste API, hosted checkout, giropay/PayPal/card/SEPA adapters, Kasse.",
        migrations=Path(__file__).parent / "migrations",
        peers=peers,
    )
