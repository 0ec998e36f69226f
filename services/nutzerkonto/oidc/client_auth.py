"""Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3):
``client_secret_basic``, ``client_secret_post``, ``private_key_jwt`` (RFC 7523 §2.2, OIDC Core §9) and ``none``
for public clients. A client must use the method it registered (RFC 7591 ``token_endpoint_auth_method``), one
method per request, and too many failures per ``client_id`` lock it for the rest of the window (429).
"""

import base64
import binascii
import datetime as dt
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

import jwt
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.oidc import clients
from services.nutzerkonto.oidc.errors import OAuthError, invalid_client, invalid_request
from services.nutzerkonto.oidc.models import OAuthClient, UsedAssertion
from services.nutzerkonto.oidc.provider import OidcProvider

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Asymmetric only: the client's JWKS is public, so an HMAC "signed" with it would prove nothing.
ASSERTION_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY = dt.timedelta(seconds=30)


class _Refused(Exception):
    """Authentication failed; counted against the client_id, answered as invalid_client."""


def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise invalid_client("the Basic credentials are not valid base64 of UTF-8") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise invalid_client("the Basic credentials lack the ':' between client_id and secret")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


def _assertion_subject(assertion: str) -> str:
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise invalid_client("client_assertion is not a well-formed JWT") from exc
    subject = unverified.get("sub")
    if not isinstance(subject, str) or not subject:
        raise invalid_client("client_assertion has no sub (the client_id)")
    return subject


async def authenticate(
    session: AsyncSession,
    provider: OidcProvider,
    *,
    form: Mapping[str, str],
    authorization: str | None,
    endpoint: str,
    now: dt.datetime,
) -> OAuthClient:
    """The authenticated client, or an :class:`OAuthError` (401 invalid_client, 429 slow_down, 400)."""
    basic = _basic(authorization)
    assertion = form.get("client_assertion")
    presented = [m for m, used in (("client_secret_basic", basic is not None),
                                   ("client_secret_post", "client_secret" in form),
                                   ("private_key_jwt", assertion is not None or "client_assertion_type" in form))
                 if used]
    if len(presented) > 1:  # RFC 6749 §2.3: a client MUST NOT use more than one method per request
        raise invalid_request(f"more than one client authentication method: {', '.join(presented)}")
    method = presented[0] if presented else "none"
    if method == "private_key_jwt":
        if form.get("client_assertion_type") != ASSERTION_TYPE or not assertion:
            raise invalid_request(f"client_assertion_type must be {ASSERTION_TYPE} with a client_assertion")
        client_id = form.get("client_id") or _assertion_subject(assertion)
    elif basic is not None:
        client_id = basic[0]
        if form.get("client_id", client_id) != client_id:
            raise invalid_request("client_id differs from the one in the Authorization header")
    else:
        client_id = form.get("client_id", "")
    if not client_id:
        raise invalid_client("the request does not say which client it is (no client authentication)")
    client_id = client_id[:200]

    retry_after = provider.limiter.retry_after(client_id, now)
    if retry_after is not None:
        # slow_down (RFC 8628 §3.5, in the IANA OAuth error registry) is the registered code for "back off".
        raise OAuthError("slow_down", f"too many failed authentications of {client_id}; retry in {retry_after} s",
                         status=429, headers={"Retry-After": str(retry_after)})
    client = await provider.clients.get(session, client_id)
    try:
        if client is None:
            raise _Refused(f"unknown client {client_id}")
        if client.token_endpoint_auth_method != method:
            raise _Refused(f"client {client_id} must authenticate with {client.token_endpoint_auth_method}, "
                           f"not {method}")
        if method in clients.SECRET_METHODS:
            presented_secret = basic[1] if basic is not None else form.get("client_secret", "")
            if not hmac.compare_digest(presented_secret.encode(), (client.client_secret or "").encode()):
                raise _Refused("the client secret is wrong")
        elif method == "private_key_jwt":
            assert assertion is not None
            await _verify_assertion(session, provider, client, assertion, endpoint=endpoint, now=now)
    except _Refused as refused:
        provider.limiter.record(client_id, now)
        raise invalid_client(str(refused)) from None
    assert client is not None
    return client


def _verification_key(client: OAuthClient, header: dict[str, Any]) -> jwt.PyJWK:
    alg = header.get("alg")
    if alg not in ASSERTION_ALGS:
        raise _Refused(f"client_assertion algorithm {str(alg)[:20]} is not accepted")
    kid = header.get("kid")
    keys = [k for k in (client.jwks or {}).get("keys", [])
            if k.get("use", "sig") == "sig" and (kid is None or k.get("kid") == kid)
            and k.get("alg", alg) == alg]
    if not keys:
        raise _Refused("no registered key of the client fits the client_assertion (kid/alg)")
    if kid is None and len(keys) > 1:
        raise _Refused("client_assertion names no kid and the client has several keys")
    try:
        return jwt.PyJWK(keys[0], algorithm=alg)
    except jwt.PyJWTError as exc:
        raise _Refused("the client's registered key cannot verify this algorithm") from exc


async def _verify_assertion(session: AsyncSession, provider: OidcProvider, client: OAuthClient, assertion: str,
                            *, endpoint: str, now: dt.datetime) -> None:
    """RFC 7523 §3: signature by a registered key, iss = sub = client_id, our endpoint in aud, exp, one-time jti."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise _Refused("client_assertion is not a well-formed JWS") from exc
    key = _verification_key(client, header)
    try:
        claims = jwt.decode(assertion, key=key, algorithms=[key.algorithm_name],
                            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                     "verify_aud": False, "verify_iss": False})
    except jwt.PyJWTError as exc:
        raise _Refused("client_assertion signature does not verify") from exc
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise _Refused("client_assertion iss and sub must both be the client_id")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if not {provider.issuer, provider.token_endpoint, endpoint} & set(audiences):
        raise _Refused("client_assertion aud must be the issuer or the token endpoint")
    exp, jti = claims.get("exp"), claims.get("jti")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise _Refused("client_assertion has no exp")
    if now.timestamp() >= exp + LEEWAY.total_seconds():
        raise _Refused("client_assertion has expired")
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if isinstance(value, int | float) and now.timestamp() + LEEWAY.total_seconds() < value:
            raise _Refused(f"client_assertion {name} lies in the future")
    if not isinstance(jti, str) or not jti:
        raise _Refused("client_assertion has no jti")
    await _use_once(session, client.client_id, jti[:200], dt.datetime.fromtimestamp(exp, dt.UTC) + LEEWAY, now)


async def _use_once(session: AsyncSession, client_id: str, jti: str, expires_at: dt.datetime,
                    now: dt.datetime) -> None:
    # Entries past their expiry are useless (the assertion would be refused as expired anyway): drop them.
    await session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now))
    try:
        async with session.begin_nested():  # a savepoint: the duplicate key must not spoil the request's session
            session.add(UsedAssertion(client_id=client_id, jti=jti, expires_at=expires_at))
    except IntegrityError:
        raise _Refused("client_assertion jti has been used before (replay)") from None
