"""Helpers for tests of the login page and the eID API: start a login as a protocol would, record what the
protocol's finisher is asked to answer, read the page as a browser's accessibility tree would, and get access
tokens for the eID API."""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import lxml.html
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.app import Gateway
from services.nutzerkonto.login import flow
from services.nutzerkonto.models import Identity, LoginRequest
from services.nutzerkonto.trust import Level

TEST_PROTOCOL = "test"


def nutzerkonto(suite: Gateway) -> FastAPI:
    return suite.upstreams["nutzerkonto"].app  # type: ignore[attr-defined,no-any-return]


@dataclass
class RecordingFinisher:
    """A protocol that answers with JSON saying how the login ended, and remembers every answer it gave."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    async def succeed(self, request: Request, session: AsyncSession, login: LoginRequest,
                      identity: Identity) -> Response:
        call = {"outcome": "succeeded", "identity": identity.id, "method": login.method, "level": login.level}
        self.calls.append(call)
        return JSONResponse(call)

    async def fail(self, request: Request, session: AsyncSession, login: LoginRequest,
                   reason: flow.Failure) -> Response:
        call = {"outcome": reason}
        self.calls.append(call)
        return JSONResponse(call)


def record_logins(suite: Gateway) -> RecordingFinisher:
    finisher = RecordingFinisher()
    nutzerkonto(suite).state.nutzerkonto.finishers[TEST_PROTOCOL] = finisher
    return finisher


async def start_login(suite: Gateway, *, min_level: Level = Level.STORK_1,
                      display_name: str = "Stadt Koblenz: Bewohnerparkausweis",
                      requested: tuple[str, ...] = ("givenName", "surname"),
                      protocol_state: dict[str, Any] | None = None, protocol: str = TEST_PROTOCOL) -> str:
    """A pending login as a protocol starts it; answers its id (the page is ``/nutzerkonto/login/{id}``)."""
    app = nutzerkonto(suite)
    runtime = app.state.runtime
    async with runtime.db.sessionmaker() as session:
        login = await flow.start_login(
            session, now=runtime.clock.now(), ttl=dt.timedelta(minutes=15), protocol=protocol,
            client_id="https://dienst.example/sp", display_name=display_name, min_level=min_level,
            requested_attributes=[flow.RequestedAttribute(name, required=True) for name in requested],
            protocol_state=protocol_state or {})
        await session.commit()
        return login.id


async def login_status(suite: Gateway, login_id: str) -> str:
    async with nutzerkonto(suite).state.runtime.db.sessionmaker() as session:
        login = await session.get(LoginRequest, login_id)
        assert login is not None
        return login.status


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def label_for(document: lxml.html.HtmlElement, element_id: str) -> str:
    """The accessible name a screen reader announces for a form control: its <label for=...>."""
    labels = document.xpath(f'//label[@for="{element_id}"]')
    assert len(labels) == 1, f"control {element_id} has {len(labels)} labels"
    return text_of(labels[0])


def mint_access_token(suite: Gateway, *, client_id: str, scope: str = "eid", audience: str = "nutzerkonto",
                      lifetime: int = 300, key: Any = None, kid: str | None = None) -> str:
    """An RFC 9068 access token signed with the Nutzerkonto's active key, as its client_credentials grant issues
    them; ``key``/``kid`` sign it with something else (forgeries)."""
    app = nutzerkonto(suite)
    state = app.state.nutzerkonto
    now = int(app.state.runtime.clock.timestamp())
    claims = {"iss": state.settings.issuer, "sub": client_id, "aud": audience, "client_id": client_id,
              "scope": scope, "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}
    active = state.keys.active
    return jwt.encode(claims, key or active.private_key, algorithm="RS256",
                      headers={"kid": kid or active.kid, "typ": "at+jwt"})


async def eid_client_token(client: httpx.AsyncClient, client_id: str, client_name: str) -> str:
    """Register an online service as an OAuth client allowed the scope ``eid`` (emulator control), and get an
    access token through the Nutzerkonto's own client_credentials grant, as the service would in production."""
    secret = f"{client_id}-secret"
    registered = await client.post("/_emulator/nutzerkonto/clients", json={
        "client_id": client_id, "client_name": client_name, "client_secret": secret,
        "grant_types": ["client_credentials"], "scopes": ["eid"], "audiences": ["nutzerkonto"],
        "default_audience": "nutzerkonto"})
    assert registered.status_code == 201, registered.text
    answer = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials", "scope": "eid"},
                               auth=(client_id, secret))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])
