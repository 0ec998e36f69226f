"""Builds the postfach service's ASGI app."""

from pathlib import Path

from fastapi import FastAPI

from kit.peers import Peers
from kit.service import create_service_app
from services.postfach.settings import PostfachSettings

# The settings gateway.suite builds this service with.
settings_class = PostfachSettings


def create_app(settings: PostfachSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    return create_service_app(
        settings or PostfachSettings(),
        title="Postfach",
        description="Citizen and company mailbox (ZBP-like), FIT-Connect transport, provable Bekanntgabe.",
        migrations=Path(__file__).parent / "migrations",
        peers=peers,
    )
