"""The JSON shapes of the Rechnungseingang API, member for member as ``rendering`` and the validation report write
them: the supplier's view of an invoice (camelCase), the Laufzettel, the KoSIT-style validation report (whose
findings and extracted invoice data keep the report's own snake_case), and the receiving authority's list."""

from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from kit.schemas import OpenWireModel, Timestamp, WireModel

Status = Literal["received", "validated", "rejected", "forwarded", "retrieved"]
Channel = Literal["api", "web", "mail"]
Severity = Literal["error", "warning", "information"]


class _Camel(WireModel):
    model_config = ConfigDict(alias_generator=to_camel)


class Reason(WireModel):
    """Why the platform refuses an invoice beyond the validation (Leitweg-ID, attachments)."""

    code: str
    message: str


class InvoiceLinks(WireModel):
    self_: str = Field(alias="self")
    laufzettel: str
    report: str


class InvoiceOut(_Camel):
    """An invoice as its supplier sees it."""

    id: str
    status: Status
    channel: Channel
    source_format: Literal["xml", "pdf"]
    filename: str | None
    size: int = Field(description="Bytes as submitted")
    invoice_number: str | None
    issue_date: str | None = Field(description="As the invoice states it (ISO date)")
    seller_name: str | None
    payable_amount: str | None = Field(description="Decimal text as in the invoice, e.g. 119.00")
    currency: str | None
    leitweg_id: str | None
    syntax: str | None
    scenario: str | None
    accepted: bool
    reasons: list[Reason]
    duplicate_of: str | None
    received_at: Timestamp
    updated_at: Timestamp
    document_hash: str | None = Field(description="SHA-256 of the invoice XML, hex")
    links: InvoiceLinks


class InvoiceList(WireModel):
    invoices: list[InvoiceOut]


class Finding(WireModel):
    """One message of the report; ``severity`` after the scenario's customLevels, ``flag`` as the rule declares."""

    rule_id: str
    severity: Severity
    message: str
    xpath: str | None
    line: int | None
    step: str = Field(description="val-xml, val-xsd, val-sch.1 or val-sch.2")
    flag: Severity | None


class DocumentHash(WireModel):
    algorithm: Literal["SHA-256"]
    value: str


class SeverityCounts(WireModel):
    error: int
    warning: int
    information: int


class Totals(WireModel):
    net: str | None
    tax: str | None
    gross: str | None
    payable: str | None


class Line(WireModel):
    id: str | None
    name: str | None
    quantity: str | None
    unit: str | None
    net: str | None


class EmbeddedAttachment(WireModel):
    id: str | None
    filename: str | None
    mime: str | None


class InvoiceData(WireModel):
    """What the validator read from the invoice (UBL or CII), as text."""

    syntax: str
    customization_id: str | None
    invoice_number: str | None
    issue_date: str | None
    type_code: str | None
    currency: str | None
    buyer_reference: str | None
    seller_name: str | None
    seller_id: str | None
    vat_id: str | None
    buyer_name: str | None
    totals: Totals
    lines: list[Line]
    attachments: list[EmbeddedAttachment]


class ValidationReport(WireModel):
    """The KoSIT verdict (``accepted``/``assessment``) with its findings, in JSON; VARL XML is the other form."""

    valid: bool
    accepted: bool
    assessment: Literal["accept", "reject"]
    scenario: str | None
    scenarioId: str | None
    documentHash: DocumentHash
    reason: str | None
    counts: SeverityCounts
    steps: list[str]
    findings: list[Finding]
    invoice: InvoiceData | None


class SubmittedInvoice(InvoiceOut):
    """The accepted invoice (status ``validated``, forwarding queued) with its validation report."""

    report: ValidationReport


class StoredReport(ValidationReport):
    """An invoice's validation report, with the platform's own reasons beside the validator's findings."""

    invoiceId: str
    reasons: list[Reason]


class StepData(OpenWireModel):
    """Facts of a Laufzettel step, by step (``received``: channel, format, size; ``validated``: scenario, ARS,
    Leitweg-ID; ``forwarded``: the Postfach message; ``rejected``: the reasons; ...). Open: a step may add more."""

    channel: Channel | None = None
    source_format: str | None = None
    size: int | None = None
    scanned_parts: int | None = None
    duplicate_of: str | None = None
    scenario: str | None = None
    ars: str | None = None
    leitweg_id: str | None = None
    reasons: list[Reason] | None = None
    validation_accepted: bool | None = None
    message_id: str | None = None
    mailbox_uuid: str | None = None
    provided_at: str | None = None
    error: str | None = None
    status: int | None = Field(None, description="HTTP status of the ERP notification")


class LaufzettelStep(WireModel):
    step: str
    at: Timestamp
    text: str = Field(description="What happened, in German as the Laufzettel shows it")
    data: StepData | None = Field(None, description="Left out when the step has no facts of its own")


class Laufzettel(WireModel):
    """The routing slip: every step of the invoice with its time."""

    invoiceId: str
    status: Status
    statusText: str | None
    leitwegId: str | None
    invoiceNumber: str | None
    steps: list[LaufzettelStep]


class AuthorityRef(WireModel):
    ars: str
    name: str


class AuthorityInvoiceLinks(WireModel):
    xml: str
    html: str
    report: str


class AuthorityInvoice(_Camel):
    """An invoice forwarded to the receiving authority."""

    id: str
    status: Status
    leitweg_id: str | None
    invoice_number: str | None
    issue_date: str | None
    seller_name: str | None
    payable_amount: str | None
    currency: str | None
    syntax: str | None
    received_at: Timestamp
    postfach_message_id: str | None
    duplicate_of: str | None
    links: AuthorityInvoiceLinks


class AuthorityInvoiceList(WireModel):
    authority: AuthorityRef
    invoices: list[AuthorityInvoice]
