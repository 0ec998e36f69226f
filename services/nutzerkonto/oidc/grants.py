"""The token endpoint's grants: authorization code with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.6), refresh token
with rotation and reuse detection (RFC 6749 §6, RFC 9700 §4.14.2) and client credentials (RFC 6749 §4.4).

One-time use is a conditional UPDATE (``... WHERE used_at IS NULL``), so two concurrent redemptions cannot both
win. A second redemption of a code revokes everything issued from it (RFC 6749 §4.1.2, conformance test
``oidcc-codereuse``); a second use of a rotated refresh token revokes its whole family. Those revocations are
answered with an error *and* committed: the endpoint returns the error rather than raising it.
"""

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.nutzerkonto import identities
from services.nutzerkonto.models import Identity
from services.nutzerkonto.oidc import claims, tokens
from services.nutzerkonto.oidc.authorize import allowed_audiences
from services.nutzerkonto.oidc.clients import OIDC_SCOPES
from services.nutzerkonto.oidc.errors import OAuthError, invalid_grant, invalid_request
from services.nutzerkonto.oidc.models import AuthorizationCode, IssuedToken, OAuthClient, OidcSession
from services.nutzerkonto.oidc.provider import OidcProvider
from services.nutzerkonto.oidc.tokens import Grant, digest, new_id, revoke, token_response
from services.nutzerkonto.trust import Level, Method, acr_for

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")


def _requested_audiences(client: OAuthClient, form: Mapping[str, Any], default: list[str]) -> list[str]:
    requested = list(dict.fromkeys([*form.get("resource", []), *form.get("audience", [])]))
    if not requested:
        return default or [client.default_audience or client.client_id]
    if default and not set(requested) <= set(default):
        raise OAuthError("invalid_target", "the resource was not part of the authorization request")
    audiences = allowed_audiences(client, requested)
    if audiences is None:
        raise OAuthError("invalid_target", "the client may not ask for tokens for this resource")
    return audiences


def _person_claims(identity: Identity, scope: list[str]) -> dict[str, Any]:
    # The Postfach finds a citizen's mailbox by the postkorb handle; it travels in the access token when the
    # client was granted the bundid scope, as it does in the SAML assertion.
    handle = identity.attributes.get("legacyPostkorbHandle")
    return {"postkorb_handle": handle} if "bundid" in scope and handle else {}


async def _identity(session: AsyncSession, identity_id: str | None) -> Identity:
    identity = await identities.get_identity(session, identity_id) if identity_id else None
    if identity is None:
        raise invalid_grant("the identity of this grant no longer exists")
    return identity


