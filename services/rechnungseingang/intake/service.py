"""The intake pipeline every channel (REST, web page, e-mail) runs: size cap, hybrid PDF extraction, safe parsing,
virus scan, KoSIT-equivalent validation, the platform's own checks (Leitweg-ID and recipient, attachments),
duplicate notice, then the invoice with its Laufzettel is stored and, if accepted, queued for forwarding.

Refusals that mean "this is not something we read" (hostile XML, unreadable PDF, virus, too large) raise a
:class:`~kit.problems.Problem` and store nothing. A readable invoice that fails a check is stored as ``rejected``,
with its reasons on the Laufzettel, as the real platform answers with a Laufzettel.
"""

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from services.rechnungseingang.intake.validator import unsafe_xml_type
from services.rechnungseingang.invoices import repository as invoices
from services.rechnungseingang.models import Invoice
from services.rechnungseingang.platform import attachments as attachment_rules
from services.rechnungseingang.platform import document, leitweg, pdf, scan
from services.rechnungseingang.registry import repository as registry
from services.rechnungseingang.routing import forward
from services.rechnungseingang.state import Rechnungseingang

CHANNEL_LABEL = {"api": "REST-Schnittstelle", "web": "Upload im Webportal", "mail": "E-Mail"}
# Problem status per refusal code of the document reader; all else is 400.
_REFUSAL_STATUS = {"pdf-without-invoice": 422, "pdf-decompression-limit": 422, "pdf-too-many-files": 422}


@dataclass
class Submission:
    data: bytes
    channel: str  # api | web | mail
    filename: str | None = None
    supplier_sub: str | None = None
    supplier_name: str | None = None
    sender_address: str | None = None


def _refused(exc: document.RefusedDocument) -> Problem:
    return Problem(_REFUSAL_STATUS.get(exc.code, 400), exc.detail, type_=exc.code, title="Datei nicht verarbeitet")


def too_large(limit: int) -> Problem:
    return Problem(413, f"Die Rechnung ist größer als {limit // (1024 * 1024)} MB (Grenze des E-Rechnungseingangs "
                   "einschließlich aller Anhänge).", type_="body-too-large", title="Content Too Large",
                   max_bytes=limit)


async def _read(state: Rechnungseingang, submission: Submission) -> tuple[bytes, str, list[tuple[str, bytes]]]:
    """The invoice XML, its source format and every other file that must be scanned."""
    if pdf.is_pdf(submission.data):
        try:
            extracted = await asyncio.to_thread(pdf.extract, submission.data,
                                                max_stream_bytes=state.settings.max_pdf_stream_bytes)
        except document.RefusedDocument as exc:
            raise _refused(exc) from exc
        return extracted.xml, "pdf", [("PDF-Datei", submission.data), *extracted.others]
    return submission.data, "xml", []


def _invoice_fields(report: Any) -> dict[str, Any]:
    fields = getattr(report, "invoice", None)
    return dict(fields) if isinstance(fields, dict) else {}


def _seller_key(fields: dict[str, Any]) -> str | None:
    """Who the seller is for the duplicate notice: VAT id, else seller id, else name."""
    for name in ("vat_id", "seller_id", "seller_name"):
        value = fields.get(name)
        if value:
            return str(value).strip()[:300]
    return None


def _summary_line(report: Any) -> str:
    findings = list(getattr(report, "findings", []) or [])
    errors = sum(1 for f in findings if str(getattr(f, "severity", "")).lower() in ("error", "fatal"))
    warnings = sum(1 for f in findings if str(getattr(f, "severity", "")).lower() in ("warning", "warn"))
    return f"Szenario: {getattr(report, 'scenario', None) or 'keines'}; {errors} Fehler, {warnings} Warnungen"


