"""The bescheid service's tables: test PKI material, authorities, templates, numbering, notices, batch jobs."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class PkiMaterial(Base):
    """A key and certificate of the test PKI (root CA, TSA, one seal per authority, the ZBP author).

    Kept across resets: relying parties import the root once, and Bescheide sealed earlier must stay verifiable.
    """

    __tablename__ = "pki_material"
    __table_args__ = {"info": {"keep_on_reset": True}}

    name: Mapped[str] = mapped_column(String(100), primary_key=True)  # "root", "tsa", "seal:stadt-koblenz"
    key_pem: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class Revocation(Base):
    """A certificate revoked by an emulator control; the CRL and the OCSP responder report it. A reset
    forgets revocations (and the defective certificates they concern)."""

    __tablename__ = "revocations"

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)  # decimal serial number
    reason: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[dt.datetime]


class Authority(Base):
    """An issuing authority (Behörde) with its seal and the PAdES level it seals at."""

    __tablename__ = "authorities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "stadt-koblenz"
    name: Mapped[str] = mapped_column(String(200))
    ars: Mapped[str] = mapped_column(String(12))
    organization_identifier: Mapped[str] = mapped_column(String(64))  # "NTRDE-..." (ETSI EN 319 412-1)
    address: Mapped[list[str]] = mapped_column(JSON)
    number_prefix: Mapped[str] = mapped_column(String(16))
    pades_level: Mapped[str] = mapped_column(String(8))  # "B-B" | "B-T" | "B-LT" | "B-LTA"
    created_at: Mapped[dt.datetime]


class Template(Base):
    """A notice template of one authority for one Verwaltungsleistung."""

    __tablename__ = "templates"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # "stadt-koblenz/bewohnerparkausweis"
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(255))  # name of the Verwaltungsleistung
    title: Mapped[str] = mapped_column(String(255))  # heading of the notice
    greeting: Mapped[str] = mapped_column(Text)
    closing: Mapped[str] = mapped_column(Text)
    # Labels of the data fields the notice shows in its table, in order: {"kennzeichen": "Kennzeichen"}.
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    stork_qaa_level: Mapped[int]
    bekanntgabe_rule: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]


class Counter(Base):
    """The last Bescheid number an authority gave out in a year; raised by one conditional update."""

    __tablename__ = "counters"

    authority_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int]


class Bescheid(Base):
    """An issued, sealed notice and what became of its delivery."""

    __tablename__ = "bescheide"
    __table_args__ = (UniqueConstraint("authority_id", "number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), index=True)
    template_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(64))  # "KO-2026-000001"
    aktenzeichen: Mapped[str] = mapped_column(String(100))
    addressee_handle: Mapped[str] = mapped_column(String(36), index=True)
    client_id: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the Bescheid data as given (and embedded in the PDF)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pades_level: Mapped[str] = mapped_column(String(8))
    seal_serial: Mapped[str] = mapped_column(String(64))
    seal_warnings: Mapped[list[str]] = mapped_column(JSON)
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Delivery into the Postfach (ZBP message_v6): "pending" | "delivered" | "failed".
    delivery_status: Mapped[str] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(64))
    provided_at: Mapped[dt.datetime | None]
    notified_at: Mapped[dt.datetime | None]
    retrieved_at: Mapped[dt.datetime | None]
    bekanntgabe: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {rule, status, date}
    created_at: Mapped[dt.datetime]


class BatchJob(Base):
    """Mass notices: many items, processed in the background, each with its own outcome."""

    __tablename__ = "batch_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # "queued" | "running" | "completed"
    total: Mapped[int]
    done: Mapped[int]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the requests, as validated
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # per item: {index, status, bescheidId|problem}
    created_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
