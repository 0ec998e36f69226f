"""The supplier's REST API: submit an invoice (raw XML, a ZUGFeRD/Factur-X hybrid PDF, or either as a multipart
file), list their own invoices with status, read one invoice's Laufzettel (JSON or HTML) and validation report
(JSON or VARL XML). Another supplier's invoice does not exist for them (404)."""

import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from kit.db import SessionDep
from kit.problems import Problem
from services.rechnungseingang.intake import service
from services.rechnungseingang.invoices import rendering
from services.rechnungseingang.invoices import repository as invoices
from services.rechnungseingang.invoices.schemas import (
    InvoiceList,
    InvoiceOut,
    Laufzettel,
    StoredReport,
    SubmittedInvoice,
)
from services.rechnungseingang.models import Invoice
from services.rechnungseingang.routing import forward
from services.rechnungseingang.state import StateDep
from services.rechnungseingang.suppliers import SupplierDep

router = APIRouter(prefix="/api/v1", tags=["invoices"])

_XML_TYPES = ("application/xml", "text/xml")
_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Not an XML invoice we read: DOCTYPE/entities, not well-formed, unreadable PDF"},
    401: {"description": "No or invalid bearer token"},
    403: {"description": "Not a company login (Mein Unternehmenskonto)"},
    413: {"description": "Larger than 20 MB"},
    415: {"description": "Neither XML nor PDF"},
    422: {"description": "Rejected (stored, with Laufzettel: type invoice-rejected) or refused (virus-found, "
                         "pdf-without-invoice; nothing stored)"},
    503: {"description": "The validator is not available"},
}


def html_headers(nonce: str) -> dict[str, str]:
    """Rendered invoices show business data: no caching, no framing, nothing loaded from elsewhere."""
    return {"Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; "
                                       "form-action 'self'; frame-ancestors 'none'",
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
            "Content-Language": "de"}


async def read_upload(request: Request) -> tuple[bytes, str | None]:
    """The invoice bytes and file name from a raw body (XML or PDF) or a multipart form's ``file`` part."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Problem(422, "Das Formular enthält keine Datei im Feld „file“.", type_="validation-error",
                          title="Validation failed")
        return await upload.read(), upload.filename
    if content_type and content_type not in (*_XML_TYPES, "application/pdf", "application/octet-stream"):
        raise Problem(415, f"Rechnungen werden als XML (application/xml) oder als hybride PDF (application/pdf) "
                      f"eingereicht, nicht als {content_type}.", type_="unsupported-media-type")
    filename = request.headers.get("x-filename") or None
    return await request.body(), filename


def _rejection(invoice: Invoice, base_url: str) -> Problem:
    body = rendering.describe(invoice, base_url)
    return Problem(422, "Die Rechnung wurde abgelehnt: "
                   + "; ".join([r["message"] for r in invoice.reasons] or ["die Validierung ergab „nicht annehmbar“"]),
                   type_="invoice-rejected", title="Rechnung abgelehnt", invoice=body,
                   report=invoice.report, headers={"Location": body["links"]["self"]})


@router.post("/invoices", name="submit_invoice", status_code=201, response_model=SubmittedInvoice,
             responses=_REFUSALS)
async def submit_invoice(request: Request, session: SessionDep, state: StateDep,
                         supplier: SupplierDep) -> JSONResponse:
    """Submit one invoice. Accepted: 201 with the invoice (status ``validated``, forwarding queued) and its report.
    Rejected: 422 problem ``invoice-rejected`` with the invoice and report; it stays listed with its Laufzettel."""
    data, filename = await read_upload(request)
    invoice = await service.receive(state, session, service.Submission(
        data=data, channel="api", filename=filename, supplier_sub=supplier.sub, supplier_name=supplier.name))
    base = state.settings.external_url
    if invoice.status == invoices.REJECTED:
        await session.commit()  # the rejection is part of the supplier's record, though answered as a problem
        raise _rejection(invoice, base)
    body = {**rendering.describe(invoice, base), "report": invoice.report}
    return JSONResponse(body, status_code=201, headers={"Location": body["links"]["self"]})


async def _own(session: SessionDep, supplier_sub: str, invoice_id: str) -> Invoice:
    invoice = await invoices.of_supplier(session, supplier_sub, invoice_id)
    if invoice is None:
        raise Problem(404, f"Keine Rechnung {invoice_id} in Ihrem Konto.", type_="invoice-not-found")
    return invoice


@router.get("/invoices", name="list_invoices", response_model=InvoiceList, response_model_exclude_unset=True)
async def list_invoices(session: SessionDep, state: StateDep, supplier: SupplierDep) -> dict[str, Any]:
    """The supplier's own invoices, newest first, with their status."""
    rows = await invoices.list_of_supplier(session, supplier.sub)
    for invoice in rows:
        await forward.refresh_retrieval(state, session, invoice)
    return {"invoices": [rendering.describe(i, state.settings.external_url) for i in rows]}


@router.get("/invoices/{invoice_id}", name="get_invoice", response_model=InvoiceOut, response_model_exclude_unset=True,
            responses={404: {"description": "Not your invoice"}})
async def get_invoice(invoice_id: str, session: SessionDep, state: StateDep, supplier: SupplierDep) -> dict[str, Any]:
    invoice = await _own(session, supplier.sub, invoice_id)
    await forward.refresh_retrieval(state, session, invoice)
    return rendering.describe(invoice, state.settings.external_url)


@router.get("/invoices/{invoice_id}/laufzettel", name="get_laufzettel", response_model=Laufzettel,
            responses={200: {"description": "The Laufzettel as JSON, or as an HTML page",
                             "content": {"text/html": {"schema": {"type": "string"}}}},
                       404: {"description": "Not your invoice"}})
async def get_laufzettel(invoice_id: str, request: Request, session: SessionDep, state: StateDep,
                         supplier: SupplierDep, format: str | None = None) -> Response:
    """The routing slip: every step with its time. JSON, or HTML for ``Accept: text/html`` / ``?format=html``."""
    invoice = await _own(session, supplier.sub, invoice_id)
    await forward.refresh_retrieval(state, session, invoice)
    events = await invoices.events(session, invoice.id)
    if format == "html" or (format is None and "text/html" in request.headers.get("accept", "")):
        nonce = secrets.token_urlsafe(16)
        return HTMLResponse(rendering.laufzettel_html(invoice, events, csp_nonce=nonce), headers=html_headers(nonce))
    return JSONResponse(rendering.laufzettel_json(invoice, events))


@router.get("/invoices/{invoice_id}/report", name="get_report", response_model=StoredReport,
            responses={200: {"description": "The report as JSON, or as VARL XML",
                             "content": {"application/xml": {"schema": {"type": "string"}}}},
                       404: {"description": "Not your invoice"}})
async def get_report(invoice_id: str, request: Request, session: SessionDep, supplier: SupplierDep,
                     format: str | None = None) -> Response:
    """The validation report: JSON, or VARL XML (the KoSIT validator's format) for ``Accept: application/xml``."""
    invoice = await _own(session, supplier.sub, invoice_id)
    accept = request.headers.get("accept", "")
    if format == "varl" or (format is None and any(t in accept for t in _XML_TYPES)):
        return Response(invoice.report_varl, media_type="application/xml")
    return JSONResponse({"invoiceId": invoice.id, "reasons": invoice.reasons, **invoice.report})
