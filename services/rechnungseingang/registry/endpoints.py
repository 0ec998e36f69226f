"""The receiving authority's API: list the invoices forwarded to it and download each as XML, as a human-readable
HTML rendering, or its validation report. The caller is the authority's Fachverfahren/ERP with a client-credentials
token of the Nutzerkonto (audience ``rechnungseingang``) whose client is registered for that authority; for any
other caller the authority's invoices do not exist (404)."""

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse

from kit.db import SessionDep
from kit.problems import Problem
from kit.schemas import text_body
from kit.tokens import require_token
from services.rechnungseingang.intake.endpoints import html_headers
from services.rechnungseingang.invoices import rendering
from services.rechnungseingang.invoices import repository as invoices
from services.rechnungseingang.invoices.schemas import AuthorityInvoiceList
from services.rechnungseingang.models import Authority, Invoice
from services.rechnungseingang.registry import repository as registry
from services.rechnungseingang.routing import forward
from services.rechnungseingang.state import StateDep

router = APIRouter(prefix="/api/v1/authorities", tags=["authorities"])
ClaimsDep = Annotated[dict[str, Any], Depends(require_token())]
_NOT_YOURS: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown authority, or not the caller's"}}


async def _authority(session: SessionDep, ars: str, claims: dict[str, Any]) -> Authority:
    authority = await registry.get_authority(session, ars)
    if authority is None or not authority.client_id or authority.client_id != claims.get("client_id"):
        raise Problem(404, f"Keine empfangende Stelle {ars} für diesen Client.", type_="authority-not-found")
    return authority


async def _invoice(session: SessionDep, authority: Authority, invoice_id: str) -> Invoice:
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None or invoice.ars != authority.ars or invoice.status not in (invoices.FORWARDED,
                                                                                 invoices.RETRIEVED):
        raise Problem(404, f"Keine Rechnung {invoice_id} für {authority.name}.", type_="invoice-not-found")
    return invoice


def _entry(invoice: Invoice, base: str) -> dict[str, Any]:
    link = f"{base}/api/v1/authorities/{invoice.ars}/invoices/{invoice.id}"
    return {
        "id": invoice.id, "status": invoice.status, "leitwegId": invoice.leitweg_id,
        "invoiceNumber": invoice.invoice_number, "issueDate": invoice.issue_date, "sellerName": invoice.seller_name,
        "payableAmount": invoice.payable, "currency": invoice.currency, "syntax": invoice.syntax,
        "receivedAt": rendering.iso(invoice.received_at), "postfachMessageId": invoice.postfach_message_id,
        "duplicateOf": invoice.duplicate_of,
        "links": {"xml": f"{link}/xml", "html": f"{link}/html", "report": f"{link}/report"},
    }


@router.get("/{ars}/invoices", name="authority_list_invoices", response_model=AuthorityInvoiceList,
            response_model_exclude_unset=True, responses=_NOT_YOURS)
async def list_invoices(ars: str, session: SessionDep, state: StateDep, claims: ClaimsDep) -> dict[str, Any]:
    authority = await _authority(session, ars, claims)
    rows = await invoices.list_of_authority(session, authority.ars)
    for invoice in rows:
        await forward.refresh_retrieval(state, session, invoice)
    return {"authority": {"ars": authority.ars, "name": authority.name},
            "invoices": [_entry(i, state.settings.external_url) for i in rows]}


@router.get("/{ars}/invoices/{invoice_id}/xml", name="authority_invoice_xml", response_class=Response,
            responses={200: text_body("application/xml", "The invoice XML as forwarded (XRechnung UBL or CII)"),
                       **_NOT_YOURS})
async def invoice_xml(ars: str, invoice_id: str, session: SessionDep, claims: ClaimsDep) -> Response:
    invoice = await _invoice(session, await _authority(session, ars, claims), invoice_id)
    name = f"rechnung-{invoice.id}.xml"
    return Response(invoice.xml, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{ars}/invoices/{invoice_id}/html", name="authority_invoice_html", response_class=HTMLResponse,
            responses={200: {"description": "The invoice rendered for reading"}, **_NOT_YOURS})
async def invoice_html(ars: str, invoice_id: str, session: SessionDep, claims: ClaimsDep) -> HTMLResponse:
    invoice = await _invoice(session, await _authority(session, ars, claims), invoice_id)
    nonce = secrets.token_urlsafe(16)
    html = rendering.invoice_html(invoice, await invoices.events(session, invoice.id), csp_nonce=nonce)
    return HTMLResponse(html, headers=html_headers(nonce))


@router.get("/{ars}/invoices/{invoice_id}/report", name="authority_invoice_report", response_class=Response,
            responses={200: text_body("application/xml", "The validation report (VARL XML)"), **_NOT_YOURS})
async def invoice_report(ars: str, invoice_id: str, session: SessionDep, claims: ClaimsDep) -> Response:
    """The validation report as VARL XML (the format of the KoSIT validator)."""
    invoice = await _invoice(session, await _authority(session, ars, claims), invoice_id)
    return Response(invoice.report_varl, media_type="application/xml")
