"""The two halves of the postfach service — the citizen/company mailbox (ZBP) and the FIT-Connect transport —
each contribute routes, seed data and app wiring through this one small interface, so app.py only lists them."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI

from kit.service import ServiceRuntime


@dataclass
class ServicePart:
    name: str
    routers: Sequence[APIRouter] = field(default_factory=list)

    async def populate(self, runtime: ServiceRuntime) -> None:
        """Idempotent seed writes; runs at startup and after every reset."""

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        """This part's share of ``GET /_emulator/seed``."""
        return {}

    def install(self, app: FastAPI) -> None:
        """Wiring that needs the app (state, token verifier, background tasks)."""
