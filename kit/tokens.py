"""Checks OAuth 2 bearer tokens: JWT access tokens (RFC 9068) issued by the Nutzerkonto, verified against its
JWK Set (RFC 7517) and refused with the RFC 6750 ``WWW-Authenticate`` challenge inside an RFC 9457 problem.

Wiring: a service (or the gateway) builds one verifier after ``create_service_app`` and puts it on the app,
then protects routes with :func:`require_token`::

    runtime = app.state.runtime
    install_token_verifier(app, AccessTokenVerifier(
        JWKSCache.from_peer(runtime.peers, "nutzerkonto", "/jwks"),
        issuer=settings.issuer, audience=settings.name, clock=runtime.clock))

    @router.get("/items")
    async def items(claims: Annotated[dict[str, Any], Depends(require_token("items:read"))]) -> ...

The verifier lives on ``app.state.token_verifier`` (not on ``ServiceRuntime``): only services that take tokens
need one, and the dependency finds it on whichever app (or mounted sub-app) serves the request.
Only the ``Authorization`` header is read; RFC 6750's form and query transports are not offered.
"""

import asyncio
import datetime as dt
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, Protocol

import httpx
import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kit.clock import Clock
from kit.peers import Peers
from kit.problems import Problem

log = logging.getLogger("basisdienste.tokens")

JWKS = dict[str, Any]
# A fetch returns the JWK Set, or the set and the max-age (seconds) its transport said it may be cached for.
Fetch = Callable[[], Awaitable[JWKS | tuple[JWKS, float | None]]]

