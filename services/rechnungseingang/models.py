"""The intake's tables: receiving authorities and their Leitweg-IDs, registered mail senders, invoices with their
Laufzettel (routing slip), and the web portal's login state."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Authority(Base):
    """A receiving public body; its Behördenpostfach in the Postfach is derived from its ARS."""

    __tablename__ = "authorities"

    ars: Mapped[str] = mapped_column(String(12), primary_key=True)  # Amtlicher Regionalschlüssel
    name: Mapped[str] = mapped_column(String(300))
    # The OAuth client (Fachverfahren/ERP) that may list and download this authority's invoices.
    client_id: Mapped[str | None] = mapped_column(String(200))
    erp_webhook_url: Mapped[str | None] = mapped_column(Text)
    erp_webhook_secret: Mapped[str | None] = mapped_column(String(200))
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class LeitwegId(Base):
    """A Leitweg-ID routed to an authority (an authority may have several, one per Fachbereich)."""

    __tablename__ = "leitweg_ids"

    leitweg_id: Mapped[str] = mapped_column(String(46), primary_key=True)
    ars: Mapped[str] = mapped_column(ForeignKey("authorities.ars", ondelete="CASCADE"), index=True)
    description: Mapped[str | None] = mapped_column(String(300))
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class MailSender(Base):
    """An e-mail address registered for the mail channel; mail from any other address is refused."""

    __tablename__ = "mail_senders"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-case
    name: Mapped[str] = mapped_column(String(300))
    # The Nutzerkonto subject of the supplier the address belongs to: its invoices show in that supplier's list.
    supplier_sub: Mapped[str | None] = mapped_column(String(200))
    # The Nutzerkonto identity (e.g. ``musterbau-gmbh``) whose subject ``supplier_sub`` is, resolved on first use.
    supplier_identity: Mapped[str | None] = mapped_column(String(64))
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class Invoice(Base):
    """One received invoice: what came in, the verdict, where it went."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_seller_key_invoice_number", "seller_key", "invoice_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    supplier_sub: Mapped[str | None] = mapped_column(String(200), index=True)
    supplier_name: Mapped[str | None] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(8))  # api | web | mail
    sender_address: Mapped[str | None] = mapped_column(String(320))
    # received → validated → forwarded → retrieved, or received → rejected
    status: Mapped[str] = mapped_column(String(16))
    source_format: Mapped[str] = mapped_column(String(8))  # xml | pdf
    filename: Mapped[str | None] = mapped_column(String(300))
    size: Mapped[int]
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    document_hash: Mapped[str | None] = mapped_column(String(128))
    syntax: Mapped[str | None] = mapped_column(String(16))
    scenario: Mapped[str | None] = mapped_column(String(300))
    leitweg_id: Mapped[str | None] = mapped_column(String(300))
    ars: Mapped[str | None] = mapped_column(String(12), index=True)
    invoice_number: Mapped[str | None] = mapped_column(String(300))
    seller_key: Mapped[str | None] = mapped_column(String(300))
    seller_name: Mapped[str | None] = mapped_column(String(300))
    issue_date: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(8))
    payable: Mapped[str | None] = mapped_column(String(40))
    # The parsed invoice as the validator read it (BT names), for the HTML rendering.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)  # the validation report (JSON form)
    report_varl: Mapped[bytes] = mapped_column(LargeBinary)
    # The platform's own reasons for a rejection (Leitweg-ID, attachments), beside the validator's findings.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    duplicate_of: Mapped[str | None] = mapped_column(String(36))
    postfach_message_id: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class InvoiceEvent(Base):
    """One line of the Laufzettel: a step the invoice went through, with its time."""

    __tablename__ = "invoice_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime]
    text: Mapped[str] = mapped_column(Text)  # German, as the Laufzettel shows it
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class PortalLogin(Base):
    """A pending OIDC login of the web portal (state → PKCE verifier and nonce)."""

    __tablename__ = "portal_logins"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_verifier: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]


class PortalSession(Base):
    """A supplier logged in to the web portal; the cookie carries the id, the table only its hash."""

    __tablename__ = "portal_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