async def receive(state: Rechnungseingang, session: AsyncSession, submission: Submission) -> Invoice:
    """Run the pipeline; the stored invoice (validated or rejected), or a Problem for a refused file."""
    runtime = state.runtime
    limit = state.settings.max_invoice_bytes
    if len(submission.data) > limit:
        raise too_large(limit)
    if not submission.data.strip():
        raise Problem(400, "Die Datei ist leer.", type_="empty-file", title="Datei nicht verarbeitet")
    xml, source_format, other_files = await _read(state, submission)
    try:
        parsed = await asyncio.to_thread(document.parse, xml)
    except document.RefusedDocument as exc:
        raise _refused(exc) from exc

    await runtime.faults.check("virus-scan")
    parts = [("Rechnung", xml), *other_files,
             *((a.filename or f"Anhang {n}", a.content) for n, a in enumerate(parsed.attachments, start=1))]
    infected = await asyncio.to_thread(scan.scan, parts)
    if infected is not None:
        raise Problem(422, f"Die Virenprüfung hat in „{infected.part}“ die Signatur {infected.signature} gefunden. "
                      "Die Rechnung wurde nicht angenommen und nicht gespeichert.", type_="virus-found",
                      title="Virus gefunden", part=infected.part, signature=infected.signature)

    try:
        report = await state.validator.validate(xml)
    except unsafe_xml_type() as exc:
        raise Problem(400, f"Die XML-Datei enthält DTDs oder Entitäten: {exc}", type_="doctype-forbidden",
                      title="Datei nicht verarbeitet") from exc
    fields = _invoice_fields(report)

    reasons: list[dict[str, str]] = []
    checked = leitweg.check(fields.get("buyer_reference"))
    authority = None
    if not checked.valid:
        reasons.append({"code": checked.code or "leitweg-id-invalid", "message": checked.reason or ""})
    else:
        authority = await registry.authority_for(session, checked.leitweg_id)
        if authority is None:
            reasons.append({"code": "leitweg-id-unknown", "message": f"Für die Leitweg-ID „{checked.leitweg_id}“ "
                            "ist kein Rechnungsempfänger registriert."})
    reasons += [r.as_dict() for r in attachment_rules.check(parsed.attachments,
                                                            max_count=state.settings.max_attachments)]
    accepted = bool(getattr(report, "accepted", False)) and not reasons

    now = runtime.clock.now()
    number = str(fields["invoice_number"])[:300] if fields.get("invoice_number") else None
    seller_key = _seller_key(fields)
    earlier = await invoices.earlier_with_number(session, seller_key, number) if seller_key and number else None
    totals = fields.get("totals") or {}
    invoice = Invoice(
        id=str(uuid.uuid4()), supplier_sub=submission.supplier_sub, supplier_name=submission.supplier_name,
        channel=submission.channel, sender_address=submission.sender_address,
        status=invoices.VALIDATED if accepted else invoices.REJECTED, source_format=source_format,
        filename=(submission.filename or None) and submission.filename[:300], size=len(submission.data), xml=xml,
        document_hash=getattr(report, "document_hash", None), syntax=fields.get("syntax"),
        scenario=getattr(report, "scenario", None), leitweg_id=(checked.leitweg_id or None) and
        checked.leitweg_id[:300], ars=authority.ars if authority else None, invoice_number=number,
        seller_key=seller_key, seller_name=fields.get("seller_name"), issue_date=fields.get("issue_date"),
        currency=fields.get("currency"), payable=str(totals.get("payable")) if totals.get("payable") else None,
        summary=fields or None, report=report.to_json(), report_varl=report.to_varl(), reasons=reasons,
        duplicate_of=earlier.id if earlier else None, postfach_message_id=None, received_at=now, updated_at=now,
    )
    session.add(invoice)
    await session.flush()
    size_kb = max(1, round(len(submission.data) / 1024))
    invoices.add_event(session, invoice.id, invoices.RECEIVED, now,
                       f"Eingegangen über {CHANNEL_LABEL.get(submission.channel, submission.channel)} "
                       f"({source_format.upper()}, {size_kb} KB)", channel=submission.channel,
                       source_format=source_format, size=len(submission.data))
    invoices.add_event(session, invoice.id, "scanned", now, "Virenprüfung ohne Befund", scanned_parts=len(parts))
    if earlier is not None:
        invoices.add_event(session, invoice.id, "duplicate", now,
                           f"Hinweis: Eine Rechnung dieses Rechnungsstellers mit der Nummer „{number}“ ist bereits "
                           f"am {earlier.received_at:%d.%m.%Y} eingegangen. Die Rechnung wird trotzdem bearbeitet.",
                           duplicate_of=earlier.id)
    if accepted:
        assert authority is not None
        invoices.add_event(session, invoice.id, invoices.VALIDATED, now,
                           f"Geprüft und angenommen ({_summary_line(report)}); Empfänger: {authority.name}",
                           scenario=invoice.scenario, ars=authority.ars, leitweg_id=invoice.leitweg_id)
        forward.enqueue(runtime, session, invoice.id)
    else:
        texts = [r["message"] for r in reasons]
        if not getattr(report, "accepted", False):
            texts.insert(0, f"Die Prüfung nach XRechnung/EN 16931 ergab: nicht annehmbar ({_summary_line(report)})")
        invoices.add_event(session, invoice.id, invoices.REJECTED, now, "Abgelehnt: " + " · ".join(texts),
                           reasons=reasons, validation_accepted=bool(getattr(report, "accepted", False)))
    return invoice