# Asymmetric algorithms only: accepting HS* would let anyone who knows the public key forge tokens.
_ALGS_BY_KTY = {
    "RSA": {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"},
    "EC": {"ES256", "ES384", "ES512"},
    "OKP": {"EdDSA"},
}
_ACCEPTED_ALGS = set().union(*_ALGS_BY_KTY.values())
_ALG_BY_EC_CURVE = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
_OKP_CURVES = {"Ed25519", "Ed448"}
_AT_JWT_TYPES = {"at+jwt", "application/at+jwt"}  # RFC 9068 §4; media types compare case-insensitively
_STRING_CLAIMS = ("iss", "sub", "client_id", "jti")
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_MAX_CACHE_SECONDS = 86_400.0


def _jwks_from_response(response: httpx.Response) -> tuple[JWKS, float | None]:
    response.raise_for_status()
    cache_control = response.headers.get("cache-control", "")
    no_cache = any(d.strip().lower() in ("no-store", "no-cache") for d in cache_control.split(","))
    match = _MAX_AGE.search(cache_control)
    max_age = 0.0 if no_cache else float(match.group(1)) if match else None
    return response.json(), max_age


class JWKSCache:
    """The signing keys of one issuer, fetched on demand and kept ``ttl`` seconds (or the fetch's max-age).

    An unknown ``kid`` refetches at once, as the issuer may have rotated its keys, but at most once per
    ``min_refresh_interval``, so that tokens with invented kids cannot make us hammer the issuer. Freshness
    uses a monotonic clock: it is cache bookkeeping, not business time, and must not jump with the kit clock.
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        ttl: float = 300.0,
        min_refresh_interval: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._monotonic = monotonic
        self._keys: list[dict[str, Any]] | None = None
        self._expires_at = -math.inf
        self._last_attempt = -math.inf
        self._lock = asyncio.Lock()

    @classmethod
    def from_url(
        cls, url: str, *, client: httpx.AsyncClient | None = None, timeout: float = 5.0, **options: Any
    ) -> "JWKSCache":
        async def fetch() -> tuple[JWKS, float | None]:
            if client is not None:
                return _jwks_from_response(await client.get(url))
            # Fetches are rare (minutes apart), so a client per fetch beats one that needs closing.
            async with httpx.AsyncClient(timeout=timeout) as own_client:
                return _jwks_from_response(await own_client.get(url))

        return cls(fetch, **options)

    @classmethod
    def from_peer(cls, peers: Peers, service: str, path: str, **options: Any) -> "JWKSCache":
        # The client is looked up per fetch: embedded, the peer's app may register after this cache is built.
        async def fetch() -> tuple[JWKS, float | None]:
            return _jwks_from_response(await peers.client(service).get(path))

        return cls(fetch, **options)

    async def keys(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        """The usable signing keys; ``refresh`` asks for a refetch because a token named a kid we lack."""
        if not refresh and self._keys is not None and self._monotonic() < self._expires_at:
            return self._keys
        async with self._lock:  # N waiting requests cause one fetch; the others find its result
            now = self._monotonic()
            if self._keys is not None and not refresh and now < self._expires_at:
                return self._keys
            if (refresh or self._keys is None) and now - self._last_attempt < self.min_refresh_interval:
                if self._keys is None:
                    raise _jwks_unavailable()
                return self._keys
            self._last_attempt = now
            try:
                result = await self._fetch()
                document, max_age = result if isinstance(result, tuple) else (result, None)
                keys = _usable_keys(document)
            except Exception as exc:  # any failure of the issuer: keep what we have, try again later
                log.warning("JWKS fetch failed: %s: %s", type(exc).__name__, exc)
                if self._keys is None:
                    raise _jwks_unavailable() from exc
                self._expires_at = now + self.min_refresh_interval
                return self._keys
            lifetime = self.ttl if max_age is None else max(max_age, self.min_refresh_interval)
            self._keys, self._expires_at = keys, now + min(lifetime, _MAX_CACHE_SECONDS)
            return keys


def _usable_keys(document: JWKS) -> list[dict[str, Any]]:
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ValueError("the document is not a JWK Set (no 'keys' array)")
    # Symmetric (oct) keys never verify tokens here, and keys meant for encryption are not signing keys.
    usable = [k for k in keys if isinstance(k, dict) and k.get("kty") in _ALGS_BY_KTY]
    return [k for k in usable if k.get("use", "sig") == "sig"]


def _jwks_unavailable() -> Problem:
    # Not the client's fault: a 401 would make it throw away a token that may well be valid.
    detail = "The issuer's signing keys cannot be fetched."
    return Problem(503, detail, type_="jwks-unavailable", title="Token verification unavailable")


def _quoted(value: str) -> str:
    # RFC 6750 §3: quoted challenge values may hold printable ASCII except '"' and '\\'.
    return '"' + "".join(c for c in value if " " <= c <= "~" and c not in '"\\') + '"'


def _bearer_problem(status: int, error: str, description: str, **params: str) -> Problem:
    """A problem whose ``WWW-Authenticate`` challenge carries the OAuth error code (RFC 6750 §3); the body also
    carries ``error``/``error_description`` so OAuth clients that read the body understand it too."""
    values = {"error": error, "error_description": description, **params}
    challenge = ", ".join(f"{name}={_quoted(value)}" for name, value in values.items())
    return Problem(
        status,
        description,
        type_=error.replace("_", "-"),
        title=error.replace("_", " ").capitalize(),
        headers={"WWW-Authenticate": f"Bearer {challenge}"},
        error=error,
        error_description=description,
    )


def invalid_token(description: str) -> Problem:
    return _bearer_problem(401, "invalid_token", description)


def _key_fits(jwk: dict[str, Any], alg: str) -> bool:
    kty = jwk.get("kty")
    if alg not in _ALGS_BY_KTY.get(kty, ()) or jwk.get("alg", alg) != alg:
        return False
    if kty == "EC":
        return _ALG_BY_EC_CURVE.get(jwk.get("crv", "")) == alg
    if kty == "OKP":
        return jwk.get("crv") in _OKP_CURVES
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class AccessTokenVerifier:
    """Verifies RFC 9068 JWT access tokens of one issuer for one resource server (``audience``)."""

    def __init__(
        self,
        jwks: JWKSCache,
        *,
        issuer: str,
        audience: str | list[str] | None,
        clock: Clock,
        leeway: dt.timedelta | float = 30.0,
        require_typ: bool = True,
    ) -> None:
        self.jwks = jwks
        self.issuer = issuer
        # None: any audience. Only for the gateway, which checks tokens for every service behind it and leaves
        # the audience (and scopes) to the service the token is meant for.
        self.audiences = None if audience is None else {audience} if isinstance(audience, str) else set(audience)
        self.clock = clock
        self.leeway = leeway.total_seconds() if isinstance(leeway, dt.timedelta) else float(leeway)
        self.require_typ = require_typ

    async def verify(self, token: str, *, scopes: Iterable[str] = ()) -> dict[str, Any]:
        """The token's claims, or a 401/403 :class:`Problem` saying why the token is not good enough."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise invalid_token("the token is not a well-formed JWS") from exc
        alg = header.get("alg")
        if alg not in _ACCEPTED_ALGS:
            raise invalid_token(f"the algorithm {str(alg)[:20]} is not accepted")
        if self.require_typ and str(header.get("typ", "")).lower() not in _AT_JWT_TYPES:
            raise invalid_token("the token is not a JWT access token (typ must be at+jwt)")
        if "crit" in header:  # RFC 7515 §4.1.11: extensions we do not understand make the token invalid
            raise invalid_token("the token needs header extensions (crit) that are not supported")
        key = await self._key(header.get("kid"), alg)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                options={
                    # Claims are checked below, against the kit clock that pyjwt cannot be given.
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                    "verify_jti": False,
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.PyJWTError as exc:
            raise invalid_token("the signature does not verify") from exc
        self._check_claims(claims)
        required = list(dict.fromkeys(scopes))
        granted = claims.get("scope")
        granted_set = set(granted.split()) if isinstance(granted, str) else set()
        missing = [s for s in required if s not in granted_set]
        if missing:
            description = f"the token lacks the scope {' '.join(missing)}"
            raise _bearer_problem(403, "insufficient_scope", description, scope=" ".join(required))
        return claims

    async def _key(self, kid: Any, alg: str) -> jwt.PyJWK:
        keys = await self.jwks.keys()
        if kid is None:
            if len(keys) > 1:
                raise invalid_token("the token names no key (kid) and the issuer has several")
            candidates = keys
        else:
            candidates = [k for k in keys if k.get("kid") == kid]
            if not candidates:  # the issuer may have rotated its keys since we fetched them
                candidates = [k for k in await self.jwks.keys(refresh=True) if k.get("kid") == kid]
        fitting = [k for k in candidates if _key_fits(k, alg)]
        if not candidates:
            raise invalid_token("the token is signed with a key the issuer does not publish")
        if not fitting:
            raise invalid_token(f"the algorithm {alg} does not fit the issuer's key")
        try:
            return jwt.PyJWK(fitting[0], algorithm=alg)
        except jwt.PyJWTError as exc:
            raise invalid_token("the issuer's key cannot be used") from exc

    def _check_claims(self, claims: dict[str, Any]) -> None:
        for name in _STRING_CLAIMS:
            if not isinstance(claims.get(name), str) or not claims[name]:
                raise invalid_token(f"the claim {name} is missing or not a string")
        for name in ("exp", "iat"):
            if not _is_number(claims.get(name)):
                raise invalid_token(f"the claim {name} is missing or not a number")
        if "nbf" in claims and not _is_number(claims["nbf"]):
            raise invalid_token("the claim nbf is not a number")
        if claims["iss"] != self.issuer:
            raise invalid_token("the token comes from another issuer")
        aud = claims.get("aud")
        token_audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if self.audiences is not None and not any(isinstance(a, str) and a in self.audiences
                                                  for a in token_audiences):
            raise invalid_token("the token is meant for another audience")
        now = self.clock.timestamp()
        if now >= claims["exp"] + self.leeway:
            raise invalid_token("the token has expired")
        if "nbf" in claims and now + self.leeway < claims["nbf"]:
            raise invalid_token("the token is not valid yet")
        if now + self.leeway < claims["iat"]:
            raise invalid_token("the token is issued in the future")


_bearer = HTTPBearer(
    auto_error=False, bearerFormat="JWT", description="RFC 9068 access token of the Nutzerkonto"
)


class TokenVerifier(Protocol):
    """What :func:`require_token` needs: an :class:`AccessTokenVerifier`, or one built lazily
    (kit.identity.NutzerkontoVerifier)."""

    async def verify(self, token: str, *, scopes: Iterable[str] = ()) -> dict[str, Any]: ...


def install_token_verifier(app: FastAPI, verifier: TokenVerifier) -> None:
    """Make ``verifier`` the one that :func:`require_token` uses for routes of ``app``."""
    app.state.token_verifier = verifier


def _verifier_of(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        raise RuntimeError("no token verifier on this app: call kit.tokens.install_token_verifier first")
    return verifier


def require_token(
    *scopes: str, verifier: Callable[[Request], TokenVerifier] = _verifier_of
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """A dependency that answers the token's claims, or 401/403 unless it is valid and grants all ``scopes``.

    ``verifier`` finds the verifier for a request; the default reads ``app.state.token_verifier``.
    """

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> dict[str, Any]:
        # HTTPBearer compares the scheme case-insensitively and documents the scheme in OpenAPI.
        if credentials is None:  # RFC 6750 §3.1: no credentials, so the bare challenge without an error code
            raise Problem(
                401,
                "This operation needs a bearer token.",
                type_="missing-token",
                title="Authentication required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await verifier(request).verify(credentials.credentials.strip(), scopes=scopes)

    return dependency


Claims = Annotated[dict[str, Any], Depends(require_token())]
"""Claims of a valid access token, whatever its scopes: ``async def me(claims: Claims)``."""