async def authorization_code(session: AsyncSession, provider: OidcProvider, client: OAuthClient,
                             form: Mapping[str, Any], *, now: dt.datetime) -> dict[str, Any]:
    code, redirect_uri, verifier = form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
    if not code or not redirect_uri:
        raise invalid_request("code and redirect_uri are required")
    row = await session.get(AuthorizationCode, digest(code))
    if row is None or row.client_id != client.client_id:
        raise invalid_grant("the authorization code is unknown or was issued to another client")
    consumed = await session.execute(
        update(AuthorizationCode).where(AuthorizationCode.code_hash == row.code_hash,
                                        AuthorizationCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if not getattr(consumed, "rowcount", 0):
        revoked = await revoke(session, IssuedToken.code_hash == row.code_hash, now=now, reason="code-replay")
        raise invalid_grant(f"the authorization code was already used; {revoked} token(s) issued from it "
                            "are revoked")
    # The code is spent from here on: a failed attempt (wrong verifier) burns it too.
    if row.expires_at <= now:
        raise invalid_grant("the authorization code has expired")
    if redirect_uri != row.redirect_uri:
        raise invalid_grant("redirect_uri differs from the one in the authorization request")
    if row.code_challenge is not None:
        if not verifier:
            raise invalid_grant("code_verifier is required (PKCE)")
        if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(_s256(verifier), row.code_challenge):
            raise invalid_grant("code_verifier does not match the code_challenge")
    elif verifier is not None:
        # RFC 9700 §2.1.1: a verifier without a challenge hints at a PKCE downgrade attack.
        raise invalid_grant("code_verifier given, but the authorization request had no code_challenge")
    identity = await _identity(session, row.identity_id)
    method = Method(row.method)
    grant = Grant(
        client_id=client.client_id, subject=claims.subject(identity), scope=row.scope,
        audiences=_requested_audiences(client, form, row.audiences), identity_id=identity.id,
        session_id=row.session_id, code_hash=row.code_hash, family_id=new_id(), level=row.level, method=row.method,
        acr=acr_for(Level(row.level), row.acr_values), amr=claims.AMR[method], auth_time=row.auth_time,
        access_claims=_person_claims(identity, row.scope),
    )
    # Refresh tokens go to every client registered for the grant; offline_access is not required.
    return await token_response(session, provider, grant, now=now, nonce=row.nonce, with_id_token="openid" in row.scope,
                          refresh_grant=grant if "refresh_token" in client.grant_types else None)


async def _revoke_family(session: AsyncSession, family: str, now: dt.datetime) -> NoReturn:
    # A rotated token came back: someone holds an old token of this line, the thief or the client, and we cannot
    # tell which, so the whole line goes (RFC 9700 §4.14.2).
    await revoke(session, IssuedToken.family_id == family, now=now, reason="refresh-reuse")
    raise invalid_grant("the refresh token was already used; its whole family is revoked")


async def refresh(session: AsyncSession, provider: OidcProvider, client: OAuthClient,
                  form: Mapping[str, Any], *, now: dt.datetime) -> dict[str, Any]:
    value = form.get("refresh_token")
    if not value:
        raise invalid_request("refresh_token is required")
    row = await session.scalar(select(IssuedToken).where(IssuedToken.token_hash == digest(value),
                                                         IssuedToken.kind == "refresh"))
    if row is None or row.client_id != client.client_id:
        raise invalid_grant("the refresh token is unknown or was issued to another client")
    if row.revoked_at is not None:
        raise invalid_grant("the refresh token has been revoked")
    family = row.family_id or row.jti
    if row.used_at is not None:
        await _revoke_family(session, family, now)
    if row.expires_at <= now:
        raise invalid_grant("the refresh token has expired")
    if row.session_id is not None:
        login_session = await session.get(OidcSession, row.session_id)
        if login_session is not None and login_session.ended_at is not None:
            raise invalid_grant("the session of this refresh token has ended (logout)")
    original_scope = row.scope.split()
    requested = (form.get("scope") or "").split()
    if any(s not in original_scope for s in requested):
        raise OAuthError("invalid_scope", "a refresh may narrow the scope, never widen it")
    identity = await _identity(session, row.identity_id)
    rotated = await session.execute(
        update(IssuedToken).where(IssuedToken.jti == row.jti, IssuedToken.used_at.is_(None),
                                  IssuedToken.revoked_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if not getattr(rotated, "rowcount", 0):  # used concurrently a moment ago
        await _revoke_family(session, family, now)
    scope = list(dict.fromkeys(requested)) or original_scope
    grant = Grant(
        client_id=client.client_id, subject=row.subject, scope=scope, audiences=row.audiences,
        identity_id=row.identity_id, session_id=row.session_id, code_hash=row.code_hash, family_id=family,
        level=row.level, method=row.method, acr=row.acr, amr=claims.AMR[Method(row.method)] if row.method else None,
        auth_time=row.auth_time, access_claims=_person_claims(identity, scope),
    )
    # RFC 6749 §6: the new refresh token keeps the scope of the one it replaces, however narrow this request;
    # OIDC Core §12.2: the new ID token has the same sub, aud and auth_time, and no nonce.
    return await token_response(session, provider, grant, now=now, with_id_token="openid" in scope,
                          refresh_grant=dataclasses.replace(grant, scope=original_scope))


async def client_credentials(session: AsyncSession, provider: OidcProvider, client: OAuthClient,
                             form: Mapping[str, Any], *, now: dt.datetime) -> dict[str, Any]:
    # OIDC scopes describe a person; without one they mean nothing, so they are neither granted nor the default.
    service_scopes = [s for s in client.scopes if s not in OIDC_SCOPES]
    requested = (form.get("scope") or "").split()
    unknown = [s for s in requested if s not in service_scopes]
    if unknown:
        raise OAuthError("invalid_scope", f"scopes not allowed for this client: {' '.join(unknown)}")
    scope = list(dict.fromkeys(requested)) or service_scopes
    # RFC 9068 §2.2: without a resource owner, sub is the client itself.
    grant = Grant(client_id=client.client_id, subject=client.client_id, scope=scope,
                  audiences=_requested_audiences(client, form, []))
    # The token log is this grant's only write, so it goes through the group commit (token_log.py); the
    # request's own transaction (a client read on a cache miss) must end first to free SQLite's one connection.
    await session.commit()
    access, row, expires_in = await tokens.new_access_token(provider, grant, now=now)
    assert provider.token_log is not None, "app.py attaches the token log"
    await provider.token_log.write(row)
    return {"access_token": access, "token_type": "Bearer", "expires_in": expires_in, "scope": " ".join(scope)}


GRANTS = {"authorization_code": authorization_code, "refresh_token": refresh,
          "client_credentials": client_credentials}
