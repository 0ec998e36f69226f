"""Tables of the ZBP-like mailbox: mailboxes (citizen, company, Behördenpostfach), messages with their sealed
(encrypted) envelope and attachments, the hash-chained event trail per message, status_v6 updates, the captured
e-mail outbox, the per-deployment encryption key, and the inbox page's server-side sessions."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.postfach.models import Base


class Mailbox(Base):
    __tablename__ = "mailboxes"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    # citizen | company | authority (Behördenpostfach)
    kind: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(255))
    # The Nutzerkonto identity that owns a citizen/company mailbox; the ARS of an authority's.
    identity_id: Mapped[str | None] = mapped_column(String(100))
    ars: Mapped[str | None] = mapped_column(String(12))
    notification_email: Mapped[str | None] = mapped_column(String(320))
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class MailboxReader(Base):
    """Which OAuth client may read which Behördenpostfach (client-credentials token of that client)."""

    __tablename__ = "mailbox_readers"

    mailbox_uuid: Mapped[str] = mapped_column(ForeignKey("mailboxes.uuid", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200), primary_key=True)


class Message(Base):
    __tablename__ = "mailbox_messages"
    __table_args__ = (
        Index("ix_mailbox_messages_mailbox_uuid_provided_at", "mailbox_uuid", "provided_at"),
        Index("ix_mailbox_messages_application_id", "application_id"),
        Index("ix_mailbox_messages_bekanntgabe_status_due_at", "bekanntgabe_status", "bekanntgabe_due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mailbox_uuid: Mapped[str] = mapped_column(ForeignKey("mailboxes.uuid", ondelete="CASCADE"))
    # inbound: sent by an authority through the API; reply: written by the mailbox owner to a Behördenpostfach
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    sender_client_id: Mapped[str] = mapped_column(String(200))
    stork_qaa_level: Mapped[int] = mapped_column(Integer)
    application_id: Mapped[str | None] = mapped_column(String(36))
    in_reply_to: Mapped[str | None] = mapped_column(String(36))
    # AES-GCM ciphertext of the ZBP envelope (signed content string, signature, certificate): all the message's
    # text is in there, so the row holds no plaintext of it.
    sealed_envelope: Mapped[bytes] = mapped_column(LargeBinary)
    bekanntgabe_rule: Mapped[str] = mapped_column(String(16))
    bekanntgabe_days: Mapped[int | None] = mapped_column(Integer)
    # pending until the trail records bekanntgabe_reached or bekanntgabe_expired (set once, conditionally).
    bekanntgabe_status: Mapped[str] = mapped_column(String(16), default="pending")
    # When the Bekanntgabe can next change by the clock (its day begins, or the retrieval window closes); the
    # sweeper finds due messages by this, so the trail records the step even if nobody looks at the message.
    bekanntgabe_due_at: Mapped[dt.datetime | None]
    provided_at: Mapped[dt.datetime]
    notified_at: Mapped[dt.datetime | None]
    retrieved_at: Mapped[dt.datetime | None]
    read_at: Mapped[dt.datetime | None]
    # The newest event's hash and sequence number: appending compares and sets them (a conditional update), so
    # two writers can never both extend the chain from the same event.
    trail_head: Mapped[str] = mapped_column(String(64))
    trail_seq: Mapped[int] = mapped_column(Integer)


class Attachment(Base):
    __tablename__ = "mailbox_attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("mailbox_messages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255))
    content_length: Mapped[int] = mapped_column(Integer)
    sha512sum: Mapped[str] = mapped_column(String(128))
    sealed_data: Mapped[bytes] = mapped_column(LargeBinary)


class MessageEvent(Base):
    """One link of a message's append-only, hash-chained trail (see trail.py)."""

    __tablename__ = "mailbox_events"
    __table_args__ = (UniqueConstraint("message_id", "seq", name="uq_mailbox_events_message_id_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("mailbox_messages.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class StatusUpdate(Base):
    """A status_v6 update an authority posted for an application (shown per applicationId)."""

    __tablename__ = "mailbox_status_updates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    sender_client_id: Mapped[str] = mapped_column(String(200))
    signer: Mapped[str] = mapped_column(String(255))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime]


class Mail(Base):
    """An e-mail the Postfach "sent" (notification, retrieval confirmation, reply); delivered via the kit outbox
    and shown by ``GET /_emulator/mails``."""

    __tablename__ = "mailbox_mails"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    to: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime]


class DeploymentKey(Base):
    """The per-deployment key that encrypts content at rest; kept across resets (old rows must stay readable)."""

    __tablename__ = "mailbox_keys"
    __table_args__ = {"info": {"keep_on_reset": True}}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]


class InboxLogin(Base):
    """A login of the inbox page in flight: the OIDC state with its PKCE verifier and nonce."""

    __tablename__ = "mailbox_inbox_logins"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_verifier: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(64))
    return_to: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]


class InboxSession(Base):
    """The inbox page's server-side session; the browser holds only the random id (its SHA-256 is the key)."""

    __tablename__ = "mailbox_inbox_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The access token's jti, to find the login in the Nutzerkonto's token log; the token itself is not kept.
    token_jti: Mapped[str] = mapped_column(String(64))
    postkorb_handle: Mapped[str] = mapped_column(String(36))
    level: Mapped[int] = mapped_column(Integer)
    display_name: Mapped[str] = mapped_column(String(255))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
