"""What the OIDC provider holds while the service runs: settings, the shared key ring, the limiter of failed
client authentications, and the endpoint URLs that discovery (OIDC Discovery 1.0, RFC 8414) announces."""

import collections
import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from services.nutzerkonto.keys import KeyRing
from services.nutzerkonto.oidc.clients import ClientCache
from services.nutzerkonto.oidc.token_log import TokenLog
from services.nutzerkonto.settings import NutzerkontoSettings

_MAX_TRACKED_CLIENT_IDS = 10_000


@dataclass
class FailureLimiter:
    """Counts failed client authentications per ``client_id`` in a sliding window of kit-clock time.

    In memory on purpose: like the gateway's rate limiter it protects one process, and a reset clears it. The
    limit holds even for a correct secret presented while locked, or guessing would simply continue.
    """

    limit: int
    window: dt.timedelta = dt.timedelta(minutes=1)
    _failures: dict[str, collections.deque[dt.datetime]] = field(default_factory=dict)

    def _recent(self, client_id: str, now: dt.datetime) -> collections.deque[dt.datetime]:
        failures = self._failures.get(client_id, collections.deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, client_id: str, now: dt.datetime) -> int | None:
        """Seconds until ``client_id`` may try again, or None when it may try now."""
        failures = self._recent(client_id, now)
        if len(failures) < self.limit:
            return None
        return max(1, int((failures[0] + self.window - now).total_seconds()) + 1)

    def record(self, client_id: str, now: dt.datetime) -> None:
        if client_id not in self._failures and len(self._failures) >= _MAX_TRACKED_CLIENT_IDS:
            # Invented client_ids must not grow memory without bound: forget the oldest entry.
            self._failures.pop(next(iter(self._failures)))
        failures = self._recent(client_id, now)
        failures.append(now)
        self._failures[client_id] = failures

    def clear(self) -> None:
        self._failures.clear()


@dataclass
class OidcProvider:
    settings: NutzerkontoSettings
    keys: KeyRing
    limiter: FailureLimiter
    clients: ClientCache
    # Set by app.py once the service's database exists (the provider is built before it).
    token_log: TokenLog | None = None

    @classmethod
    def create(cls, settings: NutzerkontoSettings, keys: KeyRing) -> "OidcProvider":
        return cls(settings=settings, keys=keys, limiter=FailureLimiter(settings.client_auth_failures_per_minute),
                   clients=ClientCache())

    @property
    def issuer(self) -> str:
        return self.settings.issuer

    def url(self, path: str) -> str:
        return f"{self.issuer.rstrip('/')}{path}"

    @property
    def token_endpoint(self) -> str:
        return self.url("/token")


async def _provider(request: Request) -> OidcProvider:
    return request.app.state.oidc


OidcDep = Annotated[OidcProvider, Depends(_provider)]
