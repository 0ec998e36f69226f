"""Tables of the OIDC / OAuth 2 provider: registered clients, one-time authorization codes, the log of every
token issued (which is what revocation, introspection, replay detection and the emulator listing read), login
sessions for RP-initiated logout, and the ``jti`` of client assertions already seen (RFC 7523 §3, replay).

They live on the Nutzerkonto's own metadata, so a reset empties them and ``nk_0003`` migrates them.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.nutzerkonto.models import Base


class OAuthClient(Base):
    """A relying party or service client (RFC 6749 §2, RFC 7591 metadata names)."""

    __tablename__ = "oidc_clients"

    client_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    client_name: Mapped[str] = mapped_column(String(300))
    client_type: Mapped[str] = mapped_column(String(16))  # "confidential" | "public" (RFC 6749 §2.1)
    # Test secrets are stored as given, so that GET /_emulator/seed can show them; compared in constant time.
    client_secret: Mapped[str | None] = mapped_column(String(200))
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # Resource servers (kit verifier audiences) the client may ask tokens for (RFC 8707 ``resource``).
    audiences: Mapped[list[str]] = mapped_column(JSON)
    default_audience: Mapped[str | None] = mapped_column(String(500))
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # public keys for private_key_jwt (RFC 7523)
    source: Mapped[str] = mapped_column(String(16))  # "seed" | "config" | "api"
    created_at: Mapped[dt.datetime]


class AuthorizationCode(Base):
    """A one-time code (RFC 6749 §4.1.2), stored only as its SHA-256 so that the table leaks no usable codes."""

    __tablename__ = "oidc_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    redirect_uri: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))  # S256 only (RFC 7636 §4.2)
    nonce: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[list[str]] = mapped_column(JSON)
    acr_values: Mapped[list[str]] = mapped_column(JSON)
    identity_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    auth_time: Mapped[dt.datetime]
    session_id: Mapped[str] = mapped_column(String(64))
    audiences: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class IssuedToken(Base):
    """Every token this provider issued: access and ID tokens by their ``jti``, refresh tokens by a random id
    plus the SHA-256 of their opaque value. ``code_hash`` and ``family_id`` tie tokens to the grant they came
    from, so that a replayed code or a reused refresh token revokes all of them at once."""

    __tablename__ = "oidc_tokens"
    __table_args__ = (
        Index("ix_oidc_tokens_code_hash", "code_hash"),
        Index("ix_oidc_tokens_family_id", "family_id"),
        Index("ix_oidc_tokens_session_id", "session_id"),
    )

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "access" | "refresh" | "id"
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # refresh tokens only
    client_id: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    identity_id: Mapped[str | None] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    audiences: Mapped[list[str]] = mapped_column(JSON)
    session_id: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    family_id: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int | None]
    method: Mapped[str | None] = mapped_column(String(16))
    acr: Mapped[str | None] = mapped_column(String(100))
    auth_time: Mapped[dt.datetime | None]
    issued_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]  # a refresh token that has been rotated
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class OidcSession(Base):
    """One successful OIDC login of one identity at one client; the ID token's ``sid``. There is no SSO cookie:
    every authorization request shows the login page, so a session ends by RP-initiated logout or by expiry of
    its tokens."""

    __tablename__ = "oidc_sessions"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    identity_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    level: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    auth_time: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]


class UsedAssertion(Base):
    """The ``jti`` of a client assertion (private_key_jwt) until it expires: each may be used once."""

    __tablename__ = "oidc_used_assertions"

    client_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[dt.datetime]
