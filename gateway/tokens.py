"""Bearer tokens checked at the door: a Nutzerkonto token that is forged, tampered with, expired or signed with
``alg=none`` is refused with 401 before it reaches any service. Audience and scopes stay the business of the
service the token is meant for (kit.tokens); tokens of other issuers pass through untouched.
"""

import logging

import jwt
from starlette.types import Scope

from kit.clock import Clock
from kit.identity import discover_verifier
from kit.peers import Peers
from kit.problems import Problem
from kit.tokens import AccessTokenVerifier

log = logging.getLogger("basisdienste.gateway")


def _bearer(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class TokenGate:
    def __init__(self, peers: Peers, clock: Clock) -> None:
        self.peers = peers
        self.clock = clock
        self._verifier: AccessTokenVerifier | None = None

    async def _verifier_for_issuer(self) -> AccessTokenVerifier | None:
        """Built from the Nutzerkonto's discovery document on first use; None while the Nutzerkonto cannot say
        (the services behind still check every token)."""
        if self._verifier is None:
            try:
                self._verifier = await discover_verifier(self.peers, self.clock, audience=None)
            except Exception as exc:  # unreachable, not in this suite, not answering: do not block traffic
                log.warning("cannot read the Nutzerkonto's discovery document: %s", exc)
                return None
        return self._verifier

    async def check(self, scope: Scope) -> Problem | None:
        """The problem to answer with, or None to let the request through."""
        token = _bearer(scope)
        if token is None:
            return None
        try:
            claimed_issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return None  # not a JWT: an opaque token of another system, for the service to judge
        verifier = await self._verifier_for_issuer()
        if verifier is None or claimed_issuer != verifier.issuer:
            return None
        try:
            await verifier.verify(token)
        except Problem as problem:
            return problem
        return None
