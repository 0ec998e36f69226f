"""Token introspection (RFC 7662) and revocation (RFC 7009), both answered from the log of issued tokens.

A JWT access token is recognised by its signature and looked up by ``jti``; a refresh token by the SHA-256 of
its value. ``token_type_hint`` only changes the order of the lookups (RFC 7009 §2.1), never the answer.
"""

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto.oidc.errors import OAuthError
from services.nutzerkonto.oidc.models import IssuedToken, OAuthClient
from services.nutzerkonto.oidc.provider import OidcProvider
from services.nutzerkonto.oidc.tokens import decode_own, digest, revoke

INACTIVE: dict[str, Any] = {"active": False}


async def _access_row(session: AsyncSession, provider: OidcProvider, token: str,
                      now: dt.datetime) -> tuple[IssuedToken, dict[str, Any]] | None:
    if token.count(".") != 2:
        return None
    try:
        claims = decode_own(provider, token, typ="at+jwt", now=now)
    except OAuthError:  # forged, expired, not yet valid, wrong algorithm: simply not an active token
        return None
    row = await session.get(IssuedToken, str(claims.get("jti", "")))
    return (row, claims) if row is not None and row.kind == "access" else None


async def _refresh_row(session: AsyncSession, token: str) -> IssuedToken | None:
    return await session.scalar(select(IssuedToken).where(IssuedToken.token_hash == digest(token),
                                                          IssuedToken.kind == "refresh"))


async def introspect(session: AsyncSession, provider: OidcProvider, token: str, *,
                     now: dt.datetime) -> dict[str, Any]:
    """RFC 7662 §2.2: ``active`` and, for an active token, what a resource server needs to decide."""
    found = await _access_row(session, provider, token, now)
    if found is not None:
        row, claims = found
        if row.revoked_at is not None:
            return INACTIVE
        return {"active": True, "token_type": "Bearer", **claims}
    row = await _refresh_row(session, token)
    if row is None or row.revoked_at is not None or row.used_at is not None or row.expires_at <= now:
        return INACTIVE
    answer = {"active": True, "token_type": "refresh_token", "iss": provider.issuer, "sub": row.subject,
              "client_id": row.client_id, "scope": row.scope, "iat": int(row.issued_at.timestamp()),
              "exp": int(row.expires_at.timestamp())}
    if row.acr:
        answer["acr"] = row.acr
    if row.auth_time:
        answer["auth_time"] = int(row.auth_time.timestamp())
    return answer


async def revoke_token(session: AsyncSession, provider: OidcProvider, client: OAuthClient, token: str, *,
                       now: dt.datetime) -> None:
    """RFC 7009 §2.1: revoke the client's own token; a refresh token takes its whole grant with it.

    Unknown, expired, already revoked tokens and tokens of other clients change nothing and are answered 200
    like any other (§2.2: the client could not do anything sensible with an error).
    """
    found = await _access_row(session, provider, token, now)
    if found is not None:
        row, _ = found
        if row.client_id == client.client_id:
            await revoke(session, IssuedToken.jti == row.jti, now=now, reason="revoked")
        return
    refresh = await _refresh_row(session, token)
    if refresh is None or refresh.client_id != client.client_id:
        return
    # "SHOULD also invalidate all access tokens based on the same authorization grant" (RFC 7009 §2.1).
    family = refresh.family_id or refresh.jti
    await revoke(session, IssuedToken.family_id == family, now=now, reason="revoked")
