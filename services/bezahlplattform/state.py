"""What the running Bezahlplattform holds besides the kit runtime: the credential cache and its own settings.
Reachable as ``request.app.state.bezahlplattform``."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from kit.service import ServiceRuntime
from services.bezahlplattform.auth import Credentials
from services.bezahlplattform.settings import BezahlplattformSettings


@dataclass
class Bezahlplattform:
    runtime: ServiceRuntime
    settings: BezahlplattformSettings
    credentials: Credentials

    @property
    def base_url(self) -> str:
        return self.settings.external_url.rstrip("/")


async def _state(request: Request) -> Bezahlplattform:
    return request.app.state.bezahlplattform


StateDep = Annotated[Bezahlplattform, Depends(_state)]
