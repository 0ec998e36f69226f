"""The registry of SAML service providers (what BundID's self-service portal holds after a metadata upload) and the
AuthnRequest IDs already seen, so that a replayed request is refused (SAML 2.0 Profiles §4.1.4.5 asks relying
parties for the mirror check; an IdP that keeps it stops a captured request from starting a second login).
"""

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Index, String, Text, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.nutzerkonto.models import Base
from services.nutzerkonto.saml import encryption
from services.nutzerkonto.saml.metadata import AssertionConsumerService, SpMetadata, parse_sp_metadata
from services.nutzerkonto.saml.xml import SamlXmlError


class ServiceProvider(Base):
    """A registered SP: its metadata as uploaded, what we read from it, and how we answer it."""

    __tablename__ = "saml_service_providers"

    entity_id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))  # mdui:DisplayName / OrganizationDisplayName / entityID
    metadata_xml: Mapped[str] = mapped_column(Text)
    # [{"url", "binding", "index", "is_default"}] in metadata order.
    acs: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    signing_certificates: Mapped[list[str]] = mapped_column(JSON)  # base64 DER, as ds:X509Certificate
    encryption_certificate: Mapped[str | None] = mapped_column(Text)
    encryption_method: Mapped[str | None] = mapped_column(String(100))  # content algorithm URI we use
    authn_requests_signed: Mapped[bool]  # from metadata: unsigned AuthnRequests are refused
    want_assertions_signed: Mapped[bool]  # from metadata
    sign_response: Mapped[bool]
    sign_assertion: Mapped[bool]
    encrypt_assertion: Mapped[bool]
    source: Mapped[str] = mapped_column(String(16))  # "api" | "config"
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    def endpoints(self) -> list[AssertionConsumerService]:
        return [AssertionConsumerService(a["url"], a["binding"], a["index"], a["is_default"]) for a in self.acs]


class SeenRequestId(Base):
    """An AuthnRequest ID accepted from an SP; kept until the request would be too old to accept anyway."""

    __tablename__ = "saml_seen_requests"
    __table_args__ = (Index("ix_saml_seen_requests_expires_at", "expires_at"),)

    sp_entity_id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    expires_at: Mapped[dt.datetime]


def describe(sp: ServiceProvider) -> dict[str, Any]:
    """An SP as the registration API and the seed show it (without the metadata XML)."""
    return {
        "entity_id": sp.entity_id, "name": sp.name, "assertion_consumer_services": sp.acs,
        "authn_requests_signed": sp.authn_requests_signed, "want_assertions_signed": sp.want_assertions_signed,
        "sign_response": sp.sign_response, "sign_assertion": sp.sign_assertion,
        "encrypt_assertion": sp.encrypt_assertion, "encryption_method": sp.encryption_method,
        "signing_certificates": len(sp.signing_certificates), "source": sp.source,
        "created_at": sp.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": sp.updated_at.isoformat().replace("+00:00", "Z"),
    }


async def register(session: AsyncSession, metadata_xml: bytes, *, now: dt.datetime, source: str,
                   sign_response: bool = True, sign_assertion: bool = True,
                   encrypt_assertion: bool | None = None) -> tuple[ServiceProvider, bool]:
    """Register an SP from its metadata, replacing an earlier registration of the same entityID (as uploading new
    metadata in BundID's portal does). Returns the SP and whether it is new.

    Assertions are encrypted by default when the metadata has an encryption key; an SP whose metadata says
    ``WantAssertionsSigned="true"`` always gets signed assertions.
    """
    parsed: SpMetadata = parse_sp_metadata(metadata_xml)
    if encrypt_assertion and parsed.encryption_certificate is None:
        raise SamlXmlError("Verschlüsselung verlangt, aber die Metadaten enthalten keinen Schlüssel "
                           "(KeyDescriptor use=\"encryption\").")
    encrypt = parsed.encryption_certificate is not None if encrypt_assertion is None else encrypt_assertion
    if not (sign_response or sign_assertion or parsed.want_assertions_signed):
        raise SamlXmlError("Response oder Assertion muss signiert werden.")
    values: dict[str, Any] = {
        "name": parsed.name, "metadata_xml": metadata_xml.decode("utf-8", errors="replace"),
        "acs": [a.as_dict() for a in parsed.acs], "signing_certificates": parsed.signing_certificates,
        "encryption_certificate": parsed.encryption_certificate,
        "encryption_method": encryption.content_algorithm(parsed.encryption_methods) if encrypt else None,
        "authn_requests_signed": parsed.authn_requests_signed, "want_assertions_signed": parsed.want_assertions_signed,
        "sign_response": sign_response, "sign_assertion": sign_assertion or parsed.want_assertions_signed,
        "encrypt_assertion": encrypt, "source": source, "updated_at": now,
    }
    existing = await session.get(ServiceProvider, parsed.entity_id, with_for_update=True)
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        return existing, False
    sp = ServiceProvider(entity_id=parsed.entity_id, created_at=now, **values)
    session.add(sp)
    await session.flush()
    return sp, True


async def get(session: AsyncSession, entity_id: str) -> ServiceProvider | None:
    return await session.get(ServiceProvider, entity_id)


async def list_all(session: AsyncSession) -> list[ServiceProvider]:
    return list((await session.scalars(select(ServiceProvider).order_by(ServiceProvider.entity_id))).all())


async def remove(session: AsyncSession, entity_id: str) -> bool:
    result = await session.execute(delete(ServiceProvider).where(ServiceProvider.entity_id == entity_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def first_use(session: AsyncSession, *, sp_entity_id: str, request_id: str, now: dt.datetime,
                    keep_until: dt.datetime) -> bool:
    """Record a request ID; False when this SP already used it (a replay). Expired IDs are forgotten here too."""
    await session.execute(delete(SeenRequestId).where(SeenRequestId.expires_at <= now))
    try:
        # A savepoint, so a duplicate leaves the request's transaction usable; the primary key makes two
        # concurrent first uses impossible, where a read-then-insert would let both through.
        async with session.begin_nested():
            session.add(SeenRequestId(sp_entity_id=sp_entity_id, request_id=request_id, expires_at=keep_until))
    except IntegrityError:
        return False
    return True


async def load_configured(session: AsyncSession, paths: list[Path], now: dt.datetime) -> None:
    """Register the SPs whose metadata files the settings name (at startup and after a reset)."""
    for path in paths:
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise RuntimeError(f"SAML SP metadata {path} cannot be read: {exc}") from exc
        try:
            await register(session, data, now=now, source="config")
        except SamlXmlError as exc:
            raise RuntimeError(f"SAML SP metadata {path} is not usable: {exc}") from exc
