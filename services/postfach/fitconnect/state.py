"""What the running FIT-Connect part holds beside the kit's runtime: settings, keys, the routing limiter, and
the public URLs it names itself by (the ``iss`` of its SETs)."""

import logging
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from kit.service import ServiceRuntime
from services.postfach.fitconnect.keys import KeyStore
from services.postfach.fitconnect.routing.limiter import WindowLimiter
from services.postfach.fitconnect.settings import FitConnectSettings

log = logging.getLogger("basisdienste.postfach.fitconnect")

PREFIX = "/fitconnect"
# Tokens asked for this soon after the previous one count as "a token per request" (the fitconnect SDK's habit).
TOKEN_REUSE_SECONDS = 60.0
TOKEN_PER_REQUEST_AFTER = 3
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
    # Client quirks noticed outside a submission (client id -> warnings), shown by the emulator controls.
    client_quirks: dict[str, list[str]] = field(default_factory=dict)
    _token_requests: dict[str, tuple[float, int]] = field(default_factory=dict)

    def note_token_request(self, client_id: str) -> None:
        """Warn (once per client) when a client fetches a new token for nearly every request; tolerated, as the
        real OAuth server tolerates it, but it costs a round trip per call."""
        now = time.monotonic()
        last, streak = self._token_requests.get(client_id, (-TOKEN_REUSE_SECONDS, 0))
        streak = streak + 1 if now - last < TOKEN_REUSE_SECONDS else 0
        self._token_requests[client_id] = (now, streak)
        quirk = "a new access token for nearly every request (tokens are valid for 1800 s and can be reused)"
        if streak >= TOKEN_PER_REQUEST_AFTER and quirk not in self.client_quirks.get(client_id, []):
            log.warning("FIT-Connect client quirk of %s: %s", client_id, quirk)
            self.client_quirks.setdefault(client_id, []).append(quirk)

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


async def _fitconnect(request: Request) -> FitConnect:
    return request.app.state.fitconnect


FitConnectDep = Annotated[FitConnect, Depends(_fitconnect)]
