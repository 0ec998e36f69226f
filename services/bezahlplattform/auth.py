"""Who is calling the XBezahldienste API: an online service with HTTP Basic credentials (as epay21 does it) or a
Nutzerkonto client-credentials bearer token for the audience ``bezahlplattform`` (as pmPayment does it).

Credentials, originators and endpoints are read from an in-memory copy of the registry, refreshed whenever an
originator or endpoint is registered or changed and after a reset, so a request does not pay queries for them.
"""

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from kit.identity import NutzerkontoVerifier
from kit.problems import Problem
from services.bezahlplattform.errors import xbd_problem
from services.bezahlplattform.models import Endpoint, Originator

CHALLENGE = 'Basic realm="Bezahlplattform", charset="UTF-8", Bearer'


@dataclass(frozen=True)
class Caller:
    """An authenticated caller and the originators it may act for."""

    name: str  # "basic:<username>" or "client:<client_id>"
    originators: frozenset[str]

    def may_act_for(self, originator_id: str) -> bool:
        return originator_id in self.originators


class Credentials:
    """Originator credentials and the registry, cached per process (see the module docstring)."""

    def __init__(self, verifier: NutzerkontoVerifier, sessionmaker) -> None:  # type: ignore[no-untyped-def]
        self.verifier = verifier
        self.sessionmaker = sessionmaker
        self._basic: dict[str, tuple[str, str]] | None = None
        self._clients: dict[str, frozenset[str]] = {}
        self._originators: dict[str, Originator] = {}
        self._endpoints: dict[tuple[str, str], Endpoint] = {}

    def invalidate(self) -> None:
        self._basic = None

    async def originator(self, originator_id: str) -> Originator | None:
        await self._load()
        return self._originators.get(originator_id)

    async def endpoint(self, originator_id: str, endpoint_id: str) -> Endpoint | None:
        await self._load()
        return self._endpoints.get((originator_id, endpoint_id))

    async def _load(self) -> dict[str, tuple[str, str]]:
        if self._basic is None:
            # Detached copies: read-only snapshots that any request's session may look at.
            async with self.sessionmaker() as session:
                rows = (await session.scalars(select(Originator))).all()
                endpoints = (await session.scalars(select(Endpoint))).all()
            self._originators = {o.id: o for o in rows}
            self._endpoints = {(e.originator_id, e.id): e for e in endpoints}
            basic = {o.basic_username: (o.basic_password, o.id) for o in rows}
            clients: dict[str, set[str]] = {}
            for o in rows:
                for client in o.oauth_clients:
                    clients.setdefault(client, set()).add(o.id)
            self._clients = {k: frozenset(v) for k, v in clients.items()}
            self._basic = basic
        return self._basic

    async def authenticate(self, request: Request) -> Caller:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                username, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise _unauthorized("The Basic credentials are not valid base64 of user:password.") from None
            known = (await self._load()).get(username)
            # Compare even for unknown users, so timing does not tell which user names exist.
            expected = known[0] if known else "\x00unknown"
            if not hmac.compare_digest(password.encode(), expected.encode()) or known is None:
                raise _unauthorized("Unknown user name or wrong password.")
            return Caller(f"basic:{username}", frozenset({known[1]}))
        if scheme == "bearer" and value.strip():
            try:
                claims = await self.verifier.verify(value.strip())
            except Problem as problem:
                if problem.status == 401:
                    raise _unauthorized(problem.detail or "The bearer token is not valid.") from None
                raise
            client = str(claims.get("client_id") or claims.get("azp") or claims.get("sub"))
            await self._load()
            return Caller(f"client:{client}", self._clients.get(client, frozenset()))
        raise _unauthorized("This operation needs HTTP Basic credentials of the online service or a Nutzerkonto "
                            "bearer token for the audience bezahlplattform.")


def _unauthorized(detail: str) -> Problem:
    return xbd_problem("UNAUTHORIZED", detail, headers={"WWW-Authenticate": CHALLENGE})


async def current_caller(request: Request) -> Caller:
    return await request.app.state.bezahlplattform.credentials.authenticate(request)


CallerDep = Annotated[Caller, Depends(current_caller)]
