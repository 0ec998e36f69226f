"""What the running FIT-Connect part holds beside the kit's runtime: settings, keys, the routing limiter, and
the public URLs it names itself by (the ``iss`` of its SETs)."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from kit.service import ServiceRuntime
from services.postfach.fitconnect.keys import KeyStore
from services.postfach.fitconnect.routing.limiter import WindowLimiter
from services.postfach.fitconnect.settings import FitConnectSettings

PREFIX = "/fitconnect"
SUBMISSION_API = f"{PREFIX}/submission-api"
DESTINATION_API = f"{PREFIX}/destination-api"
ROUTING_API = f"{PREFIX}/routing-api"
TOKEN_PATH = f"{PREFIX}/token"


@dataclass
class FitConnect:
    settings: FitConnectSettings
    runtime: ServiceRuntime
    keys: KeyStore = field(default_factory=KeyStore)
    limiter: WindowLimiter = field(default_factory=WindowLimiter)

    def __post_init__(self) -> None:
        self.limiter.configure(self.settings.routing_rate_limit, self.settings.routing_rate_window_seconds)

    @property
    def base_url(self) -> str:
        return self.runtime.settings.external_url.rstrip("/")

    @property
    def submission_api_url(self) -> str:
        """The delivery service's own name: ``iss`` of the SETs it signs; its JWKS lives below it."""
        return self.base_url + SUBMISSION_API

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH


def _fitconnect(request: Request) -> FitConnect:
    return request.app.state.fitconnect


FitConnectDep = Annotated[FitConnect, Depends(_fitconnect)]
