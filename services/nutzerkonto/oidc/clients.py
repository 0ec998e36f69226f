"""OAuth clients: registration metadata (RFC 7591 names), the seeded demo and service clients, clients from
configuration (``BASISDIENSTE_NUTZERKONTO_CLIENTS``) and from the emulator API.

Test secrets are published in ``GET /_emulator/seed`` on purpose: nothing here is a real credential.
"""

import datetime as dt
import secrets
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.oidc.models import OAuthClient

OIDC_SCOPES = ("openid", "profile", "address", "email", "phone", "bundid")
SUITE_SERVICES = ("postfach", "bezahlplattform", "bescheid", "rechnungseingang")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
AUTH_METHODS = (*SECRET_METHODS, "private_key_jwt", "none")
_ASYMMETRIC_KTY = {"RSA", "EC", "OKP"}


def _check_uri(uri: str) -> str:
    parts = urlsplit(uri)
    # RFC 6749 §3.1.2: absolute, no fragment. Custom schemes stay allowed for native apps (RFC 8252 §7.1).
    if not parts.scheme or parts.fragment or (parts.scheme in ("http", "https") and not parts.netloc):
        raise ValueError(f"{uri!r} is not an absolute URI without fragment")
    return uri


class ClientIn(BaseModel):
    """A client as registered through ``POST /_emulator/clients`` or configuration."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "client_id": "stadt-koblenz-parkausweis", "client_name": "Stadt Koblenz: Bewohnerparkausweis",
        "redirect_uris": ["http://localhost:3000/callback"], "scopes": ["openid", "profile", "bundid"]}]})

    client_id: str = Field(pattern=r"^[A-Za-z0-9._~:-]{1,200}$")
    client_name: str | None = Field(None, max_length=300)
    client_type: Literal["confidential", "public"] = "confidential"
    client_secret: str | None = Field(None, min_length=8, max_length=200)
    token_endpoint_auth_method: Literal[
        "client_secret_basic", "client_secret_post", "private_key_jwt", "none"] | None = None
    redirect_uris: list[str] = Field(default_factory=list, max_length=50)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=50)
    grant_types: list[Literal["authorization_code", "refresh_token", "client_credentials"]] | None = None
    scopes: list[str] | None = Field(None, description="Scopes the client may be granted")
    audiences: list[str] = Field(default_factory=list, description="Resource servers it may get tokens for")
    default_audience: str | None = Field(None, description="aud when the request names no resource")
    jwks: dict[str, Any] | None = Field(None, description="JWK Set with the public keys for private_key_jwt")

    @field_validator("redirect_uris", "post_logout_redirect_uris")
    @classmethod
    def _absolute_uris(cls, uris: list[str]) -> list[str]:
        return [_check_uri(u) for u in uris]

    @field_validator("scopes")
    @classmethod
    def _scope_tokens(cls, scopes: list[str] | None) -> list[str] | None:
        # RFC 6749 §3.3 scope-token: printable ASCII without space, '"' and '\'.
        for scope in scopes or []:
            if not scope or any(not ("!" <= c <= "~") or c in '"\\' for c in scope):
                raise ValueError(f"{scope!r} is not a scope token")
        return scopes

    @field_validator("jwks")
    @classmethod
    def _public_keys(cls, jwks: dict[str, Any] | None) -> dict[str, Any] | None:
        if jwks is None:
            return None
        keys = jwks.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
            raise ValueError("jwks must be a JWK Set with at least one key")
        for key in keys:
            if key.get("kty") not in _ASYMMETRIC_KTY:
                raise ValueError("jwks may only hold public RSA, EC or OKP keys")
            if any(private in key for private in ("d", "p", "q", "dp", "dq", "qi")):
                raise ValueError("jwks must not contain private key material")
        return jwks

    @model_validator(mode="after")
    def _consistent(self) -> "ClientIn":
        public = self.client_type == "public"
        method = self.token_endpoint_auth_method or (
            "none" if public else "private_key_jwt" if self.jwks else "client_secret_basic")
        if public != (method == "none"):
            raise ValueError("public clients authenticate with 'none', confidential clients never do")
        if method == "private_key_jwt" and not self.jwks:
            raise ValueError("private_key_jwt needs the client's jwks")
        if method in SECRET_METHODS and self.client_secret is None:
            self.client_secret = secrets.token_urlsafe(24)
        if method not in SECRET_METHODS:
            self.client_secret = None
        self.token_endpoint_auth_method = method
        if self.grant_types is None:
            self.grant_types = (["authorization_code", "refresh_token"] if self.redirect_uris or public
                                else ["client_credentials"])
        if public and "client_credentials" in self.grant_types:
            raise ValueError("a public client cannot use client_credentials (it has no credentials)")
        if "authorization_code" in self.grant_types and not self.redirect_uris:
            raise ValueError("authorization_code needs at least one redirect_uri")
        if self.scopes is None:
            self.scopes = list(OIDC_SCOPES) if "authorization_code" in self.grant_types else []
        if self.default_audience and self.default_audience not in (*self.audiences, self.client_id):
            raise ValueError("default_audience must be one of audiences")
        self.client_name = self.client_name or self.client_id
        return self


def _demo_secret(client_id: str) -> str:
    return f"{client_id}-secret"


def seeded_clients() -> list[ClientIn]:
    """The clients every fresh emulator has: demo online services, a Fachverfahren, and one per suite service
    for calls between services (each may ask tokens for the others)."""
    local_spa = ["http://localhost:5173", "http://127.0.0.1:5173"]
    local_web = ["http://localhost:8080", "http://127.0.0.1:8080"]
    clients = [
        ClientIn(client_id="demo-onlineantrag", client_name="Demo-Onlineantrag (Stadt Koblenz)",
                 client_type="public", redirect_uris=[f"{o}/callback" for o in local_spa],
                 post_logout_redirect_uris=[f"{o}/" for o in local_spa],
                 audiences=["postfach", "bezahlplattform"]),
        # A web application with a backend: logs citizens in and, with its own credentials, reads ID cards
        # through the eID API (scope eid, resource nutzerkonto).
        ClientIn(client_id="demo-fachverfahren-web", client_name="Demo-Fachverfahren (Web)",
                 client_secret=_demo_secret("demo-fachverfahren-web"),
                 grant_types=["authorization_code", "refresh_token", "client_credentials"],
                 scopes=[*OIDC_SCOPES, "eid"], redirect_uris=[f"{o}/callback" for o in local_web],
                 post_logout_redirect_uris=[f"{o}/" for o in local_web],
                 audiences=[*SUITE_SERVICES, "nutzerkonto"]),
        ClientIn(client_id="demo-fachverfahren", client_name="Demo-Fachverfahren",
                 client_secret=_demo_secret("demo-fachverfahren"), grant_types=["client_credentials"],
                 scopes=list(SUITE_SERVICES), audiences=list(SUITE_SERVICES), default_audience="postfach"),
    ]
    for service in SUITE_SERVICES:
        others = [s for s in SUITE_SERVICES if s != service]
        clients.append(ClientIn(client_id=service, client_name=f"Basisdienst {service}",
                                client_secret=_demo_secret(service), grant_types=["client_credentials"],
                                scopes=others, audiences=others))
    return clients


def _row(client: ClientIn, source: str, now: dt.datetime) -> OAuthClient:
    return OAuthClient(
        client_id=client.client_id, client_name=client.client_name or client.client_id,
        client_type=client.client_type, client_secret=client.client_secret,
        token_endpoint_auth_method=client.token_endpoint_auth_method or "none",
        redirect_uris=client.redirect_uris, post_logout_redirect_uris=client.post_logout_redirect_uris,
        grant_types=list(client.grant_types or []), scopes=list(client.scopes or []), audiences=client.audiences,
        default_audience=client.default_audience, jwks=client.jwks, source=source, created_at=now,
    )


def configured_clients(entries: list[dict[str, Any]]) -> list[ClientIn]:
    """Clients from settings; a bad entry stops the start with a message naming it, not a half-configured IdP."""
    clients = []
    for index, entry in enumerate(entries):
        try:
            clients.append(ClientIn.model_validate(entry))
        except ValidationError as exc:
            raise ValueError(f"BASISDIENSTE_NUTZERKONTO_CLIENTS[{index}] is not a valid client: {exc}") from exc
    return clients


async def populate(session: AsyncSession, entries: list[dict[str, Any]], now: dt.datetime) -> None:
    """Write the seeded and configured clients (idempotent); configuration wins over the seed for an id.

    Rewritten at every start and reset, so that a changed configuration applies; clients registered through
    the API stay until the next reset.
    """
    wanted = {c.client_id: (c, "seed") for c in seeded_clients()}
    wanted.update({c.client_id: (c, "config") for c in configured_clients(entries)})
    await session.execute(delete(OAuthClient).where(OAuthClient.client_id.in_(list(wanted))))
    for client, source in wanted.values():
        session.add(_row(client, source, now))


async def register(session: AsyncSession, client: ClientIn, now: dt.datetime) -> OAuthClient:
    """Register or replace a client (the emulator's API; RFC 7591 dynamic registration is not offered)."""
    await session.execute(delete(OAuthClient).where(OAuthClient.client_id == client.client_id))
    row = _row(client, "api", now)
    session.add(row)
    await session.flush()
    return row


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return await session.get(OAuthClient, client_id)


class ClientCache:
    """Registered clients by id, read from the database once: the token endpoint authenticates a client on every
    request. Cached rows are detached, so no session's rollback can expire them under another request."""

    def __init__(self) -> None:
        self._clients: dict[str, OAuthClient] = {}

    async def get(self, session: AsyncSession, client_id: str) -> OAuthClient | None:
        client = self._clients.get(client_id)
        if client is None:
            client = await get_client(session, client_id)
            if client is not None:
                session.expunge(client)
                self._clients[client_id] = client
        return client

    def clear(self) -> None:
        self._clients.clear()

    def clear_after_commit(self, session: AsyncSession) -> None:
        """For a session that changes clients: forget them now, and again once the change is visible to all."""
        self._clients.clear()
        event.listen(session.sync_session, "after_commit", lambda _: self._clients.clear(), once=True)


async def list_clients(session: AsyncSession) -> list[OAuthClient]:
    return list((await session.scalars(select(OAuthClient).order_by(OAuthClient.client_id))).all())


async def delete_client(session: AsyncSession, client_id: str) -> bool:
    result = await session.execute(delete(OAuthClient).where(OAuthClient.client_id == client_id))
    return bool(getattr(result, "rowcount", 0))


def describe(client: OAuthClient) -> dict[str, Any]:
    """A client as the seed and the controls show it, test secret included."""
    return {
        "client_id": client.client_id, "client_name": client.client_name, "client_type": client.client_type,
        "client_secret": client.client_secret, "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "redirect_uris": client.redirect_uris, "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": client.grant_types, "scopes": client.scopes, "audiences": client.audiences,
        "default_audience": client.default_audience, "jwks": client.jwks, "source": client.source,
    }
