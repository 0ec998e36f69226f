"""What the OIDC tests share: the suite with issuer URLs that match the test client's base URL, an Authlib client
talking to it in process, the login page driven over HTTP, and independent checks of what the provider issues
(joserfc for JWS, our own SHA-256 for PKCE and at_hash)."""

import base64
import contextlib
import hashlib
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from asgi_lifespan import LifespanManager
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from gateway.app import Gateway
from gateway.suite import build_gateway
from tests.conftest import client_for

BASE = "http://testserver"
ISSUER = f"{BASE}/nutzerkonto"
SPA = "demo-onlineantrag"
SPA_CALLBACK = "http://localhost:5173/callback"
WEB = "demo-fachverfahren-web"
WEB_SECRET = "demo-fachverfahren-web-secret"
WEB_CALLBACK = "http://localhost:8080/callback"


@contextlib.asynccontextmanager
async def oidc_suite(gateway_settings: Callable[..., Any], suite_settings: Callable[..., Any],
                     ) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    """The suite, started, with public URLs on http://testserver (the base URL of every test client)."""
    gateway = build_gateway(gateway_settings(suite=suite_settings(public_base_url=BASE), rate_limit_per_second=0))
    async with LifespanManager(gateway, startup_timeout=60), client_for(gateway) as client:
        yield gateway, client


def authlib_client(gateway: Gateway, client_id: str, client_secret: str | None = None,
                   **options: Any) -> AsyncOAuth2Client:
    """Authlib's OAuth 2 client, in process: an independent relying party."""
    transport = httpx.ASGITransport(app=gateway, client=("127.0.0.1", 50001))
    options.setdefault("token_endpoint_auth_method", "none" if client_secret is None else "client_secret_basic")
    return AsyncOAuth2Client(client_id, client_secret, transport=transport, base_url=BASE,
                             code_challenge_method="S256", **options)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def login(client: httpx.AsyncClient, authorize_url: str, *, identity: str = "erika-mustermann",
                method: str = "eID", action: str = "login") -> str:
    """Follow the authorization request to the login page and submit it; the URL the browser is sent back to."""
    start = await client.get(authorize_url)
    assert start.status_code == 303, start.text
    page_path = start.headers["location"]
    assert page_path.startswith("/nutzerkonto/login/"), page_path
    page = await client.get(page_path, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    answer = await client.post(page_path, data={"identity": identity, "method": method, "action": action})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def authorize_url(client_id: str = SPA, *, redirect_uri: str = SPA_CALLBACK, scope: str = "openid profile",
                  challenge: str | None = None, **params: str) -> str:
    """A hand-made authorization request (for the cases Authlib would refuse to build)."""
    values = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
              "state": "st-" + secrets.token_hex(4), **params}
    if challenge is not None:
        values.update(code_challenge=challenge, code_challenge_method="S256")
    return "/nutzerkonto/authorize?" + str(httpx.QueryParams(values))


async def code_for(client: httpx.AsyncClient, *, client_id: str = SPA, redirect_uri: str = SPA_CALLBACK,
                   scope: str = "openid profile", method: str = "eID", **params: str) -> tuple[str, str]:
    """A fresh authorization code with PKCE: (code, verifier)."""
    verifier, challenge = pkce_pair()
    back = await login(client, authorize_url(client_id, redirect_uri=redirect_uri, scope=scope,
                                             challenge=challenge, **params), method=method)
    return query(back)["code"], verifier


async def redeem(client: httpx.AsyncClient, code: str, verifier: str | None, *, client_id: str = SPA,
                 redirect_uri: str = SPA_CALLBACK, auth: tuple[str, str] | None = None) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    if auth is None:
        data["client_id"] = client_id
    return await client.post("/nutzerkonto/token", data=data, auth=auth)


async def tokens_for(client: httpx.AsyncClient, **options: Any) -> dict[str, Any]:
    code, verifier = await code_for(client, **options)
    answer = await redeem(client, code, verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def jwks(client: httpx.AsyncClient) -> KeySet:
    answer = await client.get("/nutzerkonto/jwks")
    assert answer.status_code == 200
    return KeySet.import_key_set(answer.json())


async def verified_claims(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """Claims of a JWT verified by joserfc against the published JWKS (RS256 only)."""
    return dict(jose_jwt.decode(token, await jwks(client), algorithms=["RS256"]).claims)


async def introspect(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    answer = await client.post("/nutzerkonto/introspect", data={"token": token}, auth=(WEB, WEB_SECRET))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def set_clock(client: httpx.AsyncClient, **command: Any) -> None:
    answer = await client.post("/_emulator/clock", json=command)
    assert answer.status_code == 200, answer.text
