"""Human-readable forms of an invoice: the HTML rendering authorities receive beside the XML (the real platform
discards a hybrid's PDF part and renders the XML anew), the Laufzettel as JSON and as HTML, and the invoice's status
as a supplier sees it. Pure functions over stored rows; no HTTP."""

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.rechnungseingang.models import Invoice, InvoiceEvent

BERLIN = ZoneInfo("Europe/Berlin")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

STATUS_LABEL = {"received": "eingegangen", "validated": "geprüft, wird zugestellt", "rejected": "abgelehnt",
                "forwarded": "zugestellt", "retrieved": "abgerufen"}
STEP_LABEL = {"received": "Eingang", "scanned": "Virenprüfung", "validated": "Prüfung", "rejected": "Ablehnung",
              "duplicate": "Dublettenhinweis", "forwarding-delayed": "Zustellung verzögert",
              "forwarded": "Zustellung", "retrieved": "Abruf", "erp-notified": "ERP-Benachrichtigung"}
SEVERITY_LABEL = {"error": "Fehler", "fatal": "Fehler", "warning": "Warnung", "warn": "Warnung",
                  "information": "Hinweis", "info": "Hinweis"}


def iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def local_time(value: dt.datetime) -> str:
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S")


environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                          trim_blocks=True, lstrip_blocks=True)
environment.globals.update(
    status_label=lambda s: STATUS_LABEL.get(s, s), step_label=lambda s: STEP_LABEL.get(s, s),
    severity_label=lambda s: SEVERITY_LABEL.get(str(s), str(s)), local_time=local_time)


def findings(invoice: Invoice) -> list[dict[str, Any]]:
    return list((invoice.report or {}).get("findings") or [])


def invoice_context(invoice: Invoice, events: list[InvoiceEvent]) -> dict[str, Any]:
    summary = invoice.summary or {}
    return {"invoice": invoice, "s": summary, "lines": summary.get("lines") or [],
            "totals": summary.get("totals") or {}, "attachments": summary.get("attachments") or [],
            "findings": findings(invoice), "events": events}


def invoice_html(invoice: Invoice, events: list[InvoiceEvent], *, csp_nonce: str | None = None) -> str:
    return environment.get_template("invoice.html").render(**invoice_context(invoice, events), csp_nonce=csp_nonce)


def laufzettel_json(invoice: Invoice, events: list[InvoiceEvent]) -> dict[str, Any]:
    return {
        "invoiceId": invoice.id, "status": invoice.status, "statusText": STATUS_LABEL.get(invoice.status),
        "leitwegId": invoice.leitweg_id, "invoiceNumber": invoice.invoice_number,
        "steps": [{"step": e.step, "at": iso(e.at), "text": e.text, **({"data": e.data} if e.data else {})}
                  for e in events],
    }


def describe(invoice: Invoice, base_url: str) -> dict[str, Any]:
    """An invoice as the supplier API shows it."""
    return {
        "id": invoice.id, "status": invoice.status, "channel": invoice.channel,
        "sourceFormat": invoice.source_format, "filename": invoice.filename, "size": invoice.size,
        "invoiceNumber": invoice.invoice_number, "issueDate": invoice.issue_date,
        "sellerName": invoice.seller_name, "payableAmount": invoice.payable, "currency": invoice.currency,
        "leitwegId": invoice.leitweg_id, "syntax": invoice.syntax, "scenario": invoice.scenario,
        "accepted": invoice.status not in ("rejected", "received"), "reasons": invoice.reasons,
        "duplicateOf": invoice.duplicate_of, "receivedAt": iso(invoice.received_at),
        "updatedAt": iso(invoice.updated_at), "documentHash": invoice.document_hash,
        "links": {"self": f"{base_url}/api/v1/invoices/{invoice.id}",
                  "laufzettel": f"{base_url}/api/v1/invoices/{invoice.id}/laufzettel",
                  "report": f"{base_url}/api/v1/invoices/{invoice.id}/report"},
    }


def laufzettel_html(invoice: Invoice, events: list[InvoiceEvent], *, csp_nonce: str | None = None) -> str:
    return environment.get_template("laufzettel.html").render(**invoice_context(invoice, events),
                                                              csp_nonce=csp_nonce)
