"""Minting and checking the provider's tokens: RS256 ID tokens (OIDC Core §2, §3.1.3.6), JWT access tokens
(RFC 9068, ``typ: at+jwt``) that ``kit.tokens.AccessTokenVerifier`` accepts, opaque rotated refresh tokens,
and the server-side log every issued token is written to (revocation, introspection, replay detection).
"""

import asyncio
import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt
from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.keys import ALG
from services.nutzerkonto.oidc.errors import invalid_token
from services.nutzerkonto.oidc.models import IssuedToken
from services.nutzerkonto.oidc.provider import OidcProvider

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - the JOSE typ of RFC 9068 §2.1, not a secret


def digest(value: str) -> str:
    """What the database keeps of a code or refresh token: its SHA-256, so a leaked table grants nothing."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_id() -> str:
    return secrets.token_urlsafe(24)


def half_hash(access_token: str) -> str:
    """``at_hash`` (OIDC Core §3.1.3.6): base64url of the left half of the SHA-256 of the token (RS256)."""
    left = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(left).decode().rstrip("=")


@dataclass(frozen=True)
class Grant:
    """What a set of tokens is issued for: the client, the person (if any), the login and where it came from."""

    client_id: str
    subject: str
    scope: list[str]
    audiences: list[str]
    identity_id: str | None = None
    session_id: str | None = None
    code_hash: str | None = None
    family_id: str | None = None
    level: int | None = None
    method: str | None = None
    acr: str | None = None
    amr: list[str] | None = None
    auth_time: dt.datetime | None = None
    # Claims about the person the resource servers need, e.g. postkorb_handle for the Postfach.
    access_claims: dict[str, Any] = field(default_factory=dict)


async def sign(provider: OidcProvider, claims: dict[str, Any], *, typ: str) -> str:
    """RS256 over a 3072-bit key costs about 2 ms; in a worker thread (cryptography releases the GIL) the event
    loop keeps serving, and signatures of concurrent requests use the second core."""
    key = provider.keys.active
    return await asyncio.to_thread(jwt.encode, claims, key.private_key, algorithm=ALG,
                                   headers={"kid": key.kid, "typ": typ})


def _row(grant: Grant, *, jti: str, kind: str, now: dt.datetime, expires_at: dt.datetime,
         token_hash: str | None = None, family_id: str | None = None) -> IssuedToken:
    return IssuedToken(
        jti=jti, kind=kind, token_hash=token_hash, client_id=grant.client_id, subject=grant.subject,
        identity_id=grant.identity_id, scope=" ".join(grant.scope), audiences=grant.audiences,
        session_id=grant.session_id, code_hash=grant.code_hash, family_id=family_id or grant.family_id,
        level=grant.level, method=grant.method, acr=grant.acr, auth_time=grant.auth_time, issued_at=now,
        expires_at=expires_at, used_at=None, revoked_at=None, revoked_reason=None,
    )


def _login_claims(grant: Grant) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if grant.auth_time is not None:
        claims["auth_time"] = int(grant.auth_time.timestamp())
    if grant.acr is not None:
        claims["acr"] = grant.acr
    if grant.amr:
        claims["amr"] = grant.amr
    return claims


async def new_access_token(provider: OidcProvider, grant: Grant, *,
                           now: dt.datetime) -> tuple[str, IssuedToken, int]:
    """An RFC 9068 access token (§2.2 claims; ``sub`` is the client_id when no person is involved), the row that
    logs it, and its lifetime."""
    ttl = provider.settings.access_token_ttl_seconds
    jti, iat = new_id(), int(now.timestamp())
    claims = {
        "iss": provider.issuer, "sub": grant.subject,
        "aud": grant.audiences[0] if len(grant.audiences) == 1 else grant.audiences,
        "exp": iat + ttl, "iat": iat, "jti": jti, "client_id": grant.client_id, "scope": " ".join(grant.scope),
        **_login_claims(grant), **grant.access_claims,
    }
    row = _row(grant, jti=jti, kind="access", now=now, expires_at=now + dt.timedelta(seconds=ttl))
    return await sign(provider, claims, typ=ACCESS_TOKEN_TYPE), row, ttl


async def access_token(session: AsyncSession, provider: OidcProvider, grant: Grant, *,
                       now: dt.datetime) -> tuple[str, int]:
    token, row, ttl = await new_access_token(provider, grant, now=now)
    session.add(row)
    return token, ttl


async def id_token(session: AsyncSession, provider: OidcProvider, grant: Grant, *, now: dt.datetime,
             access: str, nonce: str | None) -> str:
    """The ID token (OIDC Core §2): audience and authorized party are the client."""
    ttl = provider.settings.id_token_ttl_seconds
    jti, iat = new_id(), int(now.timestamp())
    claims = {
        "iss": provider.issuer, "sub": grant.subject, "aud": grant.client_id, "azp": grant.client_id,
        "exp": iat + ttl, "iat": iat, "jti": jti, "at_hash": half_hash(access), **_login_claims(grant),
    }
    if grant.session_id:
        claims["sid"] = grant.session_id
    if nonce is not None:
        claims["nonce"] = nonce
    session.add(_row(grant, jti=jti, kind="id", now=now, expires_at=now + dt.timedelta(seconds=ttl)))
    return await sign(provider, claims, typ="JWT")


def refresh_token(session: AsyncSession, provider: OidcProvider, grant: Grant, *, now: dt.datetime) -> str:
    """An opaque refresh token; its family is the original grant, so reuse can revoke the whole line."""
    value = secrets.token_urlsafe(32)
    jti = new_id()
    ttl = dt.timedelta(seconds=provider.settings.refresh_token_ttl_seconds)
    session.add(_row(grant, jti=jti, kind="refresh", now=now, expires_at=now + ttl, token_hash=digest(value),
                     family_id=grant.family_id or jti))
    return value


async def token_response(session: AsyncSession, provider: OidcProvider, grant: Grant, *, now: dt.datetime,
                   refresh_grant: Grant | None, with_id_token: bool, nonce: str | None = None) -> dict[str, Any]:
    """The successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3); a refresh token when
    ``refresh_grant`` is given (it may carry a wider scope than this access token, RFC 6749 §6)."""
    access, expires_in = await access_token(session, provider, grant, now=now)
    response: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": expires_in,
                                "scope": " ".join(grant.scope)}
    if refresh_grant is not None:
        response["refresh_token"] = refresh_token(session, provider, refresh_grant, now=now)
    if with_id_token:
        response["id_token"] = await id_token(session, provider, grant, now=now, access=access, nonce=nonce)
    return response


def decode_own(provider: OidcProvider, token: str, *, typ: str | None, now: dt.datetime,
               allow_expired: bool = False) -> dict[str, Any]:
    """Claims of a JWT this provider signed, checked against its published keys and the kit clock;
    ``allow_expired`` for an ``id_token_hint``, which may be past its ``exp`` (RP-Initiated Logout §2).

    Only RS256 with a key from our own JWKS: ``alg: none`` and HS256 "signed" with the public key (key
    confusion) fail here before any claim is read.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise invalid_token("the token is not a well-formed JWS") from exc
    if header.get("alg") != ALG:
        raise invalid_token(f"the algorithm {str(header.get('alg'))[:20]} is not accepted")
    if typ is not None and str(header.get("typ", "")).lower() not in (typ, f"application/{typ}"):
        raise invalid_token(f"the token is not of type {typ}")
    key = provider.keys.by_kid(str(header.get("kid", "")))
    if key is None:
        raise invalid_token("the token is signed with a key this provider does not publish")
    try:
        claims = jwt.decode(token, key.private_key.public_key(), algorithms=[ALG],
                            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                     "verify_aud": False, "verify_iss": False})
    except jwt.PyJWTError as exc:
        raise invalid_token("the signature does not verify") from exc
    if claims.get("iss") != provider.issuer:
        raise invalid_token("the token comes from another issuer")
    timestamp = now.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or (timestamp >= exp and not allow_expired):
        raise invalid_token("the token has expired")
    if not isinstance(iat, int) or timestamp < iat or timestamp < claims.get("nbf", iat):
        raise invalid_token("the token is not valid yet")
    return claims


async def active_access_token(session: AsyncSession, provider: OidcProvider, token: str, *,
                              now: dt.datetime) -> tuple[dict[str, Any], IssuedToken]:
    """A valid access token of ours that is in the log and not revoked; otherwise 401 invalid_token."""
    claims = decode_own(provider, token, typ=ACCESS_TOKEN_TYPE, now=now)
    row = await session.get(IssuedToken, str(claims.get("jti", "")))
    if row is None or row.kind != "access":
        raise invalid_token("the token is unknown to this provider")
    if row.revoked_at is not None:
        raise invalid_token("the token has been revoked")
    return claims, row


async def revoke(session: AsyncSession, condition: ColumnElement[bool], *, now: dt.datetime, reason: str) -> int:
    """Revoke every live token matching ``condition``; answers how many."""
    result = await session.execute(
        update(IssuedToken).where(condition, IssuedToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
