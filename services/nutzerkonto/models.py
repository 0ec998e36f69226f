"""The Nutzerkonto's own tables that every protocol shares: identities, signing keys, pending logins."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Identity(Base):
    """A test citizen or company (Mein Unternehmenskonto) that can log in."""

    __tablename__ = "identities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # a readable slug: "erika-mustermann"
    kind: Mapped[str] = mapped_column(String(16))  # "person" | "organisation"
    display_name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password: Mapped[str] = mapped_column(String(200))  # test passwords, shown in the seed; never real ones
    # Login methods this identity can use (trust.Method values): a foreign citizen has only eIDAS.
    methods: Mapped[list[str]] = mapped_column(JSON)
    # BundID attribute name -> value (see attributes.py); bPK2 and postkorb handle included.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The eID data fields of the identity's test card (BSI TR-03130 names), for eID logins and the eID API.
    card: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class SigningKey(Base):
    """The IdP's signing keys (SAML signatures, ID and access tokens). Kept across resets: relying parties pin
    the IdP certificate from its metadata and cache the JWKS."""

    __tablename__ = "signing_keys"
    __table_args__ = {"info": {"keep_on_reset": True}}

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    private_key_pem: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # "active" (signs), "retired" (still published), "revoked"
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]


class LoginRequest(Base):
    """A login in progress: created by a SAML AuthnRequest, an OIDC authorization request or an eID session,
    shown on the login page, finished by the protocol that started it."""

    __tablename__ = "login_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # unguessable; the page's URL carries it
    protocol: Mapped[str] = mapped_column(String(16))  # "saml" | "oidc" | "eid"
    client_id: Mapped[str] = mapped_column(String(500))  # SP entityID, OIDC client_id, eID service id
    display_name: Mapped[str] = mapped_column(String(300))  # OrganizationDisplayName shown to the citizen
    min_level: Mapped[int]
    # [{"name": "givenName", "required": true}, ...]; empty means the protocol's default set.
    requested_attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # What the protocol needs to answer: SAML request id, ACS URL, RelayState; OIDC redirect_uri, state, nonce...
    protocol_state: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # "pending" | "succeeded" | "cancelled" | "failed"
    identity_id: Mapped[str | None] = mapped_column(ForeignKey("identities.id", ondelete="SET NULL"))
    method: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[int | None]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]


class ForcedOutcome(Base):
    """Emulator control: the next login ends this way whatever the citizen chooses ("cancel", "error")."""

    __tablename__ = "forced_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
