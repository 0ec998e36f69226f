"""The FIT-Connect part's tables (prefix ``fc_``) on the postfach service's metadata: OAuth clients and tokens,
destinations and their keys, submissions with their encrypted parts, the event log of SETs, and replies."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.postfach.models import Base


class FcClient(Base):
    """An API client of the FIT-Connect OAuth server: a sender (online service) or a subscriber (Fachverfahren)."""

    __tablename__ = "fc_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_secret: Mapped[str] = mapped_column(String(200))  # test secrets, shown in the seed
    role: Mapped[str] = mapped_column(String(16))  # "sender" | "subscriber"
    name: Mapped[str] = mapped_column(String(200))
    # Destination ids a subscriber may read; empty for senders (they may send to every active destination).
    destinations: Mapped[list[str]] = mapped_column(JSON)
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class FcAccessToken(Base):
    """An issued bearer token; only its SHA-256 is stored, so a database dump holds no usable token."""

    __tablename__ = "fc_access_tokens"
    __table_args__ = (Index("ix_fc_access_tokens_expires_at", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime]


class FcKey(Base):
    """A key pair of the delivery service (SET and routing signatures) or of a destination (encryption and
    signature). Kept across resets: generating RSA-4096 keys is slow, and clients pin published keys."""

    __tablename__ = "fc_keys"
    __table_args__ = (Index("ix_fc_keys_owner", "owner"), {"info": {"keep_on_reset": True}})

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))  # "service" or a destination id
    purpose: Mapped[str] = mapped_column(String(8))  # "enc" | "sig"
    bits: Mapped[int] = mapped_column(Integer)
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class FcDestination(Base):
    __tablename__ = "fc_destinations"

    destination_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # "active" | "inactive"
    key_bits: Mapped[int] = mapped_column(Integer)
    # Amtlicher Regionalschlüssel of the authority, for the routing API.
    ars: Mapped[str | None] = mapped_column(String(12), index=True)
    public_services: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    contact_information: Mapped[dict[str, Any]] = mapped_column(JSON)
    metadata_versions: Mapped[list[str]] = mapped_column(JSON)
    reply_channels: Mapped[dict[str, Any]] = mapped_column(JSON)
    callback_url: Mapped[str | None] = mapped_column(Text)
    callback_secret: Mapped[str | None] = mapped_column(String(200))  # write-only through the API
    # Emulator behaviour: "reject" makes the service reject every submission to it on submit.
    forced_outcome: Mapped[str | None] = mapped_column(String(16))
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class FcSubmission(Base):
    __tablename__ = "fc_submissions"
    __table_args__ = (
        Index("ix_fc_submissions_destination_status", "destination_id", "status"),
        Index("ix_fc_submissions_status_submitted_at", "status", "submitted_at"),
    )

    submission_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    destination_id: Mapped[str] = mapped_column(String(36))
    sender_client_id: Mapped[str] = mapped_column(String(64), index=True)
    api_version: Mapped[str] = mapped_column(String(4))  # "v1" | "v2"
    public_service: Mapped[dict[str, Any]] = mapped_column(JSON)
    region: Mapped[str | None] = mapped_column(String(64))
    announced_attachments: Mapped[list[str]] = mapped_column(JSON)
    bidirectional: Mapped[bool] = mapped_column(default=False)
    # created -> submitted -> forwarded -> accepted | rejected; deleted when the content is purged.
    status: Mapped[str] = mapped_column(String(16))
    encrypted_metadata: Mapped[str | None] = mapped_column(Text)
    encrypted_data: Mapped[str | None] = mapped_column(Text)
    # What the service noticed about the client (zip:DEF, thumbprint kid, no encryptedData ...).
    warnings: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]
    forwarded_at: Mapped[dt.datetime | None]
    contact_notified_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class FcAttachment(Base):
    __tablename__ = "fc_attachments"

    submission_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    attachment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    content: Mapped[str] = mapped_column(Text)  # the JWE, compact serialization
    created_at: Mapped[dt.datetime]


class FcEvent(Base):
    """One Security Event Token of a case's event log, as issued (compact JWS)."""

    __tablename__ = "fc_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)  # unique: a replayed SET is refused
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    submission_id: Mapped[str] = mapped_column(String(36))
    event: Mapped[str] = mapped_column(String(32))  # "accept-submission" ...
    issuer: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class FcReply(Base):
    """A reply of the authority back to the sender of a bidirectional submission (FIT-Connect reply channel)."""

    __tablename__ = "fc_replies"

    reply_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    submission_id: Mapped[str] = mapped_column(String(36))
    destination_id: Mapped[str] = mapped_column(String(36))
    sender_client_id: Mapped[str] = mapped_column(String(64), index=True)  # the client the reply goes to
    announced_attachments: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # created -> submitted -> accepted | rejected
    encrypted_metadata: Mapped[str | None] = mapped_column(Text)
    encrypted_data: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[dict[str, str]] = mapped_column(JSON)  # attachment id -> JWE
    created_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]
