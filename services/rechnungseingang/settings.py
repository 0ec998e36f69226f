"""Settings of the rechnungseingang service (env prefix ``BASISDIENSTE_RECHNUNGSEINGANG_``)."""

from typing import ClassVar

from pydantic import Field

from kit.settings import ServiceSettings, service_config

MB = 1024 * 1024


class RechnungseingangSettings(ServiceSettings):
    model_config = service_config("rechnungseingang")
    service_name: ClassVar[str] = "rechnungseingang"

    # Zentraler E-Rechnungseingang RLP: 20 MB in total per invoice (XML or PDF with its attachments).
    max_invoice_bytes: int = 20 * MB
    # The RLP platform names no number; ZRE allows 200 attachments per invoice.
    max_attachments: int = 200
    # A hybrid PDF's embedded XML may not inflate beyond this (flate bombs); far above any real invoice.
    max_pdf_stream_bytes: int = 25 * MB
    # Validations run in their own threads (the compiled stylesheets stay loaded); one keeps Saxon single-threaded.
    validation_workers: int = 1

    # SMTP intake (aiosmtpd): one invoice per mail from a registered sender address; answers go to the outbox.
    smtp_enabled: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(2525, ge=0, le=65535)
    smtp_domain: str = "rechnungseingang.rlp.example"

    # The Postfach client this service sends as (contract C1) and the sender shown in the Behördenpostfach.
    client_id: str = "rechnungseingang"
    client_secret: str = "rechnungseingang-secret"  # noqa: S105 - the seeded test client's published secret
    sender_name: str = "Zentraler E-Rechnungseingang Rheinland-Pfalz (Testumgebung)"
    # The OAuth client of the web portal, registered with the Nutzerkonto on first login.
    portal_client_id: str = "rechnungseingang-portal"
    portal_client_secret: str = "rechnungseingang-portal-secret"  # noqa: S105 - a test secret, registered by us
    portal_session_minutes: int = 60
