"""The suite's identity provider (the Nutzerkonto) as the other services meet it, found through its OIDC
discovery document so issuer, JWKS and token endpoint are never configured twice:

- a resource server checks bearer tokens meant for it::

      install_token_verifier(app, NutzerkontoVerifier(runtime.peers, runtime.clock, audience="postfach"))

- a service calling another service gets client-credentials tokens (RFC 6749 §4.4) for it::

      credentials = ServiceCredentials(runtime.peers, runtime.clock, "bescheid", "bescheid-secret")
      headers = await credentials.headers("postfach")

Both reach the Nutzerkonto through :class:`kit.peers.Peers`, in-process or by URL (house rule 3).
"""

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from kit.clock import Clock
from kit.peers import Peers
from kit.problems import Problem
from kit.tokens import AccessTokenVerifier, JWKSCache

log = logging.getLogger("basisdienste.identity")

IDENTITY_SERVICE = "nutzerkonto"
# A cached token is renewed this long before it expires, so it never expires in flight.
_RENEW_BEFORE = dt.timedelta(seconds=30)


async def discovery(peers: Peers) -> dict[str, Any]:
    """The Nutzerkonto's OpenID Provider metadata; raises when it is unreachable or not answering."""
    response = await peers.client(IDENTITY_SERVICE).get("/.well-known/openid-configuration")
    return response.raise_for_status().json()


def _path_below_issuer(discovered: dict[str, Any], endpoint: str) -> str:
    """Discovery names public URLs (``http://127.0.0.1:8000/nutzerkonto/jwks``); the peer client wants the
    service's own path (``/jwks``)."""
    return urlsplit(discovered[endpoint]).path.removeprefix(urlsplit(discovered["issuer"]).path.rstrip("/"))


async def discover_verifier(peers: Peers, clock: Clock, *, audience: str | list[str] | None) -> AccessTokenVerifier:
    discovered = await discovery(peers)
    jwks = JWKSCache.from_peer(peers, IDENTITY_SERVICE, _path_below_issuer(discovered, "jwks_uri"))
    return AccessTokenVerifier(jwks, issuer=discovered["issuer"], audience=audience, clock=clock)


class NutzerkontoVerifier:
    """Verifies Nutzerkonto access tokens for one audience; built on first use, so a service can start before
    the Nutzerkonto answers. Usable wherever :func:`kit.tokens.require_token` wants a verifier."""

    def __init__(self, peers: Peers, clock: Clock, *, audience: str | list[str] | None) -> None:
        self.peers = peers
        self.clock = clock
        self.audience = audience
        self._verifier: AccessTokenVerifier | None = None
        self._lock = asyncio.Lock()

    async def resolve(self) -> AccessTokenVerifier:
        if self._verifier is None:
            async with self._lock:
                if self._verifier is None:
                    try:
                        self._verifier = await discover_verifier(self.peers, self.clock, audience=self.audience)
                    except Exception as exc:
                        log.warning("cannot read the Nutzerkonto's discovery document: %s", exc)
                        raise Problem(503, "The identity provider (Nutzerkonto) cannot be reached to check the "
                                      "token; try again.", type_="identity-provider-unavailable",
                                      title="Identity provider unavailable") from exc
        return self._verifier

    async def verify(self, token: str, *, scopes: Iterable[str] = ()) -> dict[str, Any]:
        return await (await self.resolve()).verify(token, scopes=scopes)


class ServiceCredentials:
    """Client-credentials access tokens of one confidential client, cached per audience until shortly before they
    expire by the kit clock (so advancing the emulator clock renews them, as a real client would have to)."""

    def __init__(self, peers: Peers, clock: Clock, client_id: str, client_secret: str) -> None:
        self.peers = peers
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self._tokens: dict[str, tuple[str, dt.datetime]] = {}
        self._token_path: str | None = None
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        """Drop cached tokens (after an emulator reset or a key rotation made them worthless)."""
        self._tokens.clear()

    async def token(self, audience: str) -> str:
        cached = self._tokens.get(audience)
        if cached and self.clock.now() < cached[1] - _RENEW_BEFORE:
            return cached[0]
        async with self._lock:
            if self._token_path is None:
                self._token_path = _path_below_issuer(await discovery(self.peers), "token_endpoint")
            response = await self.peers.client(IDENTITY_SERVICE).post(
                self._token_path,
                data={"grant_type": "client_credentials", "resource": audience},
                auth=(self.client_id, self.client_secret),
            )
            if response.status_code != 200:
                raise Problem(502, f"The Nutzerkonto refused a token for {audience} to client {self.client_id} "
                              f"({response.status_code}: {response.text[:200]}).",
                              type_="upstream-token-refused", title="No token from the identity provider")
            body = response.json()
            expires = self.clock.now() + dt.timedelta(seconds=int(body.get("expires_in", 300)))
            self._tokens[audience] = (body["access_token"], expires)
            return body["access_token"]

    async def headers(self, audience: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(audience)}"}

    async def request(self, audience: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request to service ``audience`` with a token for it; on 401 the token is renewed once."""
        client = self.peers.client(audience)
        extra = kwargs.pop("headers", {})
        for attempt in range(2):
            headers = {**extra, **await self.headers(audience)}
            response = await client.request(method, path, headers=headers, **kwargs)
            if response.status_code != 401 or attempt:
                break
            self._tokens.pop(audience, None)
        return response
