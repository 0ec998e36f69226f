"""The Bezahlplattform's tables: online services (originators) and their offices (endpoints), payment transactions
(XBezahldienste), refunds, the append-only audit log, PayPal orders, SEPA mandates, bank statements and the
emulator's per-method controls. Amounts are integer cents (EUR) everywhere."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Originator(Base):
    """An online service that takes fees (XBezahldienste ``originatorId``), with its API credentials."""

    __tablename__ = "originators"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # HTTP Basic as epay21 does it: one user name and password per originator (test values, shown in the seed).
    basic_username: Mapped[str] = mapped_column(String(100), unique=True)
    basic_password: Mapped[str] = mapped_column(String(200))
    # Nutzerkonto OAuth clients whose client-credentials tokens may act for this originator.
    oauth_clients: Mapped[list[str]] = mapped_column(JSON)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str] = mapped_column(String(100))
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]


class Endpoint(Base):
    """The responsible office for an originator's payments (XBezahldienste ``endpointId``, e.g. its ARS), with its
    cash-office (Kasse) settings: Kassenzeichen numbering, default booking data and the bookings it requires."""

    __tablename__ = "endpoints"

    originator_id: Mapped[str] = mapped_column(ForeignKey("originators.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    service_name: Mapped[str] = mapped_column(String(200))
    kassenzeichen_prefix: Mapped[str] = mapped_column(String(8))
    booking_defaults: Mapped[dict[str, str]] = mapped_column(JSON)
    required_booking_keys: Mapped[list[str]] = mapped_column(JSON)
    methods: Mapped[list[str]] = mapped_column(JSON)  # adapter names offered on the checkout
    iban: Mapped[str] = mapped_column(String(34))  # the Kasse's account: shown for transfers, in camt.053
    bic: Mapped[str] = mapped_column(String(11))
    created_at: Mapped[dt.datetime]


class KassenzeichenCounter(Base):
    """The next Kassenzeichen number per prefix and year; advanced by a conditional UPDATE, never read-then-write."""

    __tablename__ = "kassenzeichen_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int]


class Payment(Base):
    """A payment transaction: the stored ``paymentRequest`` and the platform's ``paymentInformation``."""

    __tablename__ = "payments"
    # The duplicate key of the standard: a requestId is used once per originator and endpoint.
    __table_args__ = (
        UniqueConstraint("originator_id", "endpoint_id", "request_id", name="uq_payments_request"),
        Index("ix_payments_endpoint_status", "endpoint_id", "status"),
        Index("ix_payments_kassenzeichen", "kassenzeichen"),
    )

    id: Mapped[str] = mapped_column(String(44), primary_key=True)  # transactionId
    originator_id: Mapped[str] = mapped_column(String(64))
    endpoint_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))  # INITIAL | PAYED | FAILED | CANCELED
    status_detail: Mapped[str | None] = mapped_column(String(250))
    payment_method: Mapped[str | None] = mapped_column(String(16))  # GIROPAY | PAYDIRECT | CREDITCARD | PAYPAL | OTHER
    payment_method_detail: Mapped[str | None] = mapped_column(String(100))
    adapter: Mapped[str | None] = mapped_column(String(32))  # the adapter that took the payment
    gros_amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(String(27))
    kassenzeichen: Mapped[str] = mapped_column(String(36))
    redirect_url: Mapped[str] = mapped_column(Text)
    payment_request: Mapped[dict[str, Any]] = mapped_column(JSON)  # as the online service sent it (normalised)
    bookings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # per item: cents + effective booking data
    captured_cents: Mapped[int] = mapped_column(default=0)
    refunded_cents: Mapped[int] = mapped_column(default=0)
    # The outcome the checkout reached but that a status progression holds back (manual / after time).
    pending_status: Mapped[str | None] = mapped_column(String(16))
    pending_detail: Mapped[str | None] = mapped_column(String(250))
    pending_due_at: Mapped[dt.datetime | None]
    pending_after_reads: Mapped[int | None]
    reads: Mapped[int] = mapped_column(default=0)
    # The checkout's scratch state: chosen adapter, a pending 3-D Secure challenge, the card's last digits.
    checkout_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(250))
    created_at: Mapped[dt.datetime]


class AuditEvent(Base):
    """Append-only: rows are inserted, never updated (a database trigger refuses UPDATE)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    payment_id: Mapped[str | None] = mapped_column(String(44), index=True)
    event: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    amount_cents: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]


class PaypalOrder(Base):
    """A PayPal Orders v2 order, either created by the checkout or directly through ``/v2/checkout/orders``."""

    __tablename__ = "paypal_orders"
    __table_args__ = (UniqueConstraint("client", "request_id", name="uq_paypal_orders_request"),)

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    client: Mapped[str] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(108))  # PayPal-Request-Id of the create call
    capture_request_id: Mapped[str | None] = mapped_column(String(108))
    intent: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))  # CREATED | APPROVED | COMPLETED | VOIDED
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    purchase_units: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    return_url: Mapped[str | None] = mapped_column(Text)
    cancel_url: Mapped[str | None] = mapped_column(Text)
    payment_id: Mapped[str | None] = mapped_column(String(44))
    payer_id: Mapped[str | None] = mapped_column(String(20))
    capture_id: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class SepaMandate(Base):
    __tablename__ = "sepa_mandates"

    reference: Mapped[str] = mapped_column(String(35), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(44), index=True)
    iban: Mapped[str] = mapped_column(String(34))
    account_holder: Mapped[str] = mapped_column(String(70))
    signed_at: Mapped[dt.datetime]


class BankStatement(Base):
    """An imported camt.053 statement; its ``Stmt/Id`` is imported once."""

    __tablename__ = "bank_statements"
    __table_args__ = (UniqueConstraint("endpoint_id", "statement_id", name="uq_bank_statements_statement"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(String(64))
    statement_id: Mapped[str] = mapped_column(String(35))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[dt.datetime]


class MethodControl(Base):
    """Emulator controls per payment method: availability, the status progression, forced next outcomes."""

    __tablename__ = "method_controls"

    method: Mapped[str] = mapped_column(String(32), primary_key=True)
    available: Mapped[bool] = mapped_column(default=True)
    # How a finished checkout becomes final: immediate | manual | time (moto's progression modes).
    progression: Mapped[str] = mapped_column(String(16), default="immediate")
    after_seconds: Mapped[int | None]
    after_reads: Mapped[int | None]
    forced_outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class WebhookAttempt(Base):
    """One delivery attempt of a webhook (the outbox keeps only the latest outcome)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime]
